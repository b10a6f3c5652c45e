/** Reference sparse x dense product: the oracle for every f32-spmm variant and format. */
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';

/** y[rows, m] = clamp(W * x[k, m] + bias, min, max) with W in CSR; accumulated in double, rounded once. */
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
  return y;
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
