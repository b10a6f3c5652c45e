/**
 * qdwconv2d: depthwise 2-D convolution of uint8 NCHW images with symmetric
 * int8 weights [C * M, 1, KH, KW] (group = C, M output channels per channel),
 * exact int32 sums returned raw (ConvInteger) or, fused, requantized to
 * uint8/int8 (QLinearConv) or dequantized to float32, as qgemm's output
 * stage does; dwconv2d's float32 counterpart. Any kernel, stride, dilation
 * and padding (padding reads as the zero point). Native: kernels/qu8s8-dwconv2d.
 */
import { refQdwconv2dOutput, refQdwconv2dSums } from '../reference/qdwconv2d.js';
import { dwconv2dGeometry, type DwConv2dArgs } from '../../ops/dwconv2d.js';
import { planQuantizedProduct, type MultiplierSource, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native, type NativeAddon } from '../../native.js';
import { TYPED_ARRAY_OF, sizeOf, type QuantParams, type Tensor } from '../../tensor.js';
import { checkNoOverlap, checkObject, checkQuantParams, checkResultSize, checkTensor, checkTensorShape, fail, outputTensor, typeFail, type Reads } from '../../validate.js';

export interface Qdwconv2dOptions extends QuantizedOutputOptions, Omit<DwConv2dArgs, 'group'> {
  /** Force one qu8s8-dwconv2d variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the [N, C, OH, OW] result here (typed array of the output type; must not overlap the inputs). */
  out?: Int32Array | Uint8Array | Int8Array | Float32Array;
}

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

/** The depthwise weights' scales, remembering the last multipliers as other quantized weights do. */
const multiplierSources = new WeakMap<object, MultiplierSource>();

/** w's quantization checked (its dims are dwconv2dGeometry's): zero points 0, scales per tensor or per output channel (axis 0; omitted: 1, for int32 sums). */
function weightScales(w: Tensor<'int8'>): MultiplierSource {
  if (w.axis !== undefined && typeof w.scale === 'number') typeFail('w.scale', 'must be an array when w.axis is set');
  const { scales, zeroPoints, axis } = checkQuantParams('w.', w.scale ?? 1, w.zeroPoint, w.axis, w.dims, 'int8');
  if (axis !== undefined && axis !== 0) typeFail('w.axis', 'must be 0 (per channel) for depthwise weights');
  if (zeroPoints.some((z) => z !== 0)) fail('w.zeroPoint', 'must be 0: qdwconv2d takes symmetric weights (subtract the zero point first)');
  let source = multiplierSources.get(w.data);
  if (!source || source.scales.length !== scales.length || source.scales.some((s, i) => s !== scales[i])) {
    source = { scales };
    multiplierSources.set(w.data, source);
  }
  return source;
}

/** A validated call with its x and output arrays left open. */
interface Qdwconv2dSetup {
  type: 'int32' | 'uint8' | 'int8' | 'float32';
  dims: [number, number, number, number];
  quant: QuantParams | undefined;
  reads: Reads;
  native(addon: NativeAddon, x: Uint8Array, out: Out, async: boolean): Promise<void> | undefined;
  reference(x: Uint8Array, out: Out): void;
}

function qdwconv2dSetup(x: Omit<Tensor<'uint8'>, 'data'>, wIn: Tensor<'int8'>, options: Qdwconv2dOptions): Qdwconv2dSetup {
  checkObject('options', options);
  const w = checkTensor('w', wIn, ['int8'], 4);
  const g = dwconv2dGeometry(x.dims, w.dims, { strides: options.strides, pads: options.pads, dilations: options.dilations });
  const outChannels = g.channels * g.multiplier;
  const q = planQuantizedProduct('x', x, weightScales(w), options, outChannels, 1);
  const dims: [number, number, number, number] = [g.batch, outChannels, g.outH, g.outW];
  const planeOut = g.outH * g.outW;
  return {
    type: q.output,
    dims,
    quant: q.quant,
    reads: { w: w.data, 'options.bias': q.bias },
    native: (addon, xData, out, async) =>
      addon.qu8s8Dwconv2d({
        variant: q.variant, x: xData, w: w.data, batch: g.batch, channels: g.channels, channelMultiplier: g.multiplier, height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW,
        strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft,
        outH: g.outH, outW: g.outW, xZeroPoint: q.aZeroPoint, output: q.output, c: out, ldc: planeOut, bias: q.bias ?? null,
        multiplier: q.mult, outZeroPoint: q.outZeroPoint, outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax, async,
      }),
    reference: (xData, out) =>
      refQdwconv2dOutput(refQdwconv2dSums(g, xData, q.aZeroPoint, w.data), g, out, {
        multipliers: q.mult ?? Float32Array.of(1), bias: q.bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
      }),
  };
}

