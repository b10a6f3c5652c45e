/** Reference quantized GEMM: exact int32 with wraparound, then the shared output stage. */
import { refOutput, type RefOutputStage } from './quantize.js';

export interface RefQGemmArgs {
  m: number;
  n: number;
  k: number;
  a: Uint8Array; // [m, k]
  aZeroPoint: number;
  b: Uint8Array | Int8Array; // [k, n]
  /** One value or n values, in b's type. */
  bZeroPoints: ArrayLike<number>;
}

/** acc[m, n] = sum_k (a - aZp) * (b - bZp[n]) modulo 2^32. */
export function refQGemmInt32({ m, n, k, a, aZeroPoint, b, bZeroPoints }: RefQGemmArgs): Int32Array {
  const acc = new Int32Array(m * n);
  const zb = (j: number) => bZeroPoints[bZeroPoints.length === 1 ? 0 : j];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = (s + Math.imul(a[i * k + p] - aZeroPoint, b[p * n + j] - zb(j))) | 0;
      acc[i * n + j] = s;
    }
  return acc;
}

/** The int32 result through the output stage, per output column (channel = column). */
export function refQGemmOutput(acc: Int32Array, n: number, y: Uint8Array | Int8Array | Float32Array | Int32Array, stage: RefOutputStage): void {
  for (let i = 0; i < acc.length; i++) {
    const c = i % n;
    if (y instanceof Int32Array) y[i] = stage.bias ? (acc[i] + stage.bias[stage.bias.length === 1 ? 0 : c]) | 0 : acc[i];
    else y[i] = refOutput(acc[i], c, stage, y instanceof Float32Array);
  }
}
