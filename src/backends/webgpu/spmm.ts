/**
 * spmm on the GPU: Y[N, M] = activation(W[N, K] * X[K, M] + bias), W a sparse
 * float32 matrix in csr, bsr [r, 1] or nm, kernels/f32-spmm/ (one kernel body,
 * the block rows an override, in two variants that differ in how the lanes
 * sharing a row add their partial sums: see GpuSpmmReduction). Same arguments
 * and errors as cpu.spmm; W may be uploaded once (backend.uploadSparse), X may
 * be a GPU tensor, and the result stays on the GPU.
 *
 * Balancing: a workgroup takes one row block at a time, its invocations split
 * the block's stored entries (and the columns of M); the row blocks are taken
 * in order of decreasing stored entries, sorted once at upload, so the
 * longest rows start first and the short ones fill in at the end (Sputnik's
 * row swizzle).
 *
 * nm runs as csr: uploadSparse turns each row's slots into csr entries at
 * column group * m + position, the unused slots included (value 0 at a
 * column the group does not keep), as the CPU nm kernel multiplies them too.
 *
 * Inf and NaN in X give the dense product's NaN, as on the CPU (an unstored
 * weight is an exact 0, and 0 x Inf = 0 x NaN = NaN): a pass before the
 * product flags X's columns that hold one (kernels/f32-spmm/
 * f32-spmm-nonfinite-wgsl.wgsl), and the product's stores walk a flagged
 * column for the NaNs its skipped weights did not make. Where the adapter
 * keeps WGSL's Inf and NaN (lavapipe does; WGSL lets an implementation
 * assume they never occur).
 */
import { checkSpmmWeights, planSpmm, type SpmmArgs } from '../../ops/spmm.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import { checkMade, checkOneOf, fail, markMade, typeFail } from '../../validate.js';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

/**
 * How the invocations that split a row's stored entries add their partial
 * sums: 'workgroup' through workgroup memory and barriers (every adapter),
 * 'subgroup' with subgroup shuffles (adapters with 'subgroups'; up to
 * subgroupMinSize invocations share a row, so workgroups get smaller at small
 * M). Results agree to float rounding. 'subgroup' is the default where it
 * runs: on lavapipe (subgroups of 8), 1024 x 1024 at 90% sparsity, it took
 * 1/6 of the time at M = 1 and 1/4.5 at M = 16 (GPU timestamps), and about
 * half of what the workgroup variant takes at the same workgroup shape.
 */
export type GpuSpmmReduction = 'subgroup' | 'workgroup';
const REDUCTIONS = ['subgroup', 'workgroup'] as const;

export type GpuSpmmOptions = SpmmArgs & {
  /** Force one reduction (tests, benchmarks); default: 'subgroup' where the adapter has 'subgroups', else 'workgroup'. */
  reduction?: GpuSpmmReduction;
};

/** Invocations per workgroup, split between columns (WG_M) and stored entries (WG_K). */
const WORKGROUP_SIZE = 64;
/** Columns each invocation owns (COLS in the shader). */
const COLS = 4;
/** Invocations per workgroup of f32-spmm-nonfinite-wgsl, one column each. */
const FLAGS_WORKGROUP = 64;

/** A sparse weight matrix resident on the GPU (backend.uploadSparse); dispose() frees it. */
export class GpuSparseMatrix {
  /** @internal Created by uploadSparse. */
  constructor(
    readonly dims: readonly [number, number],
    /** Rows per stored entry: 1 for csr, r for bsr [r, 1]. */
    readonly blockRows: number,
    /** @internal indptr, indices, values, order: the shader's bindings 0-3. */
    readonly buffers: readonly GpuTensor[],
  ) {
    markMade(this, GpuSparseMatrix);
  }

  get disposed(): boolean {
    return this.buffers[0].disposed;
  }

  dispose(): void {
    for (const b of this.buffers) b.dispose();
  }
}

/**
 * Uploads w's arrays (nm as csr arrays) and the row-block order (by stored
 * entries, largest first; ties keep row order).
 * @throws TypeError naming w when it is not a float32 csr, bsr [4, 1] / [8, 1] or nm matrix.
 */
