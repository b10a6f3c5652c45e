import assert from 'node:assert/strict';

import { SparseMatrix, tensor, type SparseFormat } from '../../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';

/** A [rows, cols] matrix with about `density` of its values nonzero. */
function pruned(rows: number, cols: number, density: number, seed: number, type: 'float32' | 'int8' = 'float32') {
  const r = rng(seed);
  const data = type === 'float32' ? randomFloats(rows * cols, r) : randomInts(Int8Array, rows * cols, -128, 127, r);
  for (let i = 0; i < data.length; i++) if (r() >= density) data[i] = 0;
  return type === 'float32' ? tensor('float32', [rows, cols], data as Float32Array) : tensor('int8', [rows, cols], data as Int8Array, { scale: Float32Array.from({ length: rows }, (_, i) => 0.01 * (i + 1)), axis: 0 });
}

describe('SparseMatrix', () => {
  for (const format of ['csr', 'bsr'] as SparseFormat[])
    for (const density of [0, 0.01, 0.1, 0.5, 1])
      it(`${format} round-trips exactly at density ${density}, float32 and int8`, () => {
        for (const [rows, cols] of [[1, 4], [8, 16], [12, 64], [64, 36]]) {
          for (const type of ['float32', 'int8'] as const) {
            const dense = pruned(rows, cols, density, rows * 31 + cols, type);
            const options = format === 'bsr' ? { format, blockShape: [4, 4] as const } : { format };
            if (format === 'bsr' && (rows % 4 !== 0 || cols % 4 !== 0)) continue;
            const s = SparseMatrix.fromDense(dense, options);
            const back = s.toDense();
            assertSameArray(back.data, dense.data, `${format} ${type} ${rows}x${cols}`);
            if (type === 'int8') assert.deepEqual(back.scale, dense.scale);
            if (format === 'csr') assert.equal(s.nnz, dense.data.filter((v) => v !== 0).length);
          }
        }
      });

  it('empty rows, a single nonzero and an all-zero matrix', () => {
    const d = new Float32Array(5 * 7);
    d[3 * 7 + 6] = 2.5;
    const s = SparseMatrix.fromDense(tensor('float32', [5, 7], d), { format: 'csr' });
    assert.deepEqual(Array.from(s.indptr), [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(Array.from(s.indices), [6]);
    assert.equal(s.density, 1 / 35);
    assert.deepEqual(s.rowStats(), { min: 0, max: 1, mean: 0.2 });
    const zero = SparseMatrix.fromDense(tensor('float32', [3, 4]), { format: 'csr' });
    assert.equal(zero.nnz, 0);
    assertSameArray(zero.toDense().data, new Float32Array(12), 'all zero');
  });

  it('threshold and keep-mask decide what is zero', () => {
    const dense = tensor('float32', [1, 4], Float32Array.of(0.1, -0.5, 0.05, 2));
    assert.deepEqual(Array.from(SparseMatrix.fromDense(dense, { format: 'csr', threshold: 0.1 }).values), [-0.5, 2]);
    const masked = SparseMatrix.fromDense(dense, { format: 'csr', mask: Uint8Array.of(1, 0, 1, 0) });
    assert.deepEqual(Array.from(masked.indices), [0, 2]);
  });

  it('bsr keeps whole blocks, zeros inside them included', () => {
    const dense = tensor('float32', [2, 4], Float32Array.of(1, 0, 0, 0, 0, 0, 0, 3));
    const s = SparseMatrix.fromDense(dense, { format: 'bsr', blockShape: [2, 2] });
    assert.deepEqual(Array.from(s.indptr), [0, 2]);
    assert.deepEqual(Array.from(s.indices), [0, 1]);
    assert.deepEqual(Array.from(s.values), [1, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(s.density, 1);
  });

  it('2:4 keeps the two largest magnitudes of every group of four, in order', () => {
    const dense = tensor('float32', [1, 8], Float32Array.of(0.1, -3, 2, 0.5, 0, 0, 0, 7));
    const s = SparseMatrix.fromDense(dense, { format: 'nm' });
    assert.deepEqual(Array.from(s.values), [-3, 2, 7, 0]);
    assert.deepEqual(Array.from(s.indices), [1, 2, 3, 0]);
    assertSameArray(s.toDense().data, Float32Array.of(0, -3, 2, 0, 0, 0, 0, 7), '2:4 dense');
    const exact = pruned(16, 32, 0.5, 7);
    const nm = SparseMatrix.fromDense(exact, { format: 'nm', n: 4, m: 8 });
    assert.equal(nm.values.length, 16 * 16);
  });

  describe('validation', () => {
    const ok = { indptr: Int32Array.of(0, 1, 2), indices: Int32Array.of(1, 0), values: Float32Array.of(1, 2) };
    const csr = (o: Partial<typeof ok>) => () => SparseMatrix.fromCsr([2, 3], o.indptr ?? ok.indptr, o.indices ?? ok.indices, o.values ?? ok.values);
    it('accepts valid CSR', () => assertSameArray(csr({})().toDense().data, Float32Array.of(0, 1, 0, 2, 0, 0), 'csr'));
    it('rejects indptr of the wrong length', () => assert.throws(csr({ indptr: Int32Array.of(0, 2) }), /^RangeError: indptr must have rows \+ 1 = 3 entries, got 2/));
    it('rejects indptr not starting at 0', () => assert.throws(csr({ indptr: Int32Array.of(1, 1, 2) }), /^RangeError: indptr must start at 0/));
    it('rejects decreasing indptr', () => assert.throws(csr({ indptr: Int32Array.of(0, 2, 1) }), /^RangeError: indptr must not decrease/));
    it('rejects indptr not ending at nnz', () => assert.throws(csr({ indptr: Int32Array.of(0, 1, 3) }), /^RangeError: indices must have indptr\[rows\] = 3 entries, got 2/));
    it('rejects values of the wrong length', () => assert.throws(csr({ values: Float32Array.of(1) }), /^RangeError: values must have indptr\[rows\] = 2 entries, got 1/));
    it('rejects indices out of range', () => assert.throws(csr({ indices: Int32Array.of(3, 0) }), /^RangeError: indices \[0\] = 3 is outside \[0, 3\)/));
    it('rejects unsorted indices within a row', () =>
      assert.throws(() => SparseMatrix.fromCsr([1, 3], Int32Array.of(0, 2), Int32Array.of(2, 1), Float32Array.of(1, 1)), /^RangeError: indices must increase within row 0/));
    it('rejects index arrays of the wrong type', () => assert.throws(csr({ indices: [1, 0] as never }), /^TypeError: indices must be an Int32Array/));
    it('rejects a block shape that does not divide the matrix', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [3, 4]), { format: 'bsr', blockShape: [2, 2] }), /^RangeError: options\.blockShape \[2, 2\] must divide the matrix \[3, 4\]/));
    it('rejects an N:M group size that does not divide the columns', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [2, 6]), { format: 'nm' }), /^RangeError: options\.m must divide the 6 columns/));
    it('rejects a keep-mask of the wrong size', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'csr', mask: new Uint8Array(7) }), /^RangeError: options\.mask must have 8 entries, got 7/));
    it('rejects an unknown format', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'coo' as never }), /^RangeError: options\.format must be one of 'csr', 'bsr', 'nm'/));
    it('rejects a negative threshold', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'csr', threshold: -1 }), /^RangeError: options\.threshold must be a number >= 0/));
    it('rejects int8 scales along the columns', () =>
      assert.throws(() => SparseMatrix.fromDense(tensor('int8', [2, 4], undefined, { scale: Float32Array.of(1, 1, 1, 1), axis: 1 }), { format: 'csr' }), /^TypeError: dense\.axis must be 0/));
  });
});
