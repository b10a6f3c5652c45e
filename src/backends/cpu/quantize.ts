/**
 * Element-wise quantization kernels, exactly as ONNX QuantizeLinear /
 * DequantizeLinear define them (round half to even, saturate), per tensor or
 * per axis, plus the min/max scan and scale choice used by calibration.
 */
import { refDequantize, refMinmax, refQuantize, refRequantize } from '../reference/quantize.js';
import { roundHalfEven, saturateRound } from '../../ops/round.js';
import { planDequantize, planQuantize, planRequantize, type QuantizeArgs, type RequantizeArgs } from '../../ops/quantize.js';
import { checkVariant } from '../../ops/variant.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native } from '../../native.js';
import { Q_RANGE, sizeOf, type QType, type Tensor } from '../../tensor.js';
import {
  axisView, checkAxis, checkBoolean, checkDisjoint, checkObject, checkOneOf, checkTensor, checkTensorShape, fail, outputTensor, typeFail,
} from '../../validate.js';

export interface QuantizeOptions extends QuantizeArgs {
  variant?: string;
  /** Write the result here (reused storage of the right type and size). */
  out?: Uint8Array | Int8Array;
}

/** A quantize or dequantize call validated once for tensors of one shape: run() checks only the two arrays. */
export interface ElementwisePlan<X, Y> {
  /** The result's type, dims and quantization (as the one-shot call's result tensor). */
  readonly result: Omit<Tensor, 'data'>;
  /** The planned call on x into y (of the result's type and x's size, not overlapping x). */
  run(x: X, y: Y): void;
}

/** Checks a planned element-wise call's arrays: x of `X` and y of `Y`, both of `size` elements, apart. */
function checkPlanned(x: ArrayBufferView & { length: number }, y: ArrayBufferView & { length: number }, size: number,
  X: new (n: number) => ArrayBufferView, Y: new (n: number) => ArrayBufferView): void {
  if (!(x instanceof X) || x.length !== size) fail('x', `must be a ${X.name} of ${size} values, as planned`);
  if (!(y instanceof Y) || y.length !== size) fail('y', `must be a ${Y.name} of ${size} values`);
  checkDisjoint('y', y, 'x', x);
}

export interface PlanQuantizeOptions extends Omit<QuantizeOptions, 'out'> {
  /**
   * x is an NCHW image [N, C, H, W] and the result its NHWC bytes [N, H, W, C]
   * (QuantizeLinear then the transpose, in one pass that reads the floats
   * once); per tensor or per channel (axis 1, which becomes the result's axis 3).
   */
  channelsLast?: boolean;
}

/** The NHWC layout of an NCHW quantize: the kernel's [outer, channels, inner] view and the result's dims and quantization. */
function channelsLastShape(dims: readonly number[], axis: number | undefined) {
  if (dims.length !== 4) fail('x.dims', `must be [N, C, H, W] with options.channelsLast, got [${dims.join(', ')}]`);
  if (axis !== undefined && axis !== 1) fail('options.axis', `must be 1 (the channels) with options.channelsLast, got ${axis}`);
  const [n, c, h, w] = dims;
  return { view: { outer: n, channels: c, inner: h * w }, dims: [n, h, w, c], axis: axis === undefined ? undefined : 3 };
}

/**
 * Validates a quantize call for tensors of `x`'s dims (no data needed) once,
 * for many runs; the addon reads its options once too (planQuantize).
 * @throws TypeError/RangeError naming the bad argument, as quantize does.
 */
export function planQuantizeCall(x: Omit<Tensor<'float32'>, 'data'>, options: PlanQuantizeOptions): ElementwisePlan<Float32Array, Uint8Array | Int8Array> {
  const { dims } = checkTensorShape('x', x, ['float32']);
  const { type, scales, zeroPoints, quant, view: rows } = planQuantize(dims, options);
  const channelsLast = options.channelsLast !== undefined && checkBoolean('options.channelsLast', options.channelsLast);
  const nhwc = channelsLast ? channelsLastShape(dims, options.axis) : undefined;
  const v = nhwc ? nhwc.view : rows;
  const variant = checkVariant(options);
  const size = sizeOf(dims);
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQuantize({ variant, ...v, scales, zeroPoints, yType: type, channelsLast });
  const [s, z] = [Float32Array.from(scales), Int32Array.from(zeroPoints)];
  const Y = type === 'uint8' ? Uint8Array : Int8Array;
  return {
    result: nhwc ? { type, dims: nhwc.dims, ...quant, ...(nhwc.axis === undefined ? {} : { axis: nhwc.axis }) } : { type, dims: [...dims], ...quant },
    run(xData, y) {
      checkPlanned(xData, y, size, Float32Array, Y);
      if (plan) addon!.runPlan(plan, xData, y);
      else if (nhwc) refQuantizeChannelsLast(xData, y, nhwc.view, s, z);
      else refQuantize(xData, y, v, s, z);
    },
  };
}

