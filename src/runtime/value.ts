/**
 * Values flowing through a session: ONNX tensors of the types sparq runs
 * (Value, from the loader), made and converted here. float32/uint8/int8/int32
 * values are sparq Tensors as they are; int64 (shapes, indices) is a
 * BigInt64Array as in onnxruntime-node, bool a Uint8Array of 0/1.
 */
import { sizeOf, type ElementType, type QuantParams, type Tensor } from '../tensor.js';
import type { Value, ValueType } from './onnx/model.js';
import { ModelError } from './onnx/model.js';
import { checkTensorBytes } from '../limits.js';

export const VALUE_ARRAYS = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

export interface ValueArrays {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

/**
 * A value of `dims`, zero-filled unless `data` is given.
 * @throws {ModelError} when dims that a model computed (ConstantOfShape's shape, Range's bounds, ...) are not
 * non-negative integers, LimitError when they take more than maxTensorBytes: refused before anything is allocated.
 */
export function value<T extends ValueType>(type: T, dims: readonly number[], data?: ValueArrays[T]): Value & { type: T; data: ValueArrays[T] } {
  if (data === undefined) {
    checkDims(dims);
    checkTensorBytes(`a ${type} value [${dims}]`, sizeOf(dims) * VALUE_ARRAYS[type].BYTES_PER_ELEMENT);
  }
  const d = data ?? (new VALUE_ARRAYS[type](sizeOf(dims)) as ValueArrays[T]);
  return { type, dims: [...dims], data: d } as Value & { type: T; data: ValueArrays[T] };
}

/** Dims a model computed (ConstantOfShape's shape, ...) that no array has: negative, fractional, NaN. */
function checkDims(dims: readonly number[]): void {
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ModelError(`a value of dims [${dims.join(',')}] cannot be made: dims must be non-negative integers`);
}

/** int64 from plain numbers (Shape's output, shape constants). */
export function int64(dims: readonly number[], values: readonly number[]): Value {
  return value('int64', dims, BigInt64Array.from(values, (v) => BigInt(v)));
}

/** The value as a sparq Tensor of one of the kernel types, with quantization parameters attached. */
export function asTensor<T extends ElementType>(v: Value, types: readonly T[], what: string, quant?: QuantParams): Tensor<T> {
  if (!(types as readonly string[]).includes(v.type)) throw new ModelError(`${what} must be ${types.join(' or ')}, got ${v.type}`);
  return { type: v.type as T, dims: v.dims, data: v.data as Tensor<T>['data'], ...quant };
}

export function float32(v: Value, what: string): Tensor<'float32'> {
  return asTensor(v, ['float32'], what);
}

/** A sparq Tensor (or onnxruntime-node tensor) as a Value of the same data, no copy. */
export function fromTensor(t: { type: string; dims: readonly number[]; data: unknown }): Value {
  return { type: t.type as ValueType, dims: [...t.dims], data: t.data as Value['data'] };
}
