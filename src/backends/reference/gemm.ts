/** Reference fp32 GEMM: the oracle for every f32-gemm variant. */

export interface RefGemmArgs {
  m: number;
  n: number;
  k: number;
  a: Float32Array; // [m, k]
  b: Float32Array; // [k, n]
  bias?: Float32Array; // [n]
  min: number;
  max: number;
}

/** C = clamp(A * B + bias, min, max), accumulated in double and rounded once to float32. */
export function refGemm({ m, n, k, a, b, bias, min, max }: RefGemmArgs): Float32Array {
  const c = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      if (av === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) row[j] += av * b[bo + j];
    }
    for (let j = 0; j < n; j++) c[i * n + j] = Math.min(Math.max(row[j] + (bias ? bias[j] : 0), min), max);
  }
  return c;
}
