/**
 * The element types a tensor holds, their typed arrays and ranges, and
 * element counts: what tensor.ts and validate.ts both build on.
 */

export type ElementType = 'float32' | 'uint8' | 'int8' | 'int32';

export interface DataTypes {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
}

export type TypedArrayOf<T extends ElementType> = DataTypes[T];

export const TYPED_ARRAY_OF: { [T in ElementType]: new (length: number) => TypedArrayOf<T> } = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
};

/** Range of a quantized integer type. */
export const Q_RANGE = {
  uint8: { min: 0, max: 255 },
  int8: { min: -128, max: 127 },
} as const;
export type QType = keyof typeof Q_RANGE;

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