export function uploadSparse(gpu: GpuContext, w: SparseMatrix<'float32'>): GpuSparseMatrix {
  checkSpmmWeights(w);
  const { indptr, indices } = w.format === 'nm' ? nmAsCsr(w) : { indptr: w.indptr, indices: w.indices as Int32Array };
  const blocks = indptr.length - 1;
  const length = (b: number) => indptr[b + 1] - indptr[b];
  const order = Int32Array.from({ length: blocks }, (_, b) => b).sort((a, b) => length(b) - length(a) || a - b);
  const ints = (a: Int32Array) => gpu.upload(tensor('int32', [a.length], a));
  return new GpuSparseMatrix(w.dims, w.blockShape[0], [
    ints(indptr), ints(indices), gpu.upload(tensor('float32', [w.values.length], w.values as Float32Array)), ints(order),
  ]);
}

/** The csr row pointers and columns of an nm matrix's slots; its values array is already in csr order. */
function nmAsCsr(w: SparseMatrix<'float32'>): { indptr: Int32Array; indices: Int32Array } {
  const { n, m } = w.nm;
  const perRow = (w.dims[1] / m) * n;
  const indptr = Int32Array.from({ length: w.dims[0] + 1 }, (_, r) => r * perRow);
  const indices = Int32Array.from(w.indices, (position, slot) => Math.floor((slot % perRow) / n) * m + position);
  return { indptr, indices };
}

export async function gpuSpmm(gpu: GpuContext, wIn: unknown, xIn: unknown, options: GpuSpmmOptions = {}): Promise<GpuTensor<'float32'>> {
  let w: GpuSparseMatrix;
  if (wIn instanceof GpuSparseMatrix) {
    checkMade('w', wIn, GpuSparseMatrix, 'backend.uploadSparse()');
    if (wIn.disposed) typeFail('w', 'was disposed');
    w = wIn;
  } else {
    w = uploadSparse(gpu, wIn as SparseMatrix<'float32'>);
  }
  const temporaryW = w !== wIn;
  try {
    const x = gpuInput(gpu, 'x', xIn, ['float32'], 2);
    try {
      const { rows, k, m, bias, min, max } = planSpmm(w.dims, x.tensor.dims, options);
      const subgroupSize = gpu.adapter.subgroupMinSize;
      const reduction =
        options.reduction === undefined ? (subgroupSize > 0 ? 'subgroup' : 'workgroup') : checkOneOf('options.reduction', options.reduction, REDUCTIONS);
      if (reduction === 'subgroup' && subgroupSize === 0) fail('options.reduction', "is 'subgroup' but this adapter has no 'subgroups' feature");
      const y = gpu.empty('float32', [rows, m]);
      const rowBlocks = rows / w.blockRows;
      if (rowBlocks > 0 && m > 0) {
        const wgM = Math.min(WORKGROUP_SIZE, 2 ** Math.ceil(Math.log2(Math.ceil(m / COLS))));
        // A row's lanes must lie in one subgroup, whatever size the driver picks.
        const wgK = reduction === 'subgroup' ? Math.min(WORKGROUP_SIZE / wgM, subgroupSize) : WORKGROUP_SIZE / wgM;
        const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
        const flags = gpu.empty('int32', [m]);
        try {
          const groups = Math.ceil(m / FLAGS_WORKGROUP);
          await gpu.enqueue({
            family: 'f32-spmm', stem: 'f32-spmm-nonfinite-wgsl',
            buffers: [x.tensor.buffer, flags.buffer],
            uniforms: [['u32', k], ['u32', m]],
            workgroups: [Math.min(groups, limit), Math.ceil(groups / limit)],
          });
          await gpu.enqueue({
            family: 'f32-spmm',
            stem: reduction === 'subgroup' ? 'f32-spmm-subgroup-wgsl' : 'f32-spmm-wgsl',
            overrides: { BLOCK_ROWS: w.blockRows, WG_M: wgM, WG_K: wgK },
            buffers: [...w.buffers.map((b) => b.buffer), x.tensor.buffer, gpu.constants(bias ?? new Float32Array(1)), y.buffer, flags.buffer],
            uniforms: [['u32', rowBlocks], ['u32', m], ['u32', bias ? 1 : 0], ['f32', min], ['f32', max], ['u32', k]],
            workgroups: [Math.min(Math.ceil(m / (wgM * COLS)), limit), Math.min(rowBlocks, limit)],
          });
        } finally {
          // Released after the next submit, when the dispatches above have read it.
          flags.dispose();
        }
      }
      return y;
    } finally {
      releaseTemporaries(x);
    }
  } finally {
    // Disposed after enqueue: the pool reuses the buffers only after the next submit.
    if (temporaryW) w.dispose();
  }
}
