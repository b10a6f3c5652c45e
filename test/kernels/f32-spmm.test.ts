import assert from 'node:assert/strict';

import { refSpmm, storedAsCsr } from '../../src/backends/reference/spmm.js';
import { cpu, SparseMatrix, tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import type { FromDenseOptions } from '../../src/sparse/sparse-matrix.js';
import { assertClose, assertCloseNonfinite, assertSameArray, nativeVariants, randomFloats, rng } from '../helpers.js';

/** Every format cpu.spmm runs, as fromDense options. */
const FORMATS: readonly FromDenseOptions[] = [
  { format: 'csr' },
  ...[4, 8].map((r) => ({ format: 'bsr' as const, blockShape: [r, 1] as const })),
  { format: 'nm' },
  { format: 'nm', n: 3, m: 8 },
];
const formatName = (f: FromDenseOptions) => (f.format === 'bsr' ? `bsr [${f.blockShape}]` : f.format === 'nm' ? `nm ${f.n ?? 2}:${f.m ?? 4}` : f.format);

/** W[n, k] with `density` of its entries kept (whole blocks for bsr), random values. */
function prunedWeights(n: number, k: number, density: number, r: () => number, options: FromDenseOptions = { format: 'csr' }) {
  const rowsPerBlock = options.format === 'bsr' ? options.blockShape![0] : 1;
  const keep = Array.from({ length: (n / rowsPerBlock) * k }, () => r() < density);
  const d = randomFloats(n * k, r);
  for (let i = 0; i < d.length; i++) if (!keep[Math.floor(i / k / rowsPerBlock) * k + (i % k)]) d[i] = 0;
  return SparseMatrix.fromDense(tensor('float32', [n, k], d), options) as SparseMatrix<'float32'>;
}

/** The reference on every stored entry of w, whatever its format. */
function reference(w: SparseMatrix<'float32'>, m: number, x: Float32Array, bias: Float32Array | undefined, min = -Infinity, max = Infinity) {
  const csr = storedAsCsr(w);
  return refSpmm(w.dims[0], m, csr.indptr, csr.indices, csr.values, x, bias, min, max);
}

/** W x on the dense GEMM over the densified weights (W x = (x^T W^T)^T), with the bias and activation. */
function denseProduct(w: SparseMatrix<'float32'>, x: Float32Array, m: number, options: { bias?: Float32Array; activation?: 'relu' } = {}): Float32Array {
  const [n, k] = w.dims;
  const wd = w.toDense().data as Float32Array;
  const xt = new Float32Array(m * k), wt = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) xt[j * k + i] = x[i * m + j];
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = wd[i * k + j];
  const dense = cpu.gemm(tensor('float32', [m, k], xt), tensor('float32', [k, n], wt), options).data;
  const y = new Float32Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[j * m + i] = dense[i * n + j];
  return y;
}

