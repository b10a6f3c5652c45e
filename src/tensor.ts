/**
 * sparq's Tensor: shaped like onnxruntime-node's (`type`, `data`, `dims`) so
 * tensors pass between the two, plus optional quantization parameters.
 */
import { TYPED_ARRAY_OF, sizeOf, type ElementType, type TypedArrayOf } from './element-types.js';
import { checkTensorArgs } from './validate.js';

export { Q_RANGE, TYPED_ARRAY_OF, sizeOf, type DataTypes, type ElementType, type QType, type TypedArrayOf } from './element-types.js';

/** Quantization parameters, ONNX QuantizeLinear style: real = (q - zeroPoint) * scale. */
export interface QuantParams {
  /** One scale (per tensor) or one per index of `axis` (per axis). */
  scale?: number | Float32Array;
  /** Same count as `scale`; 0 when absent. */
  zeroPoint?: number | Int32Array;
  /** The axis `scale`/`zeroPoint` run along when they are per axis. */
  axis?: number;
}

export interface Tensor<T extends ElementType = ElementType> extends QuantParams {
  readonly type: T;
  readonly data: TypedArrayOf<T>;
  readonly dims: readonly number[];
}

/**
 * Arrays kept between synchronous calls by slot, each reallocated only when
 * its type or size changes: the transposed operands of a layer's runs.
 */
export class ScratchArrays {
  private readonly arrays: (TypedArrayOf<ElementType> | undefined)[] = [];

  get<T extends ElementType>(slot: number, type: T, size: number): TypedArrayOf<T> {
    const current = this.arrays[slot];
    if (current !== undefined && current.length === size && current instanceof TYPED_ARRAY_OF[type]) return current as TypedArrayOf<T>;
    return (this.arrays[slot] = new TYPED_ARRAY_OF[type](size)) as TypedArrayOf<T>;
  }
}

/**
 * Creates a tensor, allocating zeroed data when none is given.
 * @param dims non-negative integers, each at most 2^31 - 1 (see validate.ts's limits)
 * @param data the type's typed array, holding exactly the elements `dims` describe
 * @param quant scale(s) finite and > 0, zero point(s) integers in the type's
 *   range, axis in [-rank, rank); per-axis arrays need `axis` and hold dims[axis] values
 * @throws TypeError/RangeError naming the bad argument.
 */
export function tensor<T extends ElementType>(
  type: T,
  dims: readonly number[],
  data?: TypedArrayOf<T>,
  quant?: QuantParams,
): Tensor<T> {
  checkTensorArgs(type, dims, data, quant);
  return { type, dims: [...dims], data: data ?? (new TYPED_ARRAY_OF[type](sizeOf(dims)) as TypedArrayOf<T>), ...quant };
}
