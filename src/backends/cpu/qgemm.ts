/**
 * qgemm: uint8 activations x int8 (or uint8) weights with exact int32
 * accumulation, returning the raw int32 sums or, fused, the requantized
 * uint8/int8 tensor (ONNX QLinearMatMul) or the dequantized float32 one.
 */
import { refQGemmInt32, refQGemmOutput } from '../reference/qgemm.js';
import { saturateRound } from '../../ops/round.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native, type NativeAddon } from '../../native.js';
import { Q_RANGE, type QType, type Tensor } from '../../tensor.js';
import {
  checkBias, checkNoOverlap, checkObject, checkOneOf, checkScale, checkTensor, checkTensorShape, checkZeroPoint, fail, outputTensor, typeFail, type Reads,
} from '../../validate.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { asPacked } from './gemm.js';
import { checkVariant } from '../../ops/variant.js';
import type { PackedWeights } from './pack.js';

export type QGemmOutput = 'int32' | 'uint8' | 'int8' | 'float32';

export interface QGemmOptions {
  /** Result type (default 'int32'). uint8/int8 need outScale (and outZeroPoint); uint8/int8/float32 need a.scale and weight scales. */
  output?: QGemmOutput;
  /** [N] int32 values added to the accumulators (ONNX-style bias at scale a.scale * b.scale). */
  bias?: Int32Array;
  outScale?: number;
  outZeroPoint?: number;
  /** Clamp in real units, fused into the output (ReLU: the zero point becomes the minimum). Not for 'int32'. */
  activation?: Activation;
  /** Force one kernel variant by name (tests, benchmarks); default: the best exact one. */
  variant?: string;
  /** Write the [M, N] result here (typed array of the output type; must not overlap the inputs). */
  out?: Int32Array | Uint8Array | Int8Array | Float32Array;
}

export type QGemmWeights = Tensor<'int8' | 'uint8'> | PackedWeights;

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

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

/** The resolved output stage of a quantized product and its result tensor. */
export interface QOutputStage {
  output: QGemmOutput;
  /** Per tensor (1) or per channel; null for 'int32'. */
  mult: Float32Array | null;
  outZeroPoint: number;
  outMin: number;
  outMax: number;
  fmin: number;
  fmax: number;
  result: Tensor;
}

/**
 * Validates the output options of qgemm/qspmm against the activations `a`
 * (named `aName`, per-tensor scale) and the weights' scales, and allocates
 * the result of `dims` (or takes options.out, which must not overlap the
 * arrays the call `reads`), whose per-channel scales run along `channelAxis`.
 */
function qOutputStage(aName: string, a: Omit<Tensor<'uint8'>, 'data'>, weights: MultiplierSource, options: QGemmOptions,
  dims: [number, number], channelAxis: 0 | 1, reads: Reads): QOutputStage {
  const output = checkOneOf('options.output', options.output ?? 'int32', ['int32', 'uint8', 'int8', 'float32'] as const);
  let mult: Float32Array | null = null;
  let outZeroPoint = 0, outMin = 0, outMax = 0;
  let fmin = -Infinity, fmax = Infinity;
  let result: Tensor;
  if (output === 'int32') {
    if (options.activation !== undefined && options.activation !== 'none') typeFail('options.activation', "is not applied to 'int32' output");
    // The result carries its own copy of the accumulator scales.
    const scales = a.scale === undefined ? undefined : multipliers(checkScale(`${aName}.scale`, a.scale), weights, undefined).slice();
    result = outputTensor(options.out, reads, 'int32', dims, scales && (scales.length === 1 ? { scale: scales[0] } : { scale: scales, axis: channelAxis }));
  } else {
    if (a.scale === undefined) typeFail(`${aName}.scale`, `is required for '${output}' output`);
    const aScale = checkScale(`${aName}.scale`, a.scale);
    const range = activationRange('options.activation', options.activation);
    if (output === 'float32') {
      mult = multipliers(aScale, weights, undefined);
      fmin = range.min;
      fmax = range.max;
      result = outputTensor(options.out, reads, 'float32', dims);
    } else {
      if (options.outScale === undefined) typeFail('options.outScale', `is required for '${output}' output`);
      const outScale = checkScale('options.outScale', options.outScale);
      outZeroPoint = checkZeroPoint('options.outZeroPoint', options.outZeroPoint ?? 0, output);
      mult = multipliers(aScale, weights, outScale);
      const q = Q_RANGE[output as QType];
      // The real-valued clamp quantized like any value (ReLU: exactly the zero point).
      outMin = saturateRound(Math.fround(range.min / outScale), outZeroPoint, q.min, q.max);
      outMax = saturateRound(Math.fround(range.max / outScale), outZeroPoint, q.min, q.max);
      result = outputTensor(options.out, reads, output as QType, dims, { scale: outScale, zeroPoint: outZeroPoint });
    }
  }
  return { output, mult, outZeroPoint, outMin, outMax, fmin, fmax, result };
}

/** The per-tensor activation zero point of `a` (named `name`), default 0. */
function activationZeroPoint(name: string, a: Omit<Tensor<'uint8'>, 'data'>): number {
  if (a.axis !== undefined) typeFail(`${name}.axis`, 'must be undefined: activations are quantized per tensor');
  if (a.zeroPoint !== undefined && typeof a.zeroPoint !== 'number') typeFail(`${name}.zeroPoint`, 'must be a number');
  return checkZeroPoint(`${name}.zeroPoint`, a.zeroPoint ?? 0, 'uint8');
}

