/**
 * transpose: [rows, cols] -> [cols, rows] for any element type. The sparse
 * kernels take activations channels-first ([K, M]) and the dense GEMMs take
 * them pixels-first ([M, K]); this moves a tensor between the two.
 */
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import { sizeOf, type ElementType, type QuantParams, type Tensor, type TypedArrayOf } from '../../tensor.js';
import { checkDisjoint, checkObject, checkTensor, checkTensorShape, fail, outputTensor } from '../../validate.js';

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

type PlannedType = 'float32' | 'int32' | 'uint8' | 'int8';
const ARRAYS = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array } as const;

/** Transposes of one shape and type planned once: run() checks only its two arrays. */
export interface TransposePlan<T extends PlannedType> {
  /** y [batches, cols, rows] = each [rows, cols] matrix of x transposed (y shares no memory with x). */
  run(x: TypedArrayOf<T>, y: TypedArrayOf<T>): void;
}

/**
 * transpose() of every [rows, cols] matrix of x [batches, rows, cols] (or one of x [rows, cols]), checked and read
 * by the addon once (planTranspose), so a run is one native call on the arrays: the runtime's NCHW <-> NHWC
 * Transpose nodes at batch 1, where reading a one-shot call's options cost as much as moving a small image.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planTranspose<T extends PlannedType>(x: Omit<Tensor<T>, 'data'>, options: Omit<TransposeOptions, 'out'> = {}): TransposePlan<T> {
  const { type, dims } = checkTensorShape('x', x, ['float32', 'int32', 'uint8', 'int8']);
  if (dims.length !== 2 && dims.length !== 3) fail('x.dims', `must be [rows, cols] or [batches, rows, cols], got [${dims}]`);
  checkObject('options', options);
  const variant = checkVariant(options);
  const [batches, rows, cols] = dims.length === 3 ? dims : [1, ...dims];
  const size = sizeOf(dims);
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planTranspose({ variant, type, rows, cols, batches });
  const check = (name: string, array: unknown) => {
    if (!(array instanceof ARRAYS[type]) || array.length !== size) fail(name, `must be a ${ARRAYS[type].name} of ${size} values, as planned`);
  };
  return {
    run(xData, y) {
      check('x', xData);
      check('y', y);
      checkDisjoint('y', y, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData as Float32Array, y as Float32Array);
      for (let b = 0, plane = rows * cols; b < batches; b++)
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[b * plane + c * rows + r] = xData[b * plane + r * cols + c];
    },
  };
}