/** The oracle of a channels-last plan: refQuantize on [outer, channels, inner], then each image's [channels, inner] transposed. */
function refQuantizeChannelsLast(x: Float32Array, y: Uint8Array | Int8Array, v: { outer: number; channels: number; inner: number }, s: Float32Array, z: Int32Array): void {
  const q = new (y.constructor as Uint8ArrayConstructor | Int8ArrayConstructor)(y.length);
  refQuantize(x, q, v, s, z);
  const { outer, channels, inner } = v, plane = channels * inner;
  for (let n = 0; n < outer; n++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < inner; p++) y[n * plane + p * channels + c] = q[n * plane + c * inner + p];
}

/**
 * Validates a dequantize call for tensors like `x` (type, dims, quantization;
 * no data needed) once, for many runs (the addon's planDequantize).
 * @throws TypeError/RangeError naming the bad argument, as dequantize does.
 */
export function planDequantizeCall(x: Omit<Tensor<QType>, 'data'>, options: Omit<DequantizeOptions, 'out'> = {}): ElementwisePlan<Uint8Array | Int8Array, Float32Array> {
  const shape = checkTensorShape('x', x, ['uint8', 'int8']);
  checkObject('options', options);
  const { scales, zeroPoints, view: v } = planDequantize(shape);
  const variant = checkVariant(options);
  const size = sizeOf(shape.dims);
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planDequantize({ variant, ...v, scales, zeroPoints, xType: shape.type });
  const [s, z] = [Float32Array.from(scales), Int32Array.from(zeroPoints)];
  const X = shape.type === 'uint8' ? Uint8Array : Int8Array;
  return {
    result: { type: 'float32', dims: [...shape.dims] },
    run(xData, y) {
      checkPlanned(xData, y, size, X, Float32Array);
      if (plan) addon!.runPlan(plan, xData, y);
      else refDequantize(xData, y, v, s, z);
    },
  };
}

export interface RequantizeOptions extends RequantizeArgs {
  variant?: string;
  /** Write the result here (reused storage of the output type and the tensor's size). */
  out?: Uint8Array | Int8Array | Float32Array;
}

function quantizeCall(xIn: Tensor<'float32'>, options: QuantizeOptions): CpuCall<Tensor<QType>> {
  const x = checkTensor('x', xIn, ['float32']);
  const { type, scales, zeroPoints, quant, view: v } = planQuantize(x.dims, options);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, { 'x.data': x.data }, type, x.dims, quant);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.quantize({ variant, x: x.data, y: y.data, ...v, scales, zeroPoints, async }),
    reference: () => refQuantize(x.data, y.data, v, scales, zeroPoints),
  };
}

export function quantize(x: Tensor<'float32'>, options: QuantizeOptions): Tensor<QType> {
  return runSync(quantizeCall(x, options));
}

export async function quantizeAsync(x: Tensor<'float32'>, options: QuantizeOptions): Promise<Tensor<QType>> {
  return runAsync(quantizeCall(x, options));
}

export interface DequantizeOptions {
  variant?: string;
  /** Write the result here (a Float32Array of the tensor's size). */
  out?: Float32Array;
}

function dequantizeCall(xIn: Tensor<QType>, options: DequantizeOptions = {}): CpuCall<Tensor<'float32'>> {
  const x = checkTensor('x', xIn, ['uint8', 'int8']);
  checkObject('options', options);
  const { scales, zeroPoints, view: v } = planDequantize(x);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, { 'x.data': x.data }, 'float32', x.dims);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.dequantize({ variant, x: x.data, y: y.data, ...v, scales, zeroPoints, async }),
    reference: () => refDequantize(x.data, y.data, v, scales, zeroPoints),
  };
}

export function dequantize(x: Tensor<QType>, options?: DequantizeOptions): Tensor<'float32'> {
  return runSync(dequantizeCall(x, options));
}

export async function dequantizeAsync(x: Tensor<QType>, options?: DequantizeOptions): Promise<Tensor<'float32'>> {
  return runAsync(dequantizeCall(x, options));
}

function requantizeCall(accIn: Tensor<'int32'>, options: RequantizeOptions): CpuCall<Tensor> {
  const acc = checkTensor('acc', accIn, ['int32']);
  const { type, view: v, bias, range, multipliers, zeroPoint, outMin, outMax, quant } = planRequantize(acc, options);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, { 'acc.data': acc.data, 'options.bias': bias }, type, acc.dims, quant);
  const zeroPoints = Int32Array.of(zeroPoint);
  const out = y.data as Uint8Array | Int8Array | Float32Array;
  return {
    result: y,
    empty: out.length === 0,
    native: (addon, async) =>
      addon.requantize({
        variant, acc: acc.data, y: out, ...v, multipliers, bias: bias ?? null, zeroPoints,
        outMin, outMax, fmin: range.min, fmax: range.max, async,
      }),
    reference: () =>
      refRequantize(acc.data, out, v, { multipliers, bias, zeroPoints, outMin, outMax, fmin: range.min, fmax: range.max }),
  };
}

