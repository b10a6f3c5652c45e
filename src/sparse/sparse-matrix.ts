/**
 * Sparse formats for pruned weights. A matrix is [rows, cols] = [N output
 * channels, K inputs] (PyTorch's Linear/Conv weight order), so a row holds one
 * output channel's weights and per-channel int8 scales run along rows.
 *
 * - csr: indptr [rows + 1], indices (column of each nonzero, sorted within a
 *   row), values.
 * - bsr: blocks of blockShape [r, c]; indptr over block rows, indices = block
 *   column of each stored block, values = blocks in row-major order, r*c
 *   values each (zeros inside a stored block are kept). rows and cols must be
 *   multiples of r and c.
 * - nm: N:M structured sparsity (2:4 is the common one): every group of m
 *   consecutive columns of a row keeps at most n values; values [rows, cols /
 *   m * n] and indices (position 0..m-1 within the group, as a Uint8Array) of
 *   the same shape, unused slots holding value 0 at position 0.
 */
import { sizeOf, tensor, type QuantParams, type Tensor } from '../tensor.js';
import { checkDims, checkInt, checkObject, checkOneOf, checkTensor, checkTensorQuant, fail, lockFields, markMade, typeFail } from '../validate.js';

export type SparseFormat = 'csr' | 'bsr' | 'nm';
export type SparseValueType = 'float32' | 'int8';
type Values<T extends SparseValueType> = T extends 'float32' ? Float32Array : Int8Array;

export interface FromDenseOptions {
  format: SparseFormat;
  /** Values with |v| <= threshold count as zero (default 0). Ignored when `mask` is given. */
  threshold?: number;
  /** Keep-mask of the dense shape: nonzero keeps the value. */
  mask?: Uint8Array;
  /** bsr only: [r, c] block shape (default [1, 4]). */
  blockShape?: readonly [number, number];
  /** nm only: keep n of every m (default 2 of 4). Rows keep their n largest |values| per group. */
  n?: number;
  m?: number;
}

export interface RowStats {
  /** Stored values per row (for bsr: per block row, counted as values). */
  min: number;
  max: number;
  mean: number;
}

/** Where SparseMatrix objects come from, for errors about one that did not. */
export const SPARSE_MAKERS = 'SparseMatrix.fromDense(), SparseMatrix.fromCsr() or new SparseMatrix()';

export class SparseMatrix<T extends SparseValueType = SparseValueType> {
  /**
   * Wraps the arrays of a matrix in any format after checking every field
   * against the format (see above): the kernels and the TypeScript that
   * walks the arrays trust them. fromDense and fromCsr are the usual ways in.
   * @throws TypeError/RangeError naming the bad field.
   */
  constructor(
    readonly format: SparseFormat,
    readonly type: T,
    readonly dims: readonly [number, number],
    readonly values: Values<T>,
    /** csr/bsr: column (block column) of each stored value (block); nm: position within its group. */
    readonly indices: Int32Array | Uint8Array,
    /** csr/bsr: start of each row (block row) in indices; nm: empty. */
    readonly indptr: Int32Array,
    readonly blockShape: readonly [number, number],
    readonly nm: { n: number; m: number },
    /** int8 weights: per-tensor or per-row (axis 0) scale and zero point, as on the dense tensor. */
    readonly quant: QuantParams,
  ) {
    checkSparseFields(this);
    // Copies of the caller's shape objects, frozen: changing those later changes nothing here.
    this.dims = Object.freeze([dims[0], dims[1]]) as readonly [number, number];
    this.blockShape = Object.freeze([blockShape[0], blockShape[1]]) as readonly [number, number];
    this.nm = Object.freeze({ n: nm.n, m: nm.m });
    this.quant = Object.freeze({ ...quant });
    markMade(this, SparseMatrix);
    lockFields(this);
  }

  /** Stored values (explicit zeros inside bsr blocks and nm groups included). */
  get nnz(): number {
    return this.values.length;
  }

  /** Fraction of the dense matrix that is stored. */
  get density(): number {
    const size = this.dims[0] * this.dims[1];
    return size === 0 ? 0 : this.nnz / size;
  }

  /** Stored values per row. */
  rowStats(): RowStats {
    const [rows] = this.dims;
    const counts: number[] = [];
    if (this.format === 'nm') for (let r = 0; r < rows; r++) counts.push(this.values.length / Math.max(rows, 1));
    else {
      const bc = this.blockShape[1];
      for (let i = 0; i + 1 < this.indptr.length; i++) counts.push((this.indptr[i + 1] - this.indptr[i]) * bc);
    }
    if (counts.length === 0) return { min: 0, max: 0, mean: 0 };
    return { min: Math.min(...counts), max: Math.max(...counts), mean: counts.reduce((a, b) => a + b, 0) / counts.length };
  }

