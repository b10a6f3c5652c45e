/**
 * The output stage of a quantized product (qgemm, qspmm, the int8 conv):
 * what its options ask for, checked against the activations and the
 * weights' scales, as the parameters every backend's kernels take. Nothing
 * here allocates the result: the plan gives its type and quantization, the
 * backend makes the tensor (on the host, or on the GPU).
 */
import { saturateRound } from './round.js';
import { activationRange, type Activation } from './activation.js';
import { checkVariant } from './variant.js';
import { Q_RANGE, type QType, type QuantParams, type Tensor } from '../element-types.js';
import { checkBias, checkOneOf, checkScale, checkZeroPoint, typeFail } from '../validate.js';

export type QGemmOutput = 'int32' | 'uint8' | 'int8' | 'float32';

/** The options of a quantized product that every backend takes. */
export interface QuantizedOutputOptions {
  /** Result type (default 'int32'). uint8/int8 need outScale (and outZeroPoint); uint8/int8/float32 need a.scale and weight scales. */
  output?: QGemmOutput;
  /** One int32 value per output channel added to the accumulators (ONNX-style bias at scale a.scale * b.scale). */
  bias?: Int32Array;
  outScale?: number;
  outZeroPoint?: number;
  /** Clamp in real units, fused into the output (ReLU: the zero point becomes the minimum). Not for 'int32'. */
  activation?: Activation;
}

/** Weights whose per-channel scales set the output multipliers, with room to remember the last set. */
export interface MultiplierSource {
  readonly scales: Float32Array;
  multiplierMemo?: { aScale: number; outScale: number | undefined; values: Float32Array };
}

/**
 * float32 multipliers of the output stage, one per weight scale (see
 * qs32-qx8-requantize.h). Inference calls a layer with the same scales every
 * time, so the weights remember the last set (4096 columns cost ~80 us to
 * recompute, 13% of an int8 GEMV). The array is shared: read it, never write it.
 */
function multipliers(aScale: number, b: MultiplierSource, outScale: number | undefined): Float32Array {
  const memo = b.multiplierMemo;
  if (memo && memo.aScale === aScale && memo.outScale === outScale) return memo.values;
  const values = new Float32Array(b.scales.length);
  for (let i = 0; i < values.length; i++) {
    const product = Math.fround(aScale * b.scales[i]);
    values[i] = outScale === undefined ? product : Math.fround(product / outScale);
  }
  b.multiplierMemo = { aScale, outScale, values };
  return values;
}

/** The resolved output stage of a quantized product, as the kernels (CPU and WGSL) take it. */
export interface QuantizedOutput {
  output: QGemmOutput;
  /** Per tensor (1) or per channel; null for 'int32'. */
  mult: Float32Array | null;
  outZeroPoint: number;
  outMin: number;
  outMax: number;
  fmin: number;
  fmax: number;
  /** The result's quantization parameters: none for 'float32', nor for 'int32' without a.scale. */
  quant: QuantParams | undefined;
}

/**
 * Checks the output options against the activations `a` (named `aName`,
 * per-tensor scale) and the weights' scales; per-channel scales of an int32
 * result run along its `channelAxis`.
 */
function quantizedOutput(aName: string, a: Omit<Tensor<'uint8'>, 'data'>, weights: MultiplierSource, options: QuantizedOutputOptions,
  channelAxis: number): QuantizedOutput {
  const output = checkOneOf('options.output', options.output ?? 'int32', ['int32', 'uint8', 'int8', 'float32'] as const);
  const stage = { output, mult: null as Float32Array | null, outZeroPoint: 0, outMin: 0, outMax: 0, fmin: -Infinity, fmax: Infinity };
  if (output === 'int32') {
    if (options.activation !== undefined && options.activation !== 'none') typeFail('options.activation', "is not applied to 'int32' output");
    // The result carries its own copy of the accumulator scales.
    const scales = a.scale === undefined ? undefined : multipliers(checkScale(`${aName}.scale`, a.scale), weights, undefined).slice();
    return { ...stage, quant: scales && (scales.length === 1 ? { scale: scales[0] } : { scale: scales, axis: channelAxis }) };
  }
  if (a.scale === undefined) typeFail(`${aName}.scale`, `is required for '${output}' output`);
  const aScale = checkScale(`${aName}.scale`, a.scale);
  const range = activationRange('options.activation', options.activation);
  if (output === 'float32') return { ...stage, mult: multipliers(aScale, weights, undefined), fmin: range.min, fmax: range.max, quant: undefined };
  if (options.outScale === undefined) typeFail('options.outScale', `is required for '${output}' output`);
  const outScale = checkScale('options.outScale', options.outScale);
  const outZeroPoint = checkZeroPoint('options.outZeroPoint', options.outZeroPoint ?? 0, output);
  const q = Q_RANGE[output as QType];
  return {
    ...stage,
    mult: multipliers(aScale, weights, outScale),
    outZeroPoint,
    // The real-valued clamp quantized like any value (ReLU: exactly the zero point).
    outMin: saturateRound(Math.fround(range.min / outScale), outZeroPoint, q.min, q.max),
    outMax: saturateRound(Math.fround(range.max / outScale), outZeroPoint, q.min, q.max),
    quant: { scale: outScale, zeroPoint: outZeroPoint },
  };
}

/** The per-tensor activation zero point of `a` (named `name`), default 0. */
function activationZeroPoint(name: string, a: Omit<Tensor<'uint8'>, 'data'>): number {
  if (a.axis !== undefined) typeFail(`${name}.axis`, 'must be undefined: activations are quantized per tensor');
  if (a.zeroPoint !== undefined && typeof a.zeroPoint !== 'number') typeFail(`${name}.zeroPoint`, 'must be a number');
  return checkZeroPoint(`${name}.zeroPoint`, a.zeroPoint ?? 0, 'uint8');
}

/** A quantized product's call, checked: activation zero point, bias, variant and output stage. */
export interface QuantizedProductPlan extends QuantizedOutput {
  aZeroPoint: number;
  bias: Int32Array | undefined;
  variant: string | null;
}

/**
 * What qgemm, qspmm and the int8 conv check and derive alike, on every
 * backend, in the order their errors are reported: output kind, activation
 * zero point, bias (one per output channel: `channels`), variant, then the
 * output stage (per-channel int32 scales along the result's `channelAxis`).
 */
export function planQuantizedProduct(aName: string, a: Omit<Tensor<'uint8'>, 'data'>, weights: MultiplierSource,
  options: QuantizedOutputOptions & { variant?: unknown }, channels: number, channelAxis: number): QuantizedProductPlan {
  checkOneOf('options.output', options.output ?? 'int32', ['int32', 'uint8', 'int8', 'float32'] as const);
  const aZeroPoint = activationZeroPoint(aName, a);
  const bias = checkBias(options.bias, 'int32', channels);
  const variant = checkVariant(options);
  return { aZeroPoint, bias, variant, ...quantizedOutput(aName, a, weights, options, channelAxis) };
}
