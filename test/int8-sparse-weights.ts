/** Pruned int8 weights in the formats qspmm runs: shared by the CPU and WebGPU qspmm tests. */
import { SparseMatrix, tensor } from '../src/index.js';
import { randomInts } from './helpers.js';

export type Int8SparseFormat = 'csr' | 'bsr' | '2:4' | '1:4';

/** Dense full-range int8 weights with about `density` of them kept (for bsr: of the [1, 4] blocks). */
export function prunedInt8(n: number, k: number, density: number, r: () => number, format: Int8SparseFormat): Int8Array {
  const d = randomInts(Int8Array, n * k, -128, 127, r);
  for (let i = 0; i < d.length; i++) if (d[i] === 0) d[i] = 1;
  if (format === 'bsr') {
    for (let b = 0; b < d.length; b += 4) if (r() >= density) d.fill(0, b, b + 4);
  } else for (let i = 0; i < d.length; i++) if (r() >= density) d[i] = 0;
  return d;
}

/** d [n, k] as a SparseMatrix: csr, bsr with [1, 4] blocks, or N:4. */
export function int8Sparse(d: Int8Array, n: number, k: number, format: Int8SparseFormat, quant: { scale?: number | Float32Array; axis?: number } = {}) {
  const t = tensor('int8', [n, k], d, quant);
  const options = format === 'csr' ? { format } : format === 'bsr' ? { format, blockShape: [1, 4] as const } : { format: 'nm' as const, n: Number(format[0]), m: 4 };
  return SparseMatrix.fromDense(t, options) as SparseMatrix<'int8'>;
}
