/**
 * 2-D max pooling of NCHW or NHWC tensors (float32, and the uint8/int8
 * values of QDQ models: max commutes with dequantization), undilated windows.
 */
import { refMaxPool, refMaxPoolGradNhwc, refMaxPoolNhwc } from '../reference/maxpool.js';
import { maxPoolGeometry, type MaxPoolArgs } from '../../ops/maxpool.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import { sizeOf, type Tensor, type TypedArrayOf } from '../../tensor.js';
import { checkBoolean, checkDisjoint, checkObject, checkOneOf, checkTensor, checkTensorShape, fail, outputTensor } from '../../validate.js';

/** The element types max pooling takes (the runtime's MaxPool nodes check their inputs against the same list). */
export const POOL_TYPES = ['float32', 'uint8', 'int8'] as const;
export type PoolType = (typeof POOL_TYPES)[number];

export interface MaxPoolOptions extends MaxPoolArgs {
  /**
   * Force one variant by name (tests, benchmarks); default: the best for this CPU. NCHW: an f32-maxpool
   * variant, which differ on float32 2x2 stride-2 unpadded windows only (other shapes and types run the
   * portable kernel); NHWC: an f32-maxpool-nhwc variant (every shape and type).
   */
  variant?: string;
  /** 'nchw' (default): x is [N, C, H, W]; 'nhwc': x is [N, H, W, C] (channels last) and so is the result. */
  layout?: 'nchw' | 'nhwc';
  /** Write the result here (reused storage of the input's type and the result's size). */
  out?: Float32Array | Uint8Array | Int8Array;
}

function maxPoolCall(xIn: Tensor<PoolType>, options: MaxPoolOptions): CpuCall<Tensor<PoolType>> {
  const x = checkTensor('x', xIn, POOL_TYPES, 4);
  const nhwc = checkOneOf('options.layout', options?.layout ?? 'nchw', ['nchw', 'nhwc']) === 'nhwc';
  if (nhwc) return maxPoolNhwcCall(x, options);
  const g = maxPoolGeometry(x.dims, options);
  const variant = checkVariant(options);
  if (x.axis !== undefined && x.axis > 1) fail('x.axis', `(${x.axis}) must be the batch or channel axis: pooling changes the spatial sizes`);
  const quant = x.type === 'float32' ? undefined : { scale: x.scale, zeroPoint: x.zeroPoint, axis: x.axis };
  const y = outputTensor(options.out, { 'x.data': x.data }, x.type, [x.dims[0], x.dims[1], g.outH, g.outW], quant);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) =>
      addon.maxPool({
        variant, x: x.data, y: y.data, planes: g.planes, height: g.height, width: g.width, kernelH: g.kernelH,
        kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH,
        outW: g.outW, async,
      }),
    reference: () => refMaxPool(x.data, y.data, g),
  };
}

/** The channels-last form: x [N, H, W, C] -> [N, outH, outW, C] on f32-maxpool-nhwc. */
function maxPoolNhwcCall(x: Tensor<PoolType>, options: MaxPoolOptions): CpuCall<Tensor<PoolType>> {
  const [n, height, width, channels] = x.dims;
  const g = maxPoolGeometry([n, channels, height, width], options);
  const variant = checkVariant(options);
  if (x.axis !== undefined && x.axis !== 0 && x.axis !== 3) fail('x.axis', `(${x.axis}) must be the batch or channel axis (0 or 3 in NHWC): pooling changes the spatial sizes`);
  const quant = x.type === 'float32' ? undefined : { scale: x.scale, zeroPoint: x.zeroPoint, axis: x.axis };
  const y = outputTensor(options.out, { 'x.data': x.data }, x.type, [n, g.outH, g.outW, channels], quant);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) =>
      addon.maxPoolNhwc({
        variant, x: x.data, y: y.data, images: n, height, width, channels, kernelH: g.kernelH, kernelW: g.kernelW,
        strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, async,
      }),
    reference: () => refMaxPoolNhwc(x.data, y.data, n, channels, g),
  };
}

/**
 * NCHW x -> [N, C, outH, outW] (options.layout 'nhwc': [N, H, W, C] -> [N, outH, outW, C]), the max of each window (positions in the
 * padding skipped; NaN never wins, so a window of only NaN gives -Infinity).
 * The output sizes are onnxruntime's MaxPool's (pooledSize): a window larger
 * than the padded input pools what it covers, and outH or outW may be 0.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function maxPool<T extends PoolType>(x: Tensor<T>, options: MaxPoolOptions): Tensor<T> {
  return runSync(maxPoolCall(x, options)) as Tensor<T>;
}

export async function maxPoolAsync<T extends PoolType>(x: Tensor<T>, options: MaxPoolOptions): Promise<Tensor<T>> {
  return (await runAsync(maxPoolCall(x, options))) as Tensor<T>;
}

/** A channels-last max pool planned for one input shape and type: run() checks only its two arrays. */
export interface MaxPoolNhwcPlan<T extends PoolType> {
  /** The result's dims [N, outH, outW, C]. */
  readonly dims: readonly [number, number, number, number];
  /** The planned pool of x (the planned dims' size) into y (the result's size, sharing no memory with x). */
  run(x: TypedArrayOf<T>, y: TypedArrayOf<T>): void;
}

