/**
 * A convolution layer as the conv operator (operator.ts) takes it: the
 * weights as a model stores them, the window, and the geometry of one run.
 */
import { TYPED_ARRAY_OF, type TypedArrayOf } from '../../../tensor.js';
import type { Im2colOptions } from '../im2col.js';

/** Conv weights before any packing: [OC, C/group, KH, KW] (or [OC, C/group, KW]). */
export interface ConvWeightSource<T extends 'float32' | 'int8' | 'uint8'> {
  type: T;
  dims: readonly number[];
  data: TypedArrayOf<T>;
  /** Per output channel (OC values) or per tensor (1). */
  scales?: Float32Array;
  zeroPoints?: Int32Array;
}

/** What the choice of path depends on besides the weights: the kernel, and the strides (strided direct convs run dense or on int8 blocks, on phase planes). */
export interface ConvWindow {
  kernel: readonly [number, number];
  strides: readonly [number, number];
}

/** The window resolved against one input's size (explicit pads, the group): what im2col and the direct kernels take. */
export type ConvRunGeometry = Im2colOptions & { pads: readonly [number, number, number, number] };

/** An NCHW tensor without its quantization (passed beside it): the operator's input and result. */
export interface ConvValue<T extends 'float32' | 'uint8' | 'int8' | 'int32' = 'float32' | 'uint8' | 'int8' | 'int32'> {
  type: T;
  dims: readonly number[];
  data: TypedArrayOf<T>;
}

/** Where a run's result goes: a session's buffer pool, or fresh arrays. */
export type ConvAllocate = (type: 'float32' | 'uint8' | 'int8' | 'int32', length: number) => Float32Array | Uint8Array | Int8Array | Int32Array;

/** Fresh arrays: scratch that must not come from a pool, which would never see it dropped. */
export const freshConvArray: ConvAllocate = (type, length) => new TYPED_ARRAY_OF[type](length);

/**
 * Where a layer's result before its fused max pool goes: `allocate` when no
 * pool follows (it is the node's result), else scratch, since only the pooled
 * result (maxPooled, from `allocate`) is the node's and goes back to the pool.
 */
export function unpooledAllocate(pool: object | undefined, allocate: ConvAllocate): ConvAllocate {
  return pool ? freshConvArray : allocate;
}

/**
 * Whether a conv with weights of these dims [OC, C/group, ...] and `group`
 * is depthwise: one input channel per group (group = C > 1), each feeding
 * OC / C output channels (the channel multiplier, 1 in MobileNets), the
 * layers the depthwise kernels take.
 */
export function isDepthwise(weightDims: readonly number[], group: number): boolean {
  return group > 1 && weightDims[1] === 1;
}