/**
 * What qgemm and qspmm check and derive alike, in the order their errors are
 * reported: output kind, activation zero point, bias (one per output
 * channel: dims[channelAxis]), variant, then the output stage. options.out
 * must not overlap the arrays the call `reads` (the bias joins them).
 */
export function quantizedCallParams(aName: string, a: Omit<Tensor<'uint8'>, 'data'>, weights: MultiplierSource, options: QGemmOptions,
  dims: [number, number], channelAxis: 0 | 1, reads: Reads) {
  checkOneOf('options.output', options.output ?? 'int32', ['int32', 'uint8', 'int8', 'float32'] as const);
  const aZeroPoint = activationZeroPoint(aName, a);
  const bias = checkBias(options.bias, 'int32', dims[channelAxis]);
  const variant = checkVariant(options);
  return { aZeroPoint, bias, variant, ...qOutputStage(aName, a, weights, options, dims, channelAxis, { ...reads, 'options.bias': bias }) };
}

/** A validated qgemm call with its operand arrays left open. */
interface QGemmSetup {
  result: Tensor;
  /** The arrays besides a the call reads (weights, bias), which out must not overlap. */
  reads: Reads;
  /** Null for empty weights (see CpuCall.native). */
  native: ((addon: NativeAddon, a: Uint8Array, out: Out, async: boolean) => Promise<void> | undefined) | null;
  reference(a: Uint8Array, out: Out): void;
}

/**
 * Validates a call for a (named `aName`, already checked: type and dims; its
 * data, when given, among the arrays out must not overlap) and returns it
 * with its operand arrays left open.
 */
function qgemmSetup(aName: string, a: Omit<Tensor<'uint8'>, 'data'> & { data?: Uint8Array }, bIn: QGemmWeights, options: QGemmOptions = {}): QGemmSetup {
  checkObject('options', options);
  const [m, k] = a.dims;
  const b = asPacked('b', bIn, ['int8', 'uint8'], k);
  const n = b.n;
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, result: c } =
    quantizedCallParams(aName, a, b, options, [m, n], 1, { [`${aName}.data`]: a.data, b: b.source.data });
  const handle = b.handle;
  return {
    result: c,
    reads: { b: b.source.data, 'options.bias': bias },
    native: handle && ((addon, aData, out, async) =>
      addon.qu8s8Gemm({
        variant, weights: handle, a: aData, m, lda: k, aZeroPoint,
        output, c: out, ldc: n, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax, async,
      })),
    reference: (aData, out) => {
      const acc = refQGemmInt32({ m, n, k, a: aData, aZeroPoint, b: b.source.data as Uint8Array | Int8Array, bZeroPoints: b.zeroPoints });
      refQGemmOutput(acc, n, out, { multipliers: mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax });
    },
  };
}

/**
 * @internal A qgemm call; `aName` names the activations in errors (linear()
 * runs its x, transposed, through here).
 */
export function qgemmCall(aIn: Tensor<'uint8'>, b: QGemmWeights, options: QGemmOptions = {}, aName = 'a'): CpuCall<Tensor> {
  const a = checkTensor(aName, aIn, ['uint8'], 2);
  const setup = qgemmSetup(aName, a, b, options);
  const out = setup.result.data as Out;
  const run = setup.native;
  return {
    result: setup.result,
    empty: out.length === 0,
    native: run && ((addon, async) => run(addon, a.data, out, async)),
    reference: () => setup.reference(a.data, out),
  };
}

/** A qgemm call validated once for activations of one shape and quantization: run() checks only the arrays. */
export interface QGemmPlan {
  /** The result's dims, type and quantization (as qgemm's result tensor). */
  readonly result: Omit<Tensor, 'data'>;
  run(a: Uint8Array, out: Out): void;
}

/**
 * Validates a qgemm call for activations like `a` (dims and quantization;
 * no data needed) once, for many runs.
 * @throws TypeError/RangeError naming the bad argument, as qgemm does.
 */
export function planQGemm(a: Omit<Tensor<'uint8'>, 'data'>, b: QGemmWeights, options: QGemmOptions = {}): QGemmPlan {
  const setup = qgemmSetup('a', checkTensorShape('a', a, ['uint8'], 2), b, { ...options, out: undefined });
  const { data: _data, ...result } = setup.result;
  const [m, k] = a.dims, size = setup.result.data.length;
  const type = setup.result.data.constructor as new (n: number) => Out;
  return {
    result,
    run(aData, out) {
      if (!(aData instanceof Uint8Array) || aData.length !== m * k) fail('a', `must be a Uint8Array of ${m * k} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkNoOverlap('out', out, { a: aData, ...setup.reads });
      if (size === 0) return;
      const addon = setup.native && native();
      if (addon) setup.native!(addon, aData, out, false);
      else setup.reference(aData, out);
    },
  };
}

/**
 * Quantized GEMM on the calling thread.
 * @param a uint8 [M, K] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`
 * @param b int8/uint8 [K, N] with per-tensor or per-column (axis 1) scale and zero point, or packWeights() of it
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qgemm(a: Tensor<'uint8'>, b: QGemmWeights, options?: QGemmOptions): Tensor {
  return runSync(qgemmCall(a, b, options));
}

/** qgemm on a worker thread; inputs must not change until the promise settles. */
export async function qgemmAsync(a: Tensor<'uint8'>, b: QGemmWeights, options?: QGemmOptions): Promise<Tensor> {
  return runAsync(qgemmCall(a, b, options));
}