describe('f32-spmm', () => {
  for (const variant of nativeVariants('f32-spmm'))
    for (const format of FORMATS) {
      it(`${variant} ${formatName(format)} equals the reference at densities 0-100%, on tails of M and empty rows`, () => {
        const r = rng(51);
        for (const density of [0, 0.01, 0.1, 0.5, 0.9, 1])
          for (const [n, k, m] of [[8, 8, 1], [8, 24, 15], [16, 64, 16], [40, 16, 31], [64, 288, 100], [8, 1000, 1], [136, 72, 257], [24, 48, 65]]) {
            const w = prunedWeights(n, k, density, r, format);
            const x = randomFloats(k * m, r), bias = randomFloats(n, r);
            const got = cpu.spmm(w, tensor('float32', [k, m], x), { bias, variant });
            assertClose(got.data, reference(w, m, x, bias), 1e-5, 1e-5 + k * 2e-7, `${variant} ${formatName(format)} ${n}x${k}x${m} density ${density}`);
          }
      });

      it(`${variant} ${formatName(format)} with one stored weight, and ReLU and clamp`, () => {
        const r = rng(52);
        const [n, k, m] = [16, 24, 33];
        const dense = new Float32Array(n * k);
        dense[9 * k + 17] = 1.5;
        const single = SparseMatrix.fromDense(tensor('float32', [n, k], dense), format) as SparseMatrix<'float32'>;
        for (const mm of [1, m]) {
          const x = randomFloats(k * mm, r);
          assertClose(cpu.spmm(single, tensor('float32', [k, mm], x), { variant }).data, reference(single, mm, x, undefined), 1e-6, 1e-6, `${variant} single m=${mm}`);
        }
        const w = prunedWeights(n, k, 0.3, r, format);
        const x = randomFloats(k * m, r);
        const got = cpu.spmm(w, tensor('float32', [k, m], x), { activation: { min: -0.1, max: 0.2 }, variant });
        assertClose(got.data, reference(w, m, x, undefined, Math.fround(-0.1), Math.fround(0.2)), 1e-5, 1e-5, `${variant} clamp`);
      });
    }

  it('equals the dense GEMM on the densified weights (W x = (x^T W^T)^T)', () => {
    const r = rng(53);
    const [n, k, m] = [24, 48, 40];
    const w = prunedWeights(n, k, 0.2, r);
    const x = randomFloats(k * m, r);
    const sparse = cpu.spmm(w as SparseMatrix<'float32'>, tensor('float32', [k, m], x)).data;
    assertClose(sparse, denseProduct(w, x, m), 1e-5, 1e-5 + k * 2e-7, 'spmm vs gemm');
  });

  // The contract: an unstored weight is an exact 0 and 0 x Inf = 0 x NaN =
  // NaN, so every output the dense product makes NaN is NaN here too (and
  // stored weights carry Inf and NaN through the kernels, clamps included).
  describe('Inf and NaN in x give the dense product\'s NaN and Inf', () => {
    // Tails of M, M = 1 (the GEMV path), and an X over 1 MiB in several M
    // strips (not copied: checked in the product's tasks).
    const SHAPES = [[16, 24, 33], [8, 40, 1], [24, 64, 130], [32, 296, 1000]];
    /** x [k, m] with an Inf, a NaN, and an Inf and -Inf in one column at random places, and -Inf / Inf at the first and last values. */
    function specialX(k: number, m: number, r: () => number): Float32Array {
      const x = randomFloats(k * m, r);
      const at = () => Math.floor(r() * k * m);
      x[at()] = Infinity;
      x[at()] = NaN;
      const column = Math.floor(r() * m);
      x[Math.floor(r() * k) * m + column] = Infinity;
      x[Math.floor(r() * k) * m + column] = -Infinity;
      x[0] = -Infinity;
      x[k * m - 1] = Infinity;
      return x;
    }

    for (const format of FORMATS)
      it(`${formatName(format)}: every variant, with the ISA capped at AVX2 and at scalar, and the reference`, () => {
        const r = rng(55);
        for (const [n, k, m] of SHAPES)
          for (const options of [{}, { bias: randomFloats(n, r), activation: 'relu' as const }]) {
            const w = prunedWeights(n, k, 0.3, r, format);
            const x = specialX(k, m, r);
            const want = denseProduct(w, x, m, options);
            const what = `${formatName(format)} ${n}x${k}x${m}${options.bias ? ' bias relu' : ''}`;
            const csr = storedAsCsr(w);
            assertCloseNonfinite(refSpmm(n, m, csr.indptr, csr.indices, csr.values, x, options.bias, options.activation ? 0 : -Infinity, Infinity), want, 1e-5, 1e-5 + k * 2e-7, `reference ${what}`);
            for (const variant of nativeVariants('f32-spmm'))
              assertCloseNonfinite(cpu.spmm(w, tensor('float32', [k, m], x), { ...options, variant }).data, want, 1e-5, 1e-5 + k * 2e-7, `${variant} ${what}`);
            // Capped, the check of x runs its AVX2 and portable variants too.
            for (const limit of ['avx2', 'scalar'] as const) {
              cpu.setIsaLimit(limit);
              try {
                assertCloseNonfinite(cpu.spmm(w, tensor('float32', [k, m], x), options).data, want, 1e-5, 1e-5 + k * 2e-7, `ISA capped at ${limit}: ${what}`);
              } finally {
                cpu.setIsaLimit('none');
              }
            }
          }
      });

    it('nm: unused slots sit on columns their group does not keep (a 0 slot on a kept column made 0 x Inf = NaN beside its Inf)', () => {
      const w = SparseMatrix.fromDense(tensor('float32', [1, 4], Float32Array.of(5, 0, 0, 0)), { format: 'nm' }) as SparseMatrix<'float32'>;
      const x = tensor('float32', [4, 1], Float32Array.of(Infinity, 1, 1, 1));
      for (const variant of nativeVariants('f32-spmm')) assert.deepEqual([...cpu.spmm(w, x, { variant }).data], [Infinity], variant);
      assert.deepEqual([...reference(w, 1, x.data, undefined)], [Infinity], 'reference');
    });

    it('a NaN or an Inf anywhere in a long X reaches the outputs, in rows the weights store (seen in the sums) or not (checked)', () => {
      const r = rng(56);
      const [n, k, m] = [16, 296, 1000];
      // Row 150 of X is read by no weight, rows 0 and 37 by the first row's.
      const dense = prunedWeights(n, k, 0.1, r).toDense();
      for (let i = 0; i < n; i++) dense.data[i * k + 150] = 0;
      dense.data[0] = dense.data[37] = 0.5;
      const w = SparseMatrix.fromDense(dense, { format: 'csr' }) as SparseMatrix<'float32'>;
      for (const value of [NaN, Infinity])
        for (const at of [0, 37 * m + 999, 150 * m, 150 * m + 500, 295 * m, k * m - 1]) {
          const x = randomFloats(k * m, r);
          x[at] = value;
          assertCloseNonfinite(cpu.spmm(w, tensor('float32', [k, m], x)).data, denseProduct(w, x, m), 1e-5, 1e-5 + k * 2e-7, `${value} at ${at}`);
        }
    });
  });

  for (const format of FORMATS)
    it(`${formatName(format)} gives identical results on 1 and 2 threads, sync and async, M = 700 and 1`, async () => {
      const r = rng(54);
      const w = prunedWeights(304, 200, 0.1, r, format);
      for (const m of [700, 1]) {
        const x = tensor('float32', [200, m], randomFloats(200 * m, r));
        cpu.setThreads(1);
        const one = cpu.spmm(w, x).data;
        cpu.setThreads(2);
        assertSameArray(cpu.spmm(w, x).data, one, `2 threads m=${m}`);
        assertSameArray((await cpu.spmmAsync(w, x)).data, one, `async m=${m}`);
      }
    });

  describe('validation', () => {
    const w = SparseMatrix.fromDense(tensor('float32', [2, 3], Float32Array.of(1, 0, 0, 0, 2, 0)), { format: 'csr' });
    it('rejects dense weights', () => assert.throws(() => cpu.spmm(tensor('float32', [2, 3]) as never, tensor('float32', [3, 1])), /^TypeError: w must be a SparseMatrix/));
    it('rejects bsr block shapes without a kernel, listing those with one', () =>
      assert.throws(() => cpu.spmm(SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'bsr', blockShape: [1, 4] }) as never, tensor('float32', [4, 1])),
        /^TypeError: w has bsr blocks of \[1, 4\]; spmm runs \[4, 1\], \[8, 1\]/));
    it('rejects mismatched K', () => assert.throws(() => cpu.spmm(w as never, tensor('float32', [4, 1])), /^RangeError: x has K = 4 rows but w has K = 3 columns/));
    it('rejects a bias of the wrong length', () =>
      assert.throws(() => cpu.spmm(w as never, tensor('float32', [3, 1]), { bias: new Float32Array(3) }), /^RangeError: options\.bias must have N = 2 values/));
  });

  // The addon re-checks every structure itself: garbage must give a JS error, never a crash.
  describe('native argument checks', () => {
    const addon = native();
    // A valid [8, 4] x [4, 2] product in bsr [4, 1]: block rows 0 and 1 hold one block each, at columns 0 and 3.
    const bsr = () => ({ rows: 8, blockRows: 4, indptr: Int32Array.of(0, 1, 2) as unknown, indices: Int32Array.of(0, 3) as unknown, values: new Float32Array(8), k: 4, x: new Float32Array(8), y: new Float32Array(16) });
    const callBsr = (a: ReturnType<typeof bsr>) =>
      addon!.f32Spmm({
        variant: null, rows: a.rows, blockRows: a.blockRows, indptr: a.indptr as Int32Array, indices: a.indices as Int32Array, values: a.values,
        x: a.x, k: a.k, m: 2, ldx: 2, y: a.y, ldy: 2, bias: null, min: -Infinity, max: Infinity, async: false,
      });
    // A valid [2, 8] x [8, 2] product in 2:4.
    const nm = () => ({ n: 2, groupSize: 4, positions: Uint8Array.of(0, 1, 2, 3, 0, 3, 1, 2) as unknown, values: new Float32Array(8), k: 8 });
    const callNm = (a: ReturnType<typeof nm>) =>
      addon!.f32SpmmNm({
        variant: null, rows: 2, n: a.n, groupSize: a.groupSize, positions: a.positions as Uint8Array, values: a.values,
        x: new Float32Array(16), k: a.k, m: 2, ldx: 2, y: new Float32Array(4), ldy: 2, bias: null, min: -Infinity, max: Infinity, async: false,
      });

    it('accepts the valid arguments', () => {
      assert.ok(addon, 'the native addon must be built for these tests');
      callBsr(bsr());
      callNm(nm());
    });
    const bsrCases: [string, Partial<ReturnType<typeof bsr>>, RegExp][] = [
      ['block rows without a kernel', { blockRows: 2, rows: 8 }, /^RangeError: blockRows must be one of 1, 4, 8/],
      ['rows that are not whole blocks', { rows: 6 }, /^RangeError: rows must be a multiple of blockRows/],
      ['an indptr that is not an Int32Array', { indptr: Float32Array.of(0, 1, 2) }, /^TypeError: indptr must be a Int32Array/],
      ['an indptr shorter than the block rows + 1', { indptr: Int32Array.of(0, 1) }, /^RangeError: indptr has 2 elements, needs at least 3/],
      ['an indptr not starting at 0', { indptr: Int32Array.of(1, 1, 2) }, /^RangeError: indptr must start at 0/],
      ['an indptr ending below 0', { indptr: Int32Array.of(0, 0, -1) }, /^RangeError: indptr must start at 0 and end at nnz >= 0/],
      ['a decreasing indptr', { indptr: Int32Array.of(0, 2, 1) }, /^RangeError: indptr must not decrease/],
      ['indices shorter than nnz', { indices: Int32Array.of(0) }, /^RangeError: indices has 1 elements, needs at least 2/],
      ['values shorter than nnz blocks x block rows', { values: new Float32Array(7) }, /^RangeError: values has 7 elements, needs at least 8/],
      ['indices outside [0, k)', { indices: Int32Array.of(0, 4) }, /^RangeError: indices must lie in \[0, k\)/],
      ['negative indices', { indices: Int32Array.of(-1, 0) }, /^RangeError: indices must lie in \[0, k\)/],
      ['an x shorter than k x m', { x: new Float32Array(7) }, /^RangeError: x has 7 elements, needs at least 8/],
      ['a y shorter than rows x m', { y: new Float32Array(15) }, /^RangeError: y has 15 elements, needs at least 16/],
    ];
    for (const [what, change, error] of bsrCases) it(`f32Spmm rejects ${what}`, () => assert.throws(() => callBsr({ ...bsr(), ...change }), error));
    const nmCases: [string, Partial<ReturnType<typeof nm>>, RegExp][] = [
      ['n = 0', { n: 0 }, /^RangeError: n must be/],
      ['a group smaller than n', { groupSize: 1 }, /^RangeError: groupSize must be/],
      ['a group that does not divide k', { groupSize: 3, n: 1 }, /^RangeError: groupSize must divide k/],
      ['positions that are not a Uint8Array', { positions: Int32Array.of(0, 1, 2, 3, 0, 3, 1, 2) }, /^TypeError: positions must be a Uint8Array/],
      ['positions shorter than rows x k / groupSize x n', { positions: Uint8Array.of(0, 1, 2, 3, 0, 3, 1) }, /^RangeError: positions has 7 elements, needs at least 8/],
      ['values shorter than the positions', { values: new Float32Array(7) }, /^RangeError: values has 7 elements, needs at least 8/],
      ['positions outside the group', { positions: Uint8Array.of(0, 1, 2, 3, 0, 4, 1, 2) }, /^RangeError: positions must lie in \[0, groupSize\)/],
    ];
    for (const [what, change, error] of nmCases) it(`f32SpmmNm rejects ${what}`, () => assert.throws(() => callNm({ ...nm(), ...change }), error));
  });
});
