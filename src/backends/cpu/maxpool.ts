/**
 * 2-D max pooling of NCHW tensors (float32, and the uint8/int8 values of QDQ
 * models: max commutes with dequantization), undilated windows.
 */
import { refMaxPool, type MaxPoolGeometry } from '../reference/maxpool.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import type { Tensor } from '../../tensor.js';
import { checkBoolean, checkDim, checkInt, checkObject, checkTensor, fail, outputTensor, typeFail } from '../../validate.js';

type PoolType = 'float32' | 'uint8' | 'int8';

export interface MaxPoolOptions {
  kernelShape: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them; each smaller than the kernel along its axis. */
  pads?: readonly [number, number, number, number];
  /** Round the output size up (ONNX ceil_mode), dropping a last window that would start in the end padding. */
  ceilMode?: boolean;
  /**
   * Force one f32-maxpool variant by name (tests, benchmarks); default: the best for this CPU. The variants
   * differ on float32 2x2 stride-2 unpadded windows only; other shapes and types run the portable kernel.
   */
  variant?: string;
  /** Write the result here (reused storage of the input's type and the result's size). */
  out?: Float32Array | Uint8Array | Int8Array;
}

/**
 * Output size of a pooling window along one axis, as onnxruntime computes it:
 * (padded input - window) / stride + 1, the division truncated toward zero
 * (ceil mode: rounded up, then less a last window that would start in the end
 * padding). So a (dilated) window larger than the padded input still gives
 * one output, pooling what it covers, while it overhangs by less than one
 * stride; none while by less than two; and a negative size beyond, which
 * callers reject as onnxruntime does.
 */
export function pooledSize(size: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = size + padBegin + padEnd - (dilation * (kernel - 1) + 1);
  let out = (ceil ? Math.ceil(span / stride) : Math.trunc(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

function ints(name: string, value: unknown, length: number, min: number): number[] {
  if (!Array.isArray(value) || value.length !== length) typeFail(name, `must be an array of ${length} numbers`);
  return value.map((v, i) => checkInt(`${name}[${i}]`, v, min, 2 ** 31));
}

/** Pooling geometry of NCHW dims, validated. */
export function maxPoolGeometry(dims: readonly number[], options: MaxPoolOptions): MaxPoolGeometry {
  checkObject('options', options);
  const [n, c, height, width] = dims;
  const [kernelH, kernelW] = ints('options.kernelShape', options.kernelShape ?? typeFail('options.kernelShape', 'is required'), 2, 1);
  const [strideH, strideW] = options.strides === undefined ? [1, 1] : ints('options.strides', options.strides, 2, 1);
  let pads = [0, 0, 0, 0];
  if (options.pads !== undefined) {
    if (!Array.isArray(options.pads) || options.pads.length !== 4) typeFail('options.pads', 'must be an array of 4 numbers [top, left, bottom, right]');
    pads = options.pads.map((p, i) => checkDim(`options.pads[${i}]`, p));
  }
  pads.forEach((p, i) => {
    if (p >= (i % 2 === 0 ? kernelH : kernelW)) fail(`options.pads[${i}]`, `(${p}) must be smaller than the kernel (${kernelH}x${kernelW})`);
  });
  const ceil = options.ceilMode === undefined ? false : checkBoolean('options.ceilMode', options.ceilMode);
  // An empty plane has no position for a window to start on.
  if (height === 0 || width === 0) fail('x', `dims [${dims}] have an empty plane; only N and C may be 0`);
  const outH = pooledSize(height, kernelH, strideH, 1, pads[0], pads[2], ceil);
  const outW = pooledSize(width, kernelW, strideW, 1, pads[1], pads[3], ceil);
  if (outH < 0 || outW < 0)
    fail('options.kernelShape', `(${kernelH}x${kernelW}) overhangs the padded input ${height + pads[0] + pads[2]}x${width + pads[1] + pads[3]} by two strides or more`);
  return { planes: n * c, height, width, kernelH, kernelW, strideH, strideW, padTop: pads[0], padLeft: pads[1], outH, outW };
}

function maxPoolCall(xIn: Tensor<PoolType>, options: MaxPoolOptions): CpuCall<Tensor<PoolType>> {
  const x = checkTensor('x', xIn, ['float32', 'uint8', 'int8'], 4);
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

/**
 * NCHW x -> [N, C, outH, outW], the max of each window (positions in the
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
