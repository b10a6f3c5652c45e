/**
 * Making tensors: tensor() and the scratch arrays layers reuse. The Tensor
 * type itself is declared in element-types.ts and re-exported here.
 */
import { TYPED_ARRAY_OF, sizeOf, type ElementType, type QuantParams, type Tensor, type TypedArrayOf } from './element-types.js';
import { checkTensorArgs } from './validate.js';

export { Q_RANGE, TYPED_ARRAY_OF, sizeOf, type DataTypes, type ElementType, type QType, type QuantParams, type Tensor, type TypedArrayOf } from './element-types.js';

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
