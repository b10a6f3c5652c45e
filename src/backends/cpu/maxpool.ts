/**
 * 2-D max pooling of NCHW tensors (float32, and the uint8/int8 values of QDQ
 * models: max commutes with dequantization), undilated windows.
 */
import { refMaxPool } from '../reference/maxpool.js';
import { maxPoolGeometry, type MaxPoolArgs } from '../../ops/maxpool.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import type { Tensor } from '../../tensor.js';
import { checkTensor, fail, outputTensor } from '../../validate.js';

type PoolType = 'float32' | 'uint8' | 'int8';

export interface MaxPoolOptions extends MaxPoolArgs {
  /**
   * Force one f32-maxpool variant by name (tests, benchmarks); default: the best for this CPU. The variants
   * differ on float32 2x2 stride-2 unpadded windows only; other shapes and types run the portable kernel.
   */
  variant?: string;
  /** Write the result here (reused storage of the input's type and the result's size). */
  out?: Float32Array | Uint8Array | Int8Array;
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
