/**
 * qspmm on the GPU, bit for bit cpu.qspmm: X is repacked into 4-K-value
 * words (kernels/qu8s8-spmm/qu8s8-spmm-xpack-wgsl.wgsl), qu8s8-spmm-wgsl
 * computes the int32 accumulators from the weights' entries (one
 * dot4I8Packed per entry and column, zero point and bias folded in), and
 * uint8/int8/float32 results take a dispatch of qs32-qx8-requantize-wgsl in
 * the same submit, as qgemm does. Arguments are checked by the plans the
 * CPU runs too (src/ops/), in the CPU's order, so errors are the same.
 *
 * Balancing: as the f32 spmm, a workgroup takes one row at a time and its
 * invocations split the row's entries and the columns of M; rows are taken
 * in order of decreasing entries, sorted once at packing.
 */
import { planQuantizedProduct, type MultiplierSource, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { checkSparseWeights, entriesOf, packedSparseWeights, type SparseWeightsSource } from '../../ops/sparse-weights.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import { checkMade, checkObject, fail, markMade, typeFail } from '../../validate.js';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';
import { fromAccumulators } from './quantize.js';

export type GpuQSpmmOptions = QuantizedOutputOptions;

/** Invocations per workgroup of qu8s8-spmm-wgsl, split between columns (WG_M) and entries (WG_K). */
const WORKGROUP_SIZE = 64;
/** Columns each invocation owns (COLS in the shader). */
const COLS = 4;
/** Invocations per workgroup of qu8s8-spmm-xpack-wgsl, one word each. */
const XPACK_WORKGROUP = 64;

/**
 * Sparse int8 weights [N, K] packed once on the GPU for qspmm: the entries
 * of cpu.packSparseWeights (per row, 4-weight groups as int32 words), the
 * row order by entry count, and the row sums the zero-point correction
 * needs. Create with backend.packSparseWeights(w); dispose() gives the GPU
 * memory back.
 */
export class GpuPackedSparseWeights implements MultiplierSource {
  /** N, output rows. */
  readonly rows: number;
  readonly k: number;
  /** Per-tensor (1 value) or per-row (N values) weight scales. */
  readonly scales: Float32Array;
  /** Stored 4-weight groups (what the kernel's work is proportional to). */
  readonly entries: number;
  /** @internal indptr, groups, words, order: the shader's bindings 0-3. */
  readonly buffers: readonly GpuTensor[];
  /** @internal Sum of each row's weights. */
  readonly rowSums: Int32Array;
  /** @internal The last output-stage multipliers qspmm computed for these weights. */
  multiplierMemo?: { aScale: number; outScale: number | undefined; values: Float32Array };

  /** @internal Use backend.packSparseWeights(); w was checked by checkSparseWeights. */
  constructor(gpu: GpuContext, w: SparseMatrix<'int8'>, scales: Float32Array) {
    const { indptr, groups, words } = entriesOf(w);
    const rows = w.dims[0];
    const bytes = new Int8Array(words.buffer, words.byteOffset, words.byteLength);
    const rowSums = new Int32Array(rows);
    for (let n = 0; n < rows; n++)
      for (let b = indptr[n] * 4; b < indptr[n + 1] * 4; b++) rowSums[n] += bytes[b];
    const length = (n: number) => indptr[n + 1] - indptr[n];
    const order = Int32Array.from({ length: rows }, (_, n) => n).sort((a, b) => length(b) - length(a) || a - b);
    const ints = (a: Int32Array) => gpu.upload(tensor('int32', [a.length], a));
    this.rows = rows;
    this.k = w.dims[1];
    this.scales = scales;
    this.entries = groups.length;
    this.rowSums = rowSums;
    this.buffers = [ints(indptr), ints(groups), ints(words), ints(order)];
    markMade(this, GpuPackedSparseWeights);
  }

  get disposed(): boolean {
    return this.buffers[0].disposed;
  }

  /** Gives the GPU buffers back; the weights must not be used afterwards. */
  dispose(): void {
    for (const b of this.buffers) b.dispose();
  }
}

/** Sparse int8 weights for the GPU's qspmm: a SparseMatrix, or cpu.packSparseWeights() of it. */
export type GpuQSpmmWeights = SparseMatrix<'int8'> | SparseWeightsSource;

/** Packs sparse int8 weights for the GPU, checked as cpu.packSparseWeights checks them. */
export function gpuPackSparseWeights(gpu: GpuContext, w: GpuQSpmmWeights): GpuPackedSparseWeights {
  // CPU-packed weights were checked when packed; they keep their source matrix.
  const packed = packedSparseWeights.find('w', w);
  if (packed) return new GpuPackedSparseWeights(gpu, packed.source, packed.scales);
  return new GpuPackedSparseWeights(gpu, w as SparseMatrix<'int8'>, checkSparseWeights(w as SparseMatrix<'int8'>));
}

export async function gpuQspmm(gpu: GpuContext, wIn: unknown, xIn: unknown, options: GpuQSpmmOptions = {}): Promise<GpuTensor> {
  let w: GpuPackedSparseWeights;
  if (wIn instanceof GpuPackedSparseWeights) {
    checkMade('w', wIn, GpuPackedSparseWeights, 'backend.packSparseWeights()');
    if (wIn.disposed) typeFail('w', 'was disposed');
    w = wIn;
  } else {
    w = gpuPackSparseWeights(gpu, wIn as GpuQSpmmWeights);
  }
  const temporaryW = w !== wIn;
  try {
    const x = gpuInput(gpu, 'x', xIn, ['uint8'], 2);
    try {
      checkObject('options', options);
      const { rows, k } = w;
      const [xk, m] = x.tensor.dims;
      if (xk !== k) fail('x', `has K = ${xk} rows but w has K = ${k} columns`);
      const plan = planQuantizedProduct('x', x.tensor, w, options, rows, 0);
      const acc = gpu.empty('int32', [rows, m], plan.output === 'int32' ? plan.quant : undefined);
      if (rows > 0 && m > 0) await enqueueAccumulators(gpu, w, x.tensor, m, plan.aZeroPoint, plan.bias, acc);
      // Per row: the [N, M] result viewed as [1, channels = N, inner = M].
      return await fromAccumulators(gpu, acc, plan, { channels: rows, inner: m });
    } finally {
      releaseTemporaries(x);
    }
  } finally {
    // Disposed after enqueue: the pool reuses the buffers only after the next submit.
    if (temporaryW) w.dispose();
  }
}

/** Appends the X repack and the accumulator dispatch writing acc [rows, m] (rows, m >= 1). */
async function enqueueAccumulators(gpu: GpuContext, w: GpuPackedSparseWeights, x: GpuTensor, m: number,
  aZeroPoint: number, bias: Int32Array | undefined, acc: GpuTensor<'int32'>): Promise<void> {
  const { rows, k } = w;
  const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
  const words = Math.ceil(k / 4) * m;
  // K = 0 leaves no words: the bound buffer is never read, every row is 0 entries.
  const xp = gpu.empty('int32', [Math.max(words, 1)]);
  try {
    if (words > 0) {
      const groups = Math.ceil(words / XPACK_WORKGROUP);
      await gpu.enqueue({
        family: 'qu8s8-spmm', stem: 'qu8s8-spmm-xpack-wgsl',
        buffers: [x.buffer, xp.buffer],
        uniforms: [['u32', k], ['u32', m], ['u32', words]],
        workgroups: [Math.min(groups, limit), Math.ceil(groups / limit)],
      });
    }
    const za = aZeroPoint - 128;
    const rowTerm = Int32Array.from(w.rowSums, (s, n) => ((bias?.[n] ?? 0) - Math.imul(za, s)) | 0);
    const wgM = Math.min(WORKGROUP_SIZE, 2 ** Math.ceil(Math.log2(Math.ceil(m / COLS))));
    await gpu.enqueue({
      family: 'qu8s8-spmm', stem: 'qu8s8-spmm-wgsl',
      overrides: { WG_M: wgM, WG_K: WORKGROUP_SIZE / wgM },
      buffers: [...w.buffers.map((b) => b.buffer), xp.buffer, gpu.constants(rowTerm), acc.buffer],
      uniforms: [['u32', rows], ['u32', m]],
      workgroups: [Math.min(Math.ceil(m / (wgM * COLS)), limit), Math.min(rows, limit)],
    });
  } finally {
    // Released after the next submit, when the dispatches above have read it.
    xp.dispose();
  }
}
