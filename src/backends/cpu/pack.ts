/**
 * Weights prepared once for repeated GEMMs, the way inference uses them:
 * float32 weights are packed into the f32-gemm panel layout, int8/uint8
 * weights into the qu8s8-gemm layout (which also records whether the fast
 * 7-bit path is exact for them). Empty weights (K or N = 0) are not packed:
 * there is nothing to lay out, and gemm/qgemm compute their results (zeros,
 * or the bias through the output stage) without a kernel.
 */
import { native, type NativeHandle } from '../../native.js';
import { adoptNative, disposeNative, type NativeOwner } from '../../native-lifetime.js';
import { type QType, type Tensor } from '../../tensor.js';
import { lockFields, markMade } from '../../validate.js';
import { checkGemmWeights, packedGemmWeights, type GemmWeightsSource } from '../../ops/weights.js';

export class PackedWeights implements GemmWeightsSource, NativeOwner {
  /** @internal The addon's handle; null on the reference backend and for empty weights. */
  readonly handle: NativeHandle | null;
  /** @internal The weights as given, for the reference backend. */
  readonly source: Tensor<'float32' | 'uint8' | 'int8'>;
  /** Per-tensor (1 value) or per-column (n values) zero points of quantized weights, in the weights' type. */
  readonly zeroPoints: Int32Array;
  /** Per-tensor or per-column scales of quantized weights (1 for float weights). */
  readonly scales: Float32Array;
  /**
   * Quantized weights only: every weight (after the uint8 -> int8 shift) lies
   * in [-64, 64], so the AVX2 u8 x s8 pair-multiply cannot saturate and the
   * fast kernel is exact. Full-range weights use the exact widening kernel.
   */
  readonly narrow: boolean;
  /** @internal The last output-stage multipliers qgemm computed for these weights. */
  multiplierMemo?: { aScale: number; outScale: number | undefined; values: Float32Array };

  /** @internal Use packWeights(). */
  constructor(source: Tensor<'float32' | 'uint8' | 'int8'>, handle: NativeHandle | null, scales: Float32Array, zeroPoints: Int32Array, narrow: boolean) {
    this.source = source;
    this.handle = handle;
    this.scales = scales;
    this.zeroPoints = zeroPoints;
    this.narrow = narrow;
    markMade(this, PackedWeights);
    lockFields(this, ['multiplierMemo']);
    packedGemmWeights.mark(this);
    adoptNative(this);
  }

  /** Frees the packed weights now, instead of when they are garbage-collected; using them after is a TypeError. */
  dispose(): void {
    disposeNative(this, this.handle);
  }

  get type(): 'float32' | 'uint8' | 'int8' {
    return this.source.type;
  }
  get k(): number {
    return this.source.dims[0];
  }
  get n(): number {
    return this.source.dims[1];
  }
}

function isNarrow(b: Tensor<'uint8' | 'int8'>): boolean {
  const shift = b.type === 'uint8' ? 128 : 0;
  // Indexed, not iterated: iterating throws on an empty array whose buffer was detached (still valid weights of no values).
  for (let i = 0; i < b.data.length; i++) if (b.data[i] - shift < -64 || b.data[i] - shift > 64) return false;
  return true;
}

/**
 * Packs a [K, N] weight matrix once for gemm (float32) or qgemm (int8/uint8).
 * Quantized weights carry `scale` and `zeroPoint` per tensor or per column
 * (`axis: 1`); scale is optional when only int32 results are wanted.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function packWeights(b: Tensor<'float32' | 'uint8' | 'int8'>): PackedWeights {
  const { source: w, scales, zeroPoints } = checkGemmWeights('b', b, ['float32', 'uint8', 'int8']);
  const [k, n] = w.dims;
  const addon = w.data.length === 0 ? null : native();
  if (w.type === 'float32') {
    const handle = addon ? addon.packF32Weights({ b: w.data as Float32Array, k, n, ldb: n }) : null;
    return new PackedWeights(w, handle, scales, zeroPoints, false);
  }
  const q = w as Tensor<QType>;
  const zpArray = q.type === 'uint8' ? Uint8Array.from(zeroPoints) : Int8Array.from(zeroPoints);
  const handle = addon ? addon.packQ8Weights({ b: q.data, k, n, ldb: n, zeroPoints: zpArray }) : null;
  const narrow = addon && handle ? addon.q8WeightsInfo(handle).narrow : isNarrow(q);
  return new PackedWeights(w, handle, scales, zeroPoints, narrow);
}