  /** The dense [rows, cols] tensor, with the quantization parameters it came with. */
  toDense(): Tensor<T> {
    checkSparseStructure('matrix', this);
    const [rows, cols] = this.dims;
    const out = tensor(this.type, [rows, cols], undefined, this.quant) as Tensor<T>;
    const d = out.data;
    if (this.format === 'nm') {
      const { n, m } = this.nm;
      const perRow = (cols / m) * n;
      for (let r = 0; r < rows; r++)
        for (let s = 0; s < perRow; s++) {
          const v = this.values[r * perRow + s];
          if (v !== 0) d[r * cols + Math.floor(s / n) * m + this.indices[r * perRow + s]] = v;
        }
      return out;
    }
    const [br, bc] = this.blockShape;
    for (let rb = 0; rb + 1 < this.indptr.length; rb++)
      for (let p = this.indptr[rb]; p < this.indptr[rb + 1]; p++)
        for (let i = 0; i < br; i++)
          for (let j = 0; j < bc; j++) d[(rb * br + i) * cols + this.indices[p] * bc + j] = this.values[(p * br + i) * bc + j];
    return out;
  }

  /**
   * Converts a dense [rows, cols] float32 or int8 tensor. Zeros are values
   * with |v| <= threshold, or those the keep-mask drops.
   * @throws TypeError/RangeError naming the bad argument.
   */
  static fromDense<T extends SparseValueType>(dense: Tensor<T>, options: FromDenseOptions): SparseMatrix<T> {
    const t = checkTensor('dense', dense, ['float32', 'int8'], 2) as Tensor<T>;
    checkObject('options', options);
    const format = checkOneOf('options.format', options.format, ['csr', 'bsr', 'nm'] as const);
    const [rows, cols] = t.dims as [number, number];
    const keep = keepFunction(t, options);
    const quant: QuantParams = t.type === 'int8' ? { scale: t.scale, zeroPoint: t.zeroPoint, axis: t.axis } : {};
    const axis = t.type === 'int8' ? checkTensorQuant('dense', t.type, t.dims, quant) : undefined;
    if (axis !== undefined && axis !== 0) typeFail('dense.axis', 'must be 0 (per output row) for sparse weights');
    if (format === 'nm') {
      const n = checkInt('options.n', options.n ?? 2, 1, 255);
      const m = checkInt('options.m', options.m ?? 4, n, 255);
      if (cols % m !== 0) fail('options.m', `must divide the ${cols} columns`);
      const perRow = (cols / m) * n;
      const values = new (t.data.constructor as new (l: number) => Values<T>)(rows * perRow);
      const indices = new Uint8Array(rows * perRow);
      for (let r = 0; r < rows; r++)
        for (let g = 0; g < cols / m; g++) {
          const kept: number[] = [];
          for (let j = 0; j < m; j++) if (keep(r * cols + g * m + j)) kept.push(j);
          if (kept.length > n) {
            // More survivors than slots: keep the n largest magnitudes, in column order.
            kept.sort((x, y) => Math.abs(t.data[r * cols + g * m + y]) - Math.abs(t.data[r * cols + g * m + x]) || x - y);
            kept.length = n;
            kept.sort((x, y) => x - y);
          }
          kept.forEach((j, s) => {
            values[r * perRow + g * n + s] = t.data[r * cols + g * m + j];
            indices[r * perRow + g * n + s] = j;
          });
          // Unused slots hold 0 at columns the group does not keep, so the
          // slots are distinct columns and a product over them is the dense
          // one (a 0 slot on a kept column would add 0 x Inf = NaN to its Inf).
          for (let s = kept.length, j = 0; s < n; j++) if (!kept.includes(j)) indices[r * perRow + g * n + s++] = j;
        }
      return new SparseMatrix<T>('nm', t.type, [rows, cols], values, indices, new Int32Array(0), [1, 1], { n, m }, quant);
    }
    let [br, bc] = [1, 1];
    if (format === 'bsr') {
      const shape = options.blockShape ?? [1, 4];
      if (!Array.isArray(shape) || shape.length !== 2) typeFail('options.blockShape', 'must be [rows, cols]');
      br = checkInt('options.blockShape[0]', shape[0], 1, 2 ** 16);
      bc = checkInt('options.blockShape[1]', shape[1], 1, 2 ** 16);
      if (rows % br !== 0 || cols % bc !== 0) fail('options.blockShape', `[${br}, ${bc}] must divide the matrix [${rows}, ${cols}] (pad it explicitly)`);
    }
    const blockRows = rows / br, blockCols = cols / bc;
    const indptr = new Int32Array(blockRows + 1);
    const indices: number[] = [];
    const values: number[] = [];
    for (let rb = 0; rb < blockRows; rb++) {
      for (let cb = 0; cb < blockCols; cb++) {
        let any = false;
        for (let i = 0; i < br && !any; i++) for (let j = 0; j < bc && !any; j++) any = keep((rb * br + i) * cols + cb * bc + j);
        if (!any) continue;
        indices.push(cb);
        for (let i = 0; i < br; i++)
          for (let j = 0; j < bc; j++) {
            const at = (rb * br + i) * cols + cb * bc + j;
            values.push(keep(at) ? t.data[at] : 0);
          }
      }
      indptr[rb + 1] = indices.length;
    }
    const valueArray = (t.data.constructor as unknown as { from(a: number[]): Values<T> }).from(values);
    return new SparseMatrix<T>(format, t.type, [rows, cols], valueArray, Int32Array.from(indices), indptr, [br, bc], { n: 0, m: 0 }, quant);
  }

