/** Reference sparse x dense product: the oracle for every f32-spmm variant. */

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