export function requantize(acc: Tensor<'int32'>, options: RequantizeOptions): Tensor {
  return runSync(requantizeCall(acc, options));
}

export async function requantizeAsync(acc: Tensor<'int32'>, options: RequantizeOptions): Promise<Tensor> {
  return runAsync(requantizeCall(acc, options));
}

export interface MinMax {
  /** One value per index of `axis` (one value when no axis). */
  min: Float32Array;
  max: Float32Array;
}

function minmaxCall(xIn: Tensor<'float32'>, options: { axis?: number; variant?: string } = {}): CpuCall<MinMax> {
  const x = checkTensor('x', xIn, ['float32']);
  checkObject('options', options);
  const axis = options.axis === undefined ? undefined : checkAxis('options.axis', options.axis, x.dims.length);
  const variant = checkVariant(options);
  const v = axisView(x.dims, axis);
  const result = { min: new Float32Array(v.channels), max: new Float32Array(v.channels) };
  return {
    result,
    empty: v.channels === 0,
    native: (addon, async) => addon.minmax({ variant, x: x.data, ...v, min: result.min, max: result.max, async }),
    reference: () => {
      const r = refMinmax(x.data, v);
      result.min.set(r.min);
      result.max.set(r.max);
    },
  };
}

/** Minimum and maximum ignoring NaN, per tensor or per axis (for calibration). */
export function minmax(x: Tensor<'float32'>, options?: { axis?: number; variant?: string }): MinMax {
  return runSync(minmaxCall(x, options));
}

export async function minmaxAsync(x: Tensor<'float32'>, options?: { axis?: number; variant?: string }): Promise<MinMax> {
  return runAsync(minmaxCall(x, options));
}

export interface QuantParamsOptions {
  type: QType;
  /** Zero point fixed at the middle of the range (0 for int8, 128 for uint8) and the range symmetric: the usual choice for weights. */
  symmetric?: boolean;
  /**
   * Use 7 bits ([-64, 64] for int8 weights, [0, 127] for uint8), as
   * onnxruntime's reduce_range: int8 weights then take the fast, exact AVX2
   * kernel (see PackedWeights.narrow).
   */
  reduceRange?: boolean;
}

/**
 * The integer range onnxruntime's quantization tool maps a range onto
 * (get_qmin_qmax_for_qType): symmetric int8 leaves out -128 so that 0 sits
 * in the middle; reduceRange is 7 bits, [-64, 64] for int8 (the fast AVX2
 * kernel's narrow weights) and [0, 127] for uint8.
 */
function quantRange(type: QType, symmetric: boolean, reduce: boolean): { min: number; max: number } {
  if (reduce) return type === 'uint8' ? { min: 0, max: 127 } : { min: -64, max: 64 };
  return type === 'int8' && symmetric ? { min: -127, max: 127 } : Q_RANGE[type];
}

/**
 * Scale and zero point covering [min, max] (and always 0, so zero is exact),
 * as onnxruntime's quantization tool chooses them (compute_scale_zp). A zero
 * range gives scale 1.
 */
export function chooseQuantParams(min: number, max: number, options: QuantParamsOptions): { scale: number; zeroPoint: number } {
  if (typeof min !== 'number' || Number.isNaN(min)) typeFail('min', 'must be a number');
  if (typeof max !== 'number' || Number.isNaN(max)) typeFail('max', 'must be a number');
  if (!(min <= max)) fail('min', `must be <= max, got ${min} > ${max}`);
  if (!Number.isFinite(min) || !Number.isFinite(max)) fail('min', 'and max must be finite');
  checkObject('options', options);
  const type = checkOneOf('options.type', options.type, ['uint8', 'int8'] as const);
  const symmetric = options.symmetric === undefined ? false : checkBoolean('options.symmetric', options.symmetric);
  const reduce = options.reduceRange === undefined ? false : checkBoolean('options.reduceRange', options.reduceRange);
  const { min: qmin, max: qmax } = quantRange(type, symmetric, reduce);
  // onnxruntime's compute_scale_zp: the range always holds 0; symmetric makes it [-a, a].
  const absMax = Math.max(Math.abs(min), Math.abs(max));
  const rmin = symmetric ? -absMax : Math.min(min, 0), rmax = symmetric ? absMax : Math.max(max, 0);
  const scale = Math.fround((rmax - rmin) / (qmax - qmin));
  // Symmetric: the middle of the integer range whatever the scale (0 or 128, 64 reduced), as the tool takes it.
  const middle = roundHalfEven((qmin + qmax) / 2);
  if (!(scale > 0)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? middle : saturateRound(Math.fround(qmin - rmin / scale), 0, qmin, qmax);
  return { scale, zeroPoint };
}
