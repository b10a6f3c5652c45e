/**
 * GEMM weights as every backend checks them, before any packing, and the
 * record of weights a backend packed: the WebGPU backend takes
 * cpu.packWeights() results by their checked source, without importing the
 * CPU backend.
 */
import type { QType, Tensor } from '../element-types.js';
import { checkQuantParams, checkTensor, fail, MAX_PACKED_BYTES, PackedSources, typeFail } from '../validate.js';

type WeightType = 'float32' | 'uint8' | 'int8';

/** [K, N] GEMM weights, checked, with their quantization (scale 1 and zero point 0 for float weights). */
export interface GemmWeightsSource {
  /** The weights as given. */
  readonly source: Tensor<WeightType>;
  /** Per-tensor (1 value) or per-column (N values). */
  readonly scales: Float32Array;
  /** Per-tensor or per-column, in the weights' own type. */
  readonly zeroPoints: Int32Array;
}

/**
 * packWeights' checks of `b` (named `name`, one of `types`): [K, N] within
 * the packed size limit, quantized weights per tensor or per column (axis
 * 1); scale is optional when only int32 results are wanted.
 */
export function checkGemmWeights(name: string, b: unknown, types: readonly WeightType[]): GemmWeightsSource {
  // A snapshot of the caller's tensor: its dims (or type) changed after packing would no longer describe the packed weights.
  const t = checkTensor(name, b, types, 2);
  const [k, n] = t.dims;
  const w = Object.freeze({ ...t, dims: Object.freeze([k, n]) });
  // The layouts' size, padding aside: float32 weights, or int8 ones with K in
  // groups of 4 and a column sum and zero point (int32) per column.
  const bytes = w.type === 'float32' ? 4 * k * n : (Math.ceil(k / 4) * 4 + 8) * n;
  if (bytes > MAX_PACKED_BYTES) fail(name, `[${k}, ${n}] would pack into ${bytes} bytes, more than 2^34 (16 GiB)`);
  if (w.type === 'float32') return { source: w, scales: Float32Array.of(1), zeroPoints: Int32Array.of(0) };
  const q = w as Tensor<QType>;
  if (q.axis !== undefined && typeof q.scale === 'number') typeFail(`${name}.scale`, `must be an array when ${name}.axis is set`);
  const { scales, zeroPoints, axis } = checkQuantParams(`${name}.`, q.scale ?? 1, q.zeroPoint, q.axis, w.dims, q.type);
  if (axis !== undefined && axis !== 1) typeFail(`${name}.axis`, 'must be 1 (per output column) for GEMM weights');
  return { source: w, scales, zeroPoints };
}

/** cpu.packWeights() results, which the WebGPU backend takes by their source. */
export const packedGemmWeights = new PackedSources<GemmWeightsSource>();
