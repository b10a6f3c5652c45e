/**
 * Sparse int8 weights for qspmm, for every backend: the checks (formats a
 * kernel runs, symmetric quantization), the entries both backends pack, 4
 * weights of a row per int32 word, and the record of weights a backend
 * packed (the WebGPU backend takes cpu.packSparseWeights() results by their
 * source, without importing the CPU backend).
 */
import { checkSparseStructure, SPARSE_MAKERS, SparseMatrix } from '../sparse/sparse-matrix.js';
import { checkMade, checkQuantParams, fail, PackedSources, typeFail } from '../validate.js';

/** Per output row, entries (g, word): the 4 int8 weights W[n, 4g..4g+3] as one little-endian int32. */
export interface Entries {
  indptr: Int32Array;
  groups: Int32Array;
  words: Int32Array;
}

/**
 * packSparseWeights' checks (every backend's, so the errors are the same);
 * returns the per-tensor or per-row weight scales.
 */
export function checkSparseWeights(w: SparseMatrix<'int8'>): Float32Array {
  checkMade('w', w, SparseMatrix, SPARSE_MAKERS);
  checkSparseStructure('w', w);
  if (w.type !== 'int8') typeFail('w', `must hold int8 values, got ${w.type}`);
  const supported = "supported: 'csr', 'bsr' with blockShape [1, 4], 'nm' with m = 4 (e.g. 2:4)";
  if (w.format === 'bsr' && (w.blockShape[0] !== 1 || w.blockShape[1] !== 4))
    typeFail('w', `is bsr with blockShape [${w.blockShape.join(', ')}]; ${supported}`);
  if (w.format === 'nm' && w.nm.m !== 4) typeFail('w', `is ${w.nm.n}:${w.nm.m} sparse; ${supported}`);
  if (w.format !== 'csr' && w.format !== 'bsr' && w.format !== 'nm') typeFail('w', `has format ${String(w.format)}; ${supported}`);
  const q = w.quant;
  if (q.axis !== undefined && typeof q.scale === 'number') typeFail('w.quant.scale', 'must be an array when w.quant.axis is set');
  // The SparseMatrix constructor allows per-row (axis 0) parameters only.
  const { scales, zeroPoints } = checkQuantParams('w.quant.', q.scale ?? 1, q.zeroPoint, q.axis, w.dims, 'int8');
  if (zeroPoints.some((z) => z !== 0)) fail('w.quant.zeroPoint', 'must be 0: sparse int8 weights are symmetric (a pruned weight means 0)');
  return scales;
}

/** w's entries; w must have passed checkSparseWeights. The CPU packs them, the WebGPU qspmm uploads them. */
export function entriesOf(w: SparseMatrix<'int8'>): Entries {
  const [rows, cols] = w.dims;
  if (w.format === 'bsr') {
    // A [1, 4] block at block column c is exactly the entry of group c.
    const words = new Int32Array(w.values.length / 4);
    new Int8Array(words.buffer).set(w.values);
    return { indptr: w.indptr, groups: w.indices as Int32Array, words };
  }
  const indptr = new Int32Array(rows + 1);
  const capacity = w.format === 'csr' ? w.values.length : rows * (cols / 4);
  const groups = new Int32Array(capacity), words = new Int32Array(capacity);
  const bytes = new Int8Array(words.buffer);
  let e = 0;
  if (w.format === 'csr') {
    // Nonzeros of one group (indices increase within a row) merge into one entry.
    for (let r = 0; r < rows; r++) {
      let last = -1;
      for (let p = w.indptr[r]; p < w.indptr[r + 1]; p++) {
        const col = w.indices[p], g = col >> 2;
        if (g !== last) groups[e++] = last = g;
        bytes[(e - 1) * 4 + (col & 3)] = w.values[p];
      }
      indptr[r + 1] = e;
    }
  } else {
    // N:4: a group's n slots fill one word; all-zero groups are left out.
    const n = w.nm.n, perRow = (cols / 4) * n;
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < cols / 4; g++) {
        let any = false;
        for (let s = r * perRow + g * n; s < r * perRow + g * n + n; s++) {
          if (w.values[s] === 0) continue;
          if (!any) groups[e++] = g;
          any = true;
          bytes[(e - 1) * 4 + w.indices[s]] = w.values[s];
        }
      }
      indptr[r + 1] = e;
    }
  }
  return { indptr, groups: groups.subarray(0, e), words: words.subarray(0, e) };
}

/** Sparse int8 weights that passed checkSparseWeights, with its scales. */
export interface SparseWeightsSource {
  readonly source: SparseMatrix<'int8'>;
  readonly scales: Float32Array;
}

/** cpu.packSparseWeights() results, which the WebGPU backend takes by their source. */
export const packedSparseWeights = new PackedSources<SparseWeightsSource>();
