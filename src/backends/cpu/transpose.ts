/**
 * transpose: [rows, cols] -> [cols, rows] for any element type. The sparse
 * kernels take activations channels-first ([K, M]) and the dense GEMMs take
 * them pixels-first ([M, K]); this moves a tensor between the two.
 */
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import type { ElementType, QuantParams, Tensor } from '../../tensor.js';
import { checkObject, checkTensor, outputTensor } from '../../validate.js';

export interface TransposeOptions {
  /** Force one kernel variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the [cols, rows] result here (same type as x; must not overlap it). */
  out?: Float32Array | Int32Array | Uint8Array | Int8Array;
}

/** Quantization parameters follow their axis: per-axis ones swap axis 0 and 1. */
function transposedQuant(x: Tensor): QuantParams {
  const axis = x.axis === undefined ? undefined : x.axis < 0 ? -1 - x.axis : 1 - x.axis;
  return { scale: x.scale, zeroPoint: x.zeroPoint, axis };
}

function transposeCall<T extends ElementType>(xIn: Tensor<T>, options: TransposeOptions = {}): CpuCall<Tensor<T>> {
  const x = checkTensor('x', xIn, ['float32', 'int32', 'uint8', 'int8'], 2) as Tensor<T>;
  checkObject('options', options);
  const variant = checkVariant(options);
  const [rows, cols] = x.dims;
  const y = outputTensor(options.out, { 'x.data': x.data }, x.type, [cols, rows], x.axis === undefined && x.scale === undefined && x.zeroPoint === undefined ? undefined : transposedQuant(x));
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) => addon.transpose({ variant, src: x.data, dst: y.data, rows, cols, async }),
    reference: () => {
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y.data[c * rows + r] = x.data[r * cols + c];
    },
  };
}

/**
 * x^T of a 2-D tensor, on the calling thread.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function transpose<T extends ElementType>(x: Tensor<T>, options?: TransposeOptions): Tensor<T> {
  return runSync(transposeCall(x, options));
}

/** transpose on a worker thread; x must not change until the promise settles. */
export async function transposeAsync<T extends ElementType>(x: Tensor<T>, options?: TransposeOptions): Promise<Tensor<T>> {
  return runAsync(transposeCall(x, options));
}
