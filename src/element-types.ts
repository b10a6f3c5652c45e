/**
 * The element types a tensor holds, their typed arrays and ranges, element
 * counts, and the Tensor type itself: what tensor.ts and validate.ts both
 * build on (tensor() checks its arguments with validate.ts, so the type lives
 * below both).
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

/** Quantization parameters, ONNX QuantizeLinear style: real = (q - zeroPoint) * scale. */
export interface QuantParams {
  /** One scale (per tensor) or one per index of `axis` (per axis). */
  scale?: number | Float32Array;
  /** Same count as `scale`; 0 when absent. */
  zeroPoint?: number | Int32Array;
  /** The axis `scale`/`zeroPoint` run along when they are per axis. */
  axis?: number;
}

/**
 * sparq's Tensor: shaped like onnxruntime-node's (`type`, `data`, `dims`) so
 * tensors pass between the two, plus optional quantization parameters.
 */
export interface Tensor<T extends ElementType = ElementType> extends QuantParams {
  readonly type: T;
  readonly data: TypedArrayOf<T>;
  readonly dims: readonly number[];
}