function qdwconv2dCall(xIn: Tensor<'uint8'>, w: Tensor<'int8'>, options: Qdwconv2dOptions = {}): CpuCall<Tensor> {
  const x = checkTensor('x', xIn, ['uint8'], 4);
  const setup = qdwconv2dSetup(x, w, options);
  const result = outputTensor(options.out, { 'x.data': x.data, ...setup.reads }, setup.type, setup.dims, setup.quant);
  const out = result.data as Out;
  return {
    result,
    empty: out.length === 0,
    native: (addon, async) => setup.native(addon, x.data, out, async),
    reference: () => setup.reference(x.data, out),
  };
}

/** A qdwconv2d call validated once for inputs of one shape and quantization: run() checks only the arrays. */
export interface Qdwconv2dPlan {
  /** The result's dims, type and quantization. */
  readonly result: Omit<Tensor, 'data'>;
  run(x: Uint8Array, out: Out): void;
}

/**
 * Validates a qdwconv2d call for x like `x` (dims and quantization; no data
 * needed) once, for many runs (the runtime's depthwise layers).
 * @throws TypeError/RangeError naming the bad argument, as qdwconv2d does.
 */
export function planQdwconv2d(x: Omit<Tensor<'uint8'>, 'data'>, w: Tensor<'int8'>, options: Qdwconv2dOptions = {}): Qdwconv2dPlan {
  const setup = qdwconv2dSetup(checkTensorShape('x', x, ['uint8'], 4), w, { ...options, out: undefined });
  checkResultSize(setup.dims);
  const xSize = sizeOf(x.dims), size = sizeOf(setup.dims);
  const type = TYPED_ARRAY_OF[setup.type] as new (n: number) => Out;
  return {
    result: { type: setup.type, dims: [...setup.dims], ...setup.quant },
    run(xData, out) {
      if (!(xData instanceof Uint8Array) || xData.length !== xSize) fail('x', `must be a Uint8Array of ${xSize} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkNoOverlap('out', out, { x: xData, ...setup.reads });
      if (size === 0) return;
      const addon = native();
      if (addon) setup.native(addon, xData, out, false);
      else setup.reference(xData, out);
    },
  };
}

/**
 * Depthwise convolution on the calling thread.
 * @param x uint8 [N, C, H, W] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`
 * @param w int8 [C * M, 1, KH, KW] (M output channels per channel, M >= 1), zero point 0, `scale` per tensor or per output channel (`axis: 0`; optional for 'int32')
 * @returns [N, C * M, OH, OW] of options.output's type, OH = floor((H + padTop + padBottom - dilationH * (KH - 1) - 1) / strideH) + 1 (likewise OW)
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qdwconv2d(x: Tensor<'uint8'>, w: Tensor<'int8'>, options?: Qdwconv2dOptions): Tensor {
  return runSync(qdwconv2dCall(x, w, options));
}

/** qdwconv2d on a worker thread; inputs must not change until the promise settles. */
export async function qdwconv2dAsync(x: Tensor<'uint8'>, w: Tensor<'int8'>, options?: Qdwconv2dOptions): Promise<Tensor> {
  return runAsync(qdwconv2dCall(x, w, options));
}
