/** Reference quantized sparse x dense product, on the densified weights: the oracle of qu8s8-spmm. */
import { refOutput, type RefOutputStage } from './quantize.js';

/** acc[n, m] = sum_k w[n, k] * (x[k, m] - aZeroPoint) modulo 2^32, w dense int8 [rows, k], x uint8 [k, m]. */
export function refQSpmmInt32(rows: number, k: number, m: number, w: Int8Array, x: Uint8Array, aZeroPoint: number): Int32Array {
  const acc = new Int32Array(rows * m);
  for (let n = 0; n < rows; n++)
    for (let p = 0; p < k; p++) {
      const wv = w[n * k + p];
      if (wv === 0) continue;
      for (let j = 0; j < m; j++) acc[n * m + j] = (acc[n * m + j] + Math.imul(wv, x[p * m + j] - aZeroPoint)) | 0;
    }
  return acc;
}

/** The int32 result [rows, m] through the output stage, per output row (channel = row). */
export function refQSpmmOutput(acc: Int32Array, m: number, y: Uint8Array | Int8Array | Float32Array | Int32Array, stage: RefOutputStage): void {
  for (let i = 0; i < acc.length; i++) {
    const c = Math.floor(i / m);
    if (y instanceof Int32Array) y[i] = stage.bias ? (acc[i] + stage.bias[stage.bias.length === 1 ? 0 : c]) | 0 : acc[i];
    else y[i] = refOutput(acc[i], c, stage, y instanceof Float32Array);
  }
}
