import assert from 'node:assert/strict';

import { cpu, SparseMatrix, tensor, type SparseFormat } from '../../src/index.js';
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

  describe('the constructor checks every field', () => {
    // [2, 4]: row 0 holds 1 at column 1, row 1 holds 2 at column 3.
    const fields = {
      format: 'csr' as SparseFormat, type: 'float32' as const, dims: [2, 4] as [number, number], values: Float32Array.of(1, 2) as Float32Array | Int8Array,
      indices: Int32Array.of(1, 3) as Int32Array | Uint8Array, indptr: Int32Array.of(0, 1, 2), blockShape: [1, 1] as [number, number], nm: { n: 0, m: 0 }, quant: {},
    };
    const make = (o: Partial<Record<keyof typeof fields, unknown>> = {}) => () => {
      const f = { ...fields, ...o } as typeof fields;
      return new SparseMatrix(f.format, f.type, f.dims, f.values as Float32Array, f.indices, f.indptr, f.blockShape, f.nm, f.quant);
    };

    it('a decreasing indptr throws, where packSparseWeights and qspmm looped in JS', () => {
      const bad = make({ type: 'int8', values: Int8Array.of(1, 2), indptr: Int32Array.of(0, 2 ** 31 - 1, 2), quant: { scale: 1 } });
      assert.throws(bad, /^RangeError: indptr must not decrease \(indptr\[2\] = 2 < indptr\[1\] = 2147483647\)/);
    });
    it('accepts consistent fields of every format, and the kernels agree with them', () => {
      assertSameArray(make()().toDense().data, Float32Array.of(0, 1, 0, 0, 0, 0, 0, 2), 'csr');
      const bsr = make({ format: 'bsr', blockShape: [2, 1], indptr: Int32Array.of(0, 2), indices: Int32Array.of(1, 3), values: Float32Array.of(1, 3, 0, 2) })();
      assertSameArray(bsr.toDense().data, Float32Array.of(0, 1, 0, 0, 0, 3, 0, 2), 'bsr');
      const nm = make({ format: 'nm', nm: { n: 1, m: 2 }, indptr: new Int32Array(0), indices: Uint8Array.of(1, 0, 0, 1), values: Float32Array.of(1, 0, 0, 2) })();
      assertSameArray(nm.toDense().data, Float32Array.of(0, 1, 0, 0, 0, 0, 0, 2), 'nm');
      const x = tensor('float32', [4, 1], Float32Array.of(1, 2, 3, 4));
      assertSameArray(cpu.spmm(nm, x).data, Float32Array.of(2, 8), 'nm spmm');
    });
    const cases: [string, Partial<Record<keyof typeof fields, unknown>>, RegExp][] = [
      ['an unknown format', { format: 'coo' }, /^RangeError: format must be one of 'csr', 'bsr', 'nm'/],
      ['an unknown type', { type: 'int16' }, /^RangeError: type must be one of 'float32', 'int8'/],
      ['dims of the wrong rank', { dims: [8] }, /^RangeError: dims must have 2 dimensions, got 1/],
      ['a huge dimension', { dims: [2, 2 ** 53] }, /^RangeError: dims\[1\] must be a non-negative integer <= 2\^31 - 1/],
      ['values of the wrong array type', { values: Int8Array.of(1, 2) }, /^TypeError: values must be a Float32Array for type 'float32'/],
      ['an indptr that is not an Int32Array', { indptr: [0, 1, 2] }, /^TypeError: indptr must be an Int32Array/],
      ['a block shape that is not a pair', { blockShape: [1] }, /^TypeError: blockShape must be \[rows, cols\]/],
      ['a csr block shape other than [1, 1]', { blockShape: [2, 1] }, /^RangeError: blockShape must be \[1, 1\] for csr, got \[2, 1\]/],
      ['N:M fields on csr', { nm: { n: 2, m: 4 } }, /^RangeError: nm must be \{ n: 0, m: 0 \} for csr/],
      ['indices that are not an Int32Array', { indices: Uint8Array.of(1, 3) }, /^TypeError: indices must be an Int32Array/],
      ['indptr of the wrong length', { indptr: Int32Array.of(0, 2) }, /^RangeError: indptr must have rows \+ 1 = 3 entries, got 2/],
      ['indptr not starting at 0', { indptr: Int32Array.of(1, 1, 2) }, /^RangeError: indptr must start at 0, got 1/],
      ['indptr not ending at the stored count', { indptr: Int32Array.of(0, 1, 3) }, /^RangeError: indices must have indptr\[rows\] = 3 entries, got 2/],
      ['too few values', { values: Float32Array.of(1) }, /^RangeError: values must have indptr\[rows\] = 2 entries, got 1/],
      ['a column out of range', { indices: Int32Array.of(1, 4) }, /^RangeError: indices \[1\] = 4 is outside \[0, 4\)/],
      ['a negative column', { indices: Int32Array.of(-1, 3) }, /^RangeError: indices \[0\] = -1 is outside \[0, 4\)/],
      ['columns not increasing within a row', { indptr: Int32Array.of(0, 2, 2), indices: Int32Array.of(3, 1) }, /^RangeError: indices must increase within row 0/],
      ['a bsr block shape that does not divide dims', { format: 'bsr', blockShape: [3, 1] }, /^RangeError: blockShape \[3, 1\] must divide dims \[2, 4\]/],
      ['bsr values not whole blocks', { format: 'bsr', blockShape: [2, 1], indptr: Int32Array.of(0, 2), indices: Int32Array.of(1, 3), values: Float32Array.of(1, 2) },
        /^RangeError: values must have 2 blocks x 2 = 4 entries, got 2/],
      ['bsr block columns out of range', { format: 'bsr', blockShape: [1, 2], indices: Int32Array.of(0, 2), values: Float32Array.of(1, 0, 0, 2) }, /^RangeError: indices \[1\] = 2 is outside \[0, 2\)/],
      ['nm with n > m', { format: 'nm', nm: { n: 3, m: 2 }, indptr: new Int32Array(0) }, /^RangeError: nm\.m must be an integer in \[3, 255\], got 2/],
      ['nm with m not dividing the columns', { format: 'nm', nm: { n: 1, m: 3 }, indptr: new Int32Array(0) }, /^RangeError: nm\.m must divide the 4 columns/],
      ['nm with an indptr', { format: 'nm', nm: { n: 1, m: 2 } }, /^RangeError: indptr must be empty for nm, got 3 entries/],
      ['nm positions that are not a Uint8Array', { format: 'nm', nm: { n: 1, m: 2 }, indptr: new Int32Array(0), indices: Int32Array.of(1, 0, 0, 1) },
        /^TypeError: indices must be a Uint8Array for nm/],
      ['nm with too few slots', { format: 'nm', nm: { n: 1, m: 2 }, indptr: new Int32Array(0), indices: Uint8Array.of(1, 0) },
        /^RangeError: indices must have rows x cols \/ m x n = 4 entries, got 2/],
      ['nm positions out of their group', { format: 'nm', nm: { n: 1, m: 2 }, indptr: new Int32Array(0), indices: Uint8Array.of(1, 0, 2, 1), values: Float32Array.of(1, 0, 5, 2) },
        /^RangeError: indices \[2\] = 2 is outside \[0, 2\)/],
      ['two nonzero nm values at one position', { format: 'nm', nm: { n: 2, m: 4 }, dims: [1, 4], indptr: new Int32Array(0), indices: Uint8Array.of(1, 1), values: Float32Array.of(1, 2) },
        /^RangeError: indices \[1\] = 1 repeats the position of another nonzero value of its group/],
      ['int8 scales along the columns', { type: 'int8', values: Int8Array.of(1, 2), quant: { scale: Float32Array.of(1, 1, 1, 1), axis: 1 } }, /^TypeError: quant\.axis must be 0/],
      ['a zero scale', { type: 'int8', values: Int8Array.of(1, 2), quant: { scale: 0 } }, /^RangeError: quant\.scale must be a finite positive number, got 0/],
    ];
    for (const [what, o, message] of cases) it(`rejects ${what}`, () => assert.throws(make(o), message));

    it('rejects an object built from its prototype wherever a SparseMatrix goes', () => {
      const fake = Object.create(SparseMatrix.prototype);
      assert.throws(() => cpu.spmm(fake, tensor('float32', [4, 1])), /^TypeError: w must be a SparseMatrix made by/);
      assert.throws(() => cpu.qspmm(fake, tensor('uint8', [4, 1])), /^TypeError: w must be a SparseMatrix made by/);
    });
  });
});