  /**
   * Wraps CSR arrays after checking them: indptr has rows + 1 entries,
   * starts at 0, never decreases and ends at nnz; indices lie in [0, cols)
   * and increase strictly within a row; values has nnz entries.
   * @throws TypeError/RangeError naming the bad field.
   */
  static fromCsr<T extends SparseValueType>(
    dims: readonly [number, number],
    indptr: Int32Array,
    indices: Int32Array,
    values: Values<T>,
    quant: QuantParams = {},
  ): SparseMatrix<T> {
    if (!(values instanceof Float32Array) && !(values instanceof Int8Array)) typeFail('values', 'must be a Float32Array or Int8Array');
    if (!(indices instanceof Int32Array)) typeFail('indices', 'must be an Int32Array');
    const type = (values instanceof Float32Array ? 'float32' : 'int8') as T;
    const shape = (Array.isArray(dims) ? [...dims] : dims) as [number, number];
    return new SparseMatrix<T>('csr', type, shape, values, indices, indptr, [1, 1], { n: 0, m: 0 }, quant);
  }
}

/**
 * The matrix `s` (argument `name`) checked again as its constructor checked
 * it. Its arrays are the caller's (fromCsr wraps them without copying) and a
 * typed array cannot be frozen: code that walks them (toDense, packing,
 * WebGPU upload) checks them first, so that an array changed since, an
 * indptr entry of 2^31 say, is refused by name instead of looping for minutes.
 * O(stored values), as walking them is.
 */
export function checkSparseStructure(name: string, s: SparseMatrix): void {
  checkSparseFields(s, `${name}.`);
}

function keepFunction(t: Tensor<SparseValueType>, options: FromDenseOptions): (index: number) => boolean {
  if (options.mask !== undefined) {
    const mask = options.mask;
    if (!(mask instanceof Uint8Array)) typeFail('options.mask', 'must be a Uint8Array');
    if (mask.length !== sizeOf(t.dims)) fail('options.mask', `must have ${sizeOf(t.dims)} entries, got ${mask.length}`);
    return (i) => mask[i] !== 0;
  }
  const threshold = options.threshold ?? 0;
  if (typeof threshold !== 'number') typeFail('options.threshold', `must be a number, got ${typeof threshold}`);
  if (!(threshold >= 0)) fail('options.threshold', `must be a number >= 0, got ${threshold}`);
  // Compared in float32, the values' own precision (0.1 means float32(0.1)).
  const limit = Math.fround(threshold);
  return (i) => Math.abs(t.data[i]) > limit;
}

/**
 * The constructor's checks: every field consistent with the format, so nothing that walks the arrays can run past them or loop on a bad indptr.
 * `where` prefixes the fields' names (a matrix checked again as an argument: 'w.').
 */