/**
 * cpu.maxPool(x, { ...options, layout: 'nhwc' }) for x of `x`'s type and dims [N, H, W, C], checked and read by the
 * addon once (planMaxPoolNhwc), so a run is one native call on the arrays: what the runtime's per-node calls want at
 * batch 1. Results equal the one-shot call's.
 * @throws TypeError/RangeError naming the bad argument, as cpu.maxPool does.
 */
export function planMaxPoolNhwc<T extends PoolType>(x: Omit<Tensor<T>, 'data'>, options: Omit<MaxPoolOptions, 'out' | 'layout'>): MaxPoolNhwcPlan<T> {
  const { type, dims: xDims } = checkTensorShape('x', x, POOL_TYPES, 4);
  const [n, height, width, channels] = xDims;
  const g = maxPoolGeometry([n, channels, height, width], options);
  const variant = checkVariant(options);
  const dims = [n, g.outH, g.outW, channels] as const;
  const [xSize, size] = [sizeOf(xDims), sizeOf(dims)];
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planMaxPoolNhwc({
    variant, type, images: n, height, width, channels, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH,
    strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
  });
  const check = (name: string, array: unknown, length: number) => {
    if (!(array instanceof ARRAYS[type]) || array.length !== length) fail(name, `must be a ${ARRAYS[type].name} of ${length} values, as planned`);
  };
  return {
    dims,
    run(xData, y) {
      check('x', xData, xSize);
      check('y', y, size);
      checkDisjoint('y', y, 'x', xData);
      if (plan) addon!.runPlan(plan, xData, y);
      else if (size > 0) refMaxPoolNhwc(xData, y, n, channels, g);
    },
  };
}

const ARRAYS = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array } as const;

export interface MaxPoolGradNhwcOptions {
  /** Pass nothing from windows whose maximum is not > 0 (a pool over a ReLU's output, the ReLU's backward fused in); default false. */
  positiveOnly?: boolean;
  /** Force one f32-maxpool-grad-nhwc variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write dx here (reused storage of x's size, sharing no memory with the inputs). */
  out?: Float32Array;
}

/**
 * dx [N, H, W, C] of a 2x2 stride-2 unpadded max pool of NHWC x [N, H, W, C], from its output y and the gradient dy
 * [N, floor(H / 2), floor(W / 2), C]: dy + 0 (what += adds to a zero) at each window's first input (row-major) equal to
 * its maximum, +0 elsewhere (NaN maxima pass nothing). Every dx value is written.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function maxPoolGradNhwc(xIn: Tensor<'float32'>, yIn: Tensor<'float32'>, dyIn: Tensor<'float32'>, options: MaxPoolGradNhwcOptions = {}): Tensor<'float32'> {
  const x = checkTensor('x', xIn, ['float32'], 4);
  checkObject('options', options);
  const [n, height, width, channels] = x.dims;
  const dims = [n, Math.floor(height / 2), Math.floor(width / 2), channels];
  for (const [name, t] of [['y', yIn], ['dy', dyIn]] as const) {
    const v = checkTensor(name, t, ['float32'], 4);
    if (v.dims.some((d, i) => d !== dims[i])) fail(`${name}.dims`, `must be [${dims.join(', ')}] (x's 2x2 stride-2 pool), got [${v.dims.join(', ')}]`);
  }
  const positiveOnly = options.positiveOnly === undefined ? false : checkBoolean('options.positiveOnly', options.positiveOnly);
  const variant = checkVariant(options);
  const dx = outputTensor(options.out, { 'x.data': x.data, 'y.data': yIn.data, 'dy.data': dyIn.data }, 'float32', x.dims);
  const reference = () => refMaxPoolGradNhwc(x.data, yIn.data, dyIn.data, dx.data, n, height, width, channels, positiveOnly);
  // Without windows dx is all +0: the reference's fill, never the kernel (which writes only through windows).
  return runSync({
    result: dx,
    empty: dx.data.length === 0,
    native: sizeOf(dims) === 0 ? null : (addon, async) =>
      addon.maxPoolGradNhwc({ variant, x: x.data, y: yIn.data, dy: dyIn.data, dx: dx.data, images: n, height, width, channels, positiveOnly, async }),
    reference,
  });
}
