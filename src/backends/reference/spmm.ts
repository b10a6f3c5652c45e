/** Reference sparse x dense product: the oracle for every f32-spmm variant and format. */
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';

/**
 * y[rows, m] = clamp(W * x[k, m] + bias, min, max) with W in CSR; accumulated
 * in double, rounded once. An entry W does not store is an exact 0, and
 * 0 x Inf = 0 x NaN = NaN, as in the dense product: y[n, j] is NaN when column
 * j of x holds a NaN, or an Inf in a row k that row n does not store.
 */
export function refSpmm(
  rows: number, m: number, indptr: Int32Array, indices: Int32Array, values: Float32Array, x: Float32Array,
  bias: Float32Array | undefined, min: number, max: number,
): Float32Array {
  const y = new Float32Array(rows * m);
  const acc = new Float64Array(m);
  for (let n = 0; n < rows; n++) {
    acc.fill(bias ? bias[n] : 0);
    for (let p = indptr[n]; p < indptr[n + 1]; p++) {
      const v = values[p], xo = indices[p] * m;
      for (let j = 0; j < m; j++) acc[j] += v * x[xo + j];
    }
    for (let j = 0; j < m; j++) y[n * m + j] = Math.min(Math.max(acc[j], min), max);
  }
  propagateNonfinite(rows, m, indptr, indices, x, y);
  return y;
}

/** The NaNs of the unstored entries' 0 x Inf and 0 x NaN (refSpmm's contract), set in y. */
function propagateNonfinite(rows: number, m: number, indptr: Int32Array, indices: Int32Array, x: Float32Array, y: Float32Array): void {
  const nanColumns = new Set<number>();
  const infinities: [number, number][] = [];  // [k, j] of every Inf in x
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) nanColumns.add(i % m);
    else if (!Number.isFinite(x[i])) infinities.push([Math.floor(i / m), i % m]);
  }
  if (nanColumns.size === 0 && infinities.length === 0) return;
  const stored = new Set<number>();
  for (let n = 0; n < rows; n++) {
    stored.clear();
    for (let p = indptr[n]; p < indptr[n + 1]; p++) stored.add(indices[p]);
    for (const [k, j] of infinities) if (!stored.has(k)) y[n * m + j] = NaN;
    for (const j of nanColumns) y[n * m + j] = NaN;
  }
}

/**
 * The stored entries of a csr, bsr or nm matrix as CSR arrays, one entry per
 * stored value (explicit zeros kept), so refSpmm on them is the product the
 * kernels compute for every format.
 */
export function storedAsCsr(w: SparseMatrix<'float32'>): { indptr: Int32Array; indices: Int32Array; values: Float32Array } {
  const [rows, cols] = w.dims;
  const rowEntries: [number, number][][] = Array.from({ length: rows }, () => []);
  if (w.format === 'nm') {
    const { n, m } = w.nm;
    const perRow = (cols / m) * n;
    for (let r = 0; r < rows; r++)
      for (let s = 0; s < perRow; s++) rowEntries[r].push([Math.floor(s / n) * m + w.indices[r * perRow + s], w.values[r * perRow + s]]);
  } else {
    const [br, bc] = w.blockShape;
    for (let rb = 0; rb + 1 < w.indptr.length; rb++)
      for (let p = w.indptr[rb]; p < w.indptr[rb + 1]; p++)
        for (let i = 0; i < br; i++)
          for (let j = 0; j < bc; j++) rowEntries[rb * br + i].push([w.indices[p] * bc + j, w.values[(p * br + i) * bc + j]]);
  }
  const indptr = new Int32Array(rows + 1);
  rowEntries.forEach((e, r) => (indptr[r + 1] = indptr[r] + e.length));
  const flat = rowEntries.flat();
  return { indptr, indices: Int32Array.from(flat, (e) => e[0]), values: Float32Array.from(flat, (e) => e[1]) };
}