function checkSparseFields(s: SparseMatrix, where = ''): void {
  const format = checkOneOf(`${where}format`, s.format, ['csr', 'bsr', 'nm'] as const);
  const type = checkOneOf(`${where}type`, s.type, ['float32', 'int8'] as const);
  const [rows, cols] = checkDims(`${where}dims`, s.dims, 2);
  const valueClass = type === 'float32' ? Float32Array : Int8Array;
  if (!(s.values instanceof valueClass)) typeFail(`${where}values`, `must be a ${valueClass.name} for type '${type}'`);
  if (!(s.indptr instanceof Int32Array)) typeFail(`${where}indptr`, 'must be an Int32Array');
  if (!Array.isArray(s.blockShape) || s.blockShape.length !== 2) typeFail(`${where}blockShape`, 'must be [rows, cols]');
  const br = checkInt(`${where}blockShape[0]`, s.blockShape[0], 1, 2 ** 16), bc = checkInt(`${where}blockShape[1]`, s.blockShape[1], 1, 2 ** 16);
  if (format !== 'bsr' && (br !== 1 || bc !== 1)) fail(`${where}blockShape`, `must be [1, 1] for ${format}, got [${br}, ${bc}]`);
  checkObject(`${where}nm`, s.nm);
  const axis = checkTensorQuant(`${where}quant`, type, [rows, cols], s.quant);
  if (axis !== undefined && axis !== 0) typeFail(`${where}quant.axis`, 'must be 0 (per row): sparse weights are scaled per output channel');
  if (format === 'nm') checkNm(s, rows, cols, where);
  else {
    if (s.nm.n !== 0 || s.nm.m !== 0) fail(`${where}nm`, `must be { n: 0, m: 0 } for ${format}`);
    checkBlocks(s, rows, cols, br, bc, where);
  }
}

/** csr and bsr: indptr over block rows, indices of block columns (increasing within a row), blocks of br x bc values. */
function checkBlocks(s: SparseMatrix, rows: number, cols: number, br: number, bc: number, where: string): void {
  const { indptr, indices, values } = s;
  if (rows % br !== 0 || cols % bc !== 0) fail(`${where}blockShape`, `[${br}, ${bc}] must divide dims [${rows}, ${cols}]`);
  if (!(indices instanceof Int32Array)) typeFail(`${where}indices`, 'must be an Int32Array');
  const blockRows = rows / br, blockCols = cols / bc;
  const rowCount = br === 1 ? 'rows' : `rows / ${br}`;
  if (indptr.length !== blockRows + 1) fail(`${where}indptr`, `must have ${rowCount} + 1 = ${blockRows + 1} entries, got ${indptr.length}`);
  if (indptr[0] !== 0) fail(`${where}indptr`, `must start at 0, got ${indptr[0]}`);
  for (let r = 0; r < blockRows; r++)
    if (indptr[r + 1] < indptr[r]) fail(`${where}indptr`, `must not decrease (indptr[${r + 1}] = ${indptr[r + 1]} < indptr[${r}] = ${indptr[r]})`);
  const stored = indptr[blockRows], blockSize = br * bc;
  if (indices.length !== stored) fail(`${where}indices`, `must have indptr[${rowCount}] = ${stored} entries, got ${indices.length}`);
  if (values.length !== stored * blockSize)
    fail(`${where}values`, blockSize === 1 ? `must have indptr[rows] = ${stored} entries, got ${values.length}` : `must have ${stored} blocks x ${blockSize} = ${stored * blockSize} entries, got ${values.length}`);
  for (let r = 0; r < blockRows; r++)
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      if (indices[p] < 0 || indices[p] >= blockCols) fail(`${where}indices`, `[${p}] = ${indices[p]} is outside [0, ${blockCols})`);
      if (p > indptr[r] && indices[p] <= indices[p - 1]) fail(`${where}indices`, `must increase within row ${r} (indices[${p}] = ${indices[p]})`);
    }
}

/** nm: n slots per group of m columns, positions in [0, m), no two nonzero values of a group at one position; indptr empty. */
function checkNm(s: SparseMatrix, rows: number, cols: number, where: string): void {
  const { indptr, indices, values } = s;
  const n = checkInt(`${where}nm.n`, s.nm.n, 1, 255), m = checkInt(`${where}nm.m`, s.nm.m, n, 255);
  if (cols % m !== 0) fail(`${where}nm.m`, `must divide the ${cols} columns`);
  if (indptr.length !== 0) fail(`${where}indptr`, `must be empty for nm, got ${indptr.length} entries`);
  if (!(indices instanceof Uint8Array)) typeFail(`${where}indices`, 'must be a Uint8Array for nm (positions within each group)');
  const slots = rows * (cols / m) * n;
  if (indices.length !== slots) fail(`${where}indices`, `must have rows x cols / m x n = ${slots} entries, got ${indices.length}`);
  if (values.length !== slots) fail(`${where}values`, `must have rows x cols / m x n = ${slots} entries, got ${values.length}`);
  const taken = new Uint8Array(m);
  for (let g = 0; g < slots; g += n) {
    taken.fill(0);
    for (let i = g; i < g + n; i++) {
      if (indices[i] >= m) fail(`${where}indices`, `[${i}] = ${indices[i]} is outside [0, ${m})`);
      if (values[i] === 0) continue;
      if (taken[indices[i]]) fail(`${where}indices`, `[${i}] = ${indices[i]} repeats the position of another nonzero value of its group`);
      taken[indices[i]] = 1;
    }
  }
}
