import assert from 'node:assert/strict';

import { refQGemmInt32 } from '../../src/backends/reference/qgemm.js';
import { refQSpmmInt32, refQSpmmOutput } from '../../src/backends/reference/qspmm.js';
import { saturateRound } from '../../src/ops/round.js';
import { cpu, SparseMatrix, tensor, type QGemmOutput } from '../../src/index.js';
import { native } from '../../src/native.js';
import { int8Sparse, prunedInt8, type Int8SparseFormat } from '../int8-sparse-weights.js';
import { assertSameArray, nativeVariants, randomInts, rng } from '../helpers.js';

const FORMATS: Int8SparseFormat[] = ['csr', 'bsr', '2:4', '1:4'];

/** The weights the kernel actually sees (N:M keeps the n largest per group). */
const densified = (w: SparseMatrix<'int8'>) => w.toDense().data as Int8Array;

const SHAPES: [number, number, number][] = [[1, 1, 1], [7, 33, 15], [16, 64, 16], [33, 17, 31], [5, 1000, 1], [20, 36, 100], [3, 8, 65], [130, 70, 257], [9, 4, 2]];

describe('qu8s8-spmm', () => {
  for (const variant of nativeVariants('qu8s8-spmm')) {
    it(`${variant} equals the exact reference for every format at densities 0-100%, on M tails, M = 1 and odd K`, () => {
      const r = rng(61);
      for (const format of FORMATS)
        for (const density of [0, 0.01, 0.1, 0.5, 0.9, 1])
          for (const [n, k0, m] of SHAPES) {
            const k = format === 'csr' ? k0 : Math.ceil(k0 / 4) * 4;
            const w = int8Sparse(prunedInt8(n, k, density, r, format), n, k, format);
            const aZeroPoint = [0, 1, 128, 255][Math.floor(r() * 4)];
            const x = tensor('uint8', [k, m], randomInts(Uint8Array, k * m, 0, 255, r), { zeroPoint: aZeroPoint });
            const got = cpu.qspmm(w, x, { variant });
            assertSameArray(got.data, refQSpmmInt32(n, k, m, densified(w), x.data, aZeroPoint), `${variant} ${format} ${n}x${k}x${m} density ${density}`);
          }
    });

    it(`${variant} fuses bias, requantize, dequantize and ReLU exactly, per tensor and per row`, () => {
      const r = rng(62);
      for (const format of FORMATS)
        for (const [n, k, m] of [[1, 4, 1], [7, 36, 70], [33, 288, 17], [64, 20, 1]])
          for (const perRow of [false, true])
            for (const output of ['int32', 'uint8', 'int8', 'float32'] as QGemmOutput[]) {
              const scale = perRow ? Float32Array.from({ length: n }, () => 0.001 + r() * 0.01) : 0.004;
              const w = int8Sparse(prunedInt8(n, k, 0.4, r, format), n, k, format, perRow ? { scale, axis: 0 } : { scale });
              const x = tensor('uint8', [k, m], randomInts(Uint8Array, k * m, 0, 255, r), { scale: 0.05, zeroPoint: 131 });
              const bias = randomInts(Int32Array, n, -5000, 5000, r);
              const outScale = 0.7, outZeroPoint = output === 'int8' ? -5 : 120;
              const activation = output === 'int32' ? undefined : ('relu' as const);
              const got = cpu.qspmm(w, x, { output, bias, outScale, outZeroPoint, activation, variant });
              const acc = refQSpmmInt32(n, k, m, densified(w), x.data, 131);
              const scales = typeof scale === 'number' ? [scale] : Array.from(scale);
              const multipliers = Float32Array.from(scales, (s) => {
                const product = Math.fround(Math.fround(0.05) * Math.fround(s));
                return output === 'float32' ? product : Math.fround(product / Math.fround(outScale));
              });
              const want = new (got.data.constructor as Float32ArrayConstructor)(n * m);
              const q = output === 'uint8' ? [0, 255] : [-128, 127];
              refQSpmmOutput(acc, m, want, {
                multipliers, bias, zeroPoints: Int32Array.of(outZeroPoint), outMin: saturateRound(0, outZeroPoint, q[0], q[1]), outMax: q[1],
                fmin: output === 'float32' ? 0 : -Infinity, fmax: Infinity,
              });
              assertSameArray(got.data, want, `${variant} ${format} ${output} perRow=${perRow} ${n}x${k}x${m}`);
            }
    });

    it(`${variant} handles a single nonzero, empty rows and extreme values`, () => {
      const [n, k, m] = [6, 13, 40];
      const d = new Int8Array(n * k);
      d[2 * k + 11] = -128;
      const x = tensor('uint8', [k, m], new Uint8Array(k * m).fill(255), { zeroPoint: 3 });
      const w = int8Sparse(d, n, k, 'csr');
      assertSameArray(cpu.qspmm(w, x, { variant }).data, refQSpmmInt32(n, k, m, d, x.data, 3), `${variant} single`);
      // Every pair of a word at its extreme: vpmaddubsw would saturate without the even/odd split.
      const full = new Int8Array(n * 16).fill(-128);
      for (let i = 1; i < full.length; i += 3) full[i] = 127;
      const xf = tensor('uint8', [16, m], new Uint8Array(16 * m).fill(255), { zeroPoint: 0 });
      for (const format of FORMATS.slice(0, 2)) {
        const wf = int8Sparse(full, n, 16, format);
        assertSameArray(cpu.qspmm(wf, xf, { variant }).data, refQSpmmInt32(n, 16, m, full, xf.data, 0), `${variant} ${format} extremes`);
      }
    });
  }

  it('is exact for large K, where the int32 sums wrap', () => {
    for (const k of [1023, 70001]) {
      const w = int8Sparse(new Int8Array(2 * k).fill(-128), 2, k, 'csr');
      const x = tensor('uint8', [k, 3], new Uint8Array(3 * k).fill(255));
      const got = cpu.qspmm(w, x);
      assertSameArray(got.data, refQSpmmInt32(2, k, 3, densified(w), x.data, 0), `K=${k}`);
      assert.equal(got.data[0], Math.imul(255 * -128, k) | 0);
    }
  });

  it('equals qgemm on the densified, transposed weights', () => {
    const r = rng(63);
    const [n, k, m] = [24, 52, 40];
    const d = prunedInt8(n, k, 0.3, r, 'csr');
    const x = randomInts(Uint8Array, k * m, 0, 255, r);
    const got = cpu.qspmm(int8Sparse(d, n, k, 'csr'), tensor('uint8', [k, m], x, { zeroPoint: 17 })).data;
    const xt = new Uint8Array(m * k), wt = new Int8Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) xt[j * k + i] = x[i * m + j];
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = d[i * k + j];
    const gemm = refQGemmInt32({ m, n, k, a: xt, aZeroPoint: 17, b: wt, bZeroPoints: [0] });
    const want = new Int32Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[j * m + i] = gemm[i * n + j];
    assertSameArray(got, want, 'qspmm vs qgemm');
  });

  it('gives identical results on 1 and 2 threads, sync and async, packed and plain', async () => {
    const r = rng(64);
    for (const [n, k, m] of [[300, 200, 700], [1024, 256, 1], [8, 64, 3000]]) {
      const w = int8Sparse(prunedInt8(n, k, 0.2, r, 'csr'), n, k, 'csr', { scale: 0.01 });
      const x = tensor('uint8', [k, m], randomInts(Uint8Array, k * m, 0, 255, r), { scale: 0.1, zeroPoint: 9 });
      const options = { output: 'uint8', outScale: 2, outZeroPoint: 9 } as const;
      cpu.setThreads(1);
      const one = cpu.qspmm(w, x, options);
      cpu.setThreads(2);
      const packed = cpu.packSparseWeights(w);
      assertSameArray(cpu.qspmm(packed, x, options).data, one.data, `2 threads ${n}x${k}x${m}`);
      assertSameArray((await cpu.qspmmAsync(packed, x, options)).data, one.data, `async ${n}x${k}x${m}`);
      assertSameArray(cpu.qspmm(w, x).data, refQSpmmInt32(n, k, m, densified(w), x.data, 9), `int32 ${n}x${k}x${m}`);
      assert.equal(one.scale, 2);
      assert.equal(one.zeroPoint, 9);
    }
  });

  it('int32 output carries the per-row accumulator scales', () => {
    const scale = Float32Array.of(0.5, 0.25);
    const w = int8Sparse(Int8Array.of(1, 0, 0, 2, 0, 3, 0, 0), 2, 4, 'csr', { scale, axis: 0 });
    const y = cpu.qspmm(w, tensor('uint8', [4, 1], Uint8Array.of(1, 2, 3, 4), { scale: 2 }));
    assert.deepEqual(Array.from(y.scale as Float32Array), [1, 0.5]);
    assert.equal(y.axis, 0);
  });

  describe('validation', () => {
    const w = int8Sparse(Int8Array.of(1, 0, 0, 2, 0, 3, 0, 0), 2, 4, 'csr', { scale: 0.5 });
    const x = tensor('uint8', [4, 3], new Uint8Array(12), { scale: 0.1 });
    it('rejects w that is not a SparseMatrix', () => assert.throws(() => cpu.qspmm(tensor('int8', [2, 4], new Int8Array(8)) as never, x), /^TypeError: w must be a SparseMatrix/));
    it('rejects float32 sparse weights', () => {
      const f = SparseMatrix.fromDense(tensor('float32', [2, 4], new Float32Array(8).fill(1)), { format: 'csr' });
      assert.throws(() => cpu.qspmm(f as never, x), /^TypeError: w must hold int8 values/);
    });
    it('rejects bsr blocks other than [1, 4]', () => {
      const b = SparseMatrix.fromDense(tensor('int8', [2, 4], new Int8Array(8).fill(1)), { format: 'bsr', blockShape: [2, 2] });
      assert.throws(() => cpu.qspmm(b as SparseMatrix<'int8'>, x), /^TypeError: w is bsr with blockShape \[2, 2\]; supported: 'csr', 'bsr' with blockShape \[1, 4\]/);
    });
    it('rejects N:M with m other than 4', () => {
      const nm = SparseMatrix.fromDense(tensor('int8', [2, 8], new Int8Array(16).fill(1)), { format: 'nm', n: 2, m: 8 });
      assert.throws(() => cpu.qspmm(nm as SparseMatrix<'int8'>, tensor('uint8', [8, 1], new Uint8Array(8))), /^TypeError: w is 2:8 sparse; supported/);
    });
    it('rejects a weight zero point other than 0', () => {
      const z = SparseMatrix.fromCsr<'int8'>([1, 4], Int32Array.of(0, 1), Int32Array.of(2), Int8Array.of(5), { scale: 1, zeroPoint: 3 });
      assert.throws(() => cpu.qspmm(z, x), /^RangeError: w.quant.zeroPoint must be 0/);
    });
    it('rejects per-column weight scales (a SparseMatrix cannot hold them)', () =>
      assert.throws(() => SparseMatrix.fromCsr<'int8'>([1, 4], Int32Array.of(0, 1), Int32Array.of(2), Int8Array.of(5), { scale: Float32Array.of(1, 1, 1, 1), axis: 1 }),
        /^TypeError: quant.axis must be 0/));
    it('rejects x of the wrong type', () => assert.throws(() => cpu.qspmm(w, tensor('int8', [4, 3], new Int8Array(12)) as never), /^TypeError: x must be a tensor of type 'uint8'/));
    it('rejects x with the wrong K', () => assert.throws(() => cpu.qspmm(w, tensor('uint8', [5, 3], new Uint8Array(15))), /^RangeError: x has K = 5 rows but w has K = 4/));
    it('rejects an activation zero point out of range', () => assert.throws(() => cpu.qspmm(w, { ...x, zeroPoint: 256 }), /^RangeError: x.zeroPoint/));
    it('rejects per-axis activations', () => assert.throws(() => cpu.qspmm(w, { ...x, axis: 0 }), /^TypeError: x.axis/));
    it('rejects a bias of the wrong length', () => assert.throws(() => cpu.qspmm(w, x, { bias: new Int32Array(3) }), /options.bias/));
    it('rejects an unknown output', () => assert.throws(() => cpu.qspmm(w, x, { output: 'int16' as never }), /^RangeError: options.output/));
    it('requires outScale for quantized output', () => assert.throws(() => cpu.qspmm(w, x, { output: 'uint8' }), /^TypeError: options.outScale is required/));
    it('requires x.scale for float output', () => assert.throws(() => cpu.qspmm(w, { ...x, scale: undefined }, { output: 'float32' }), /^TypeError: x.scale is required/));
    it('rejects an activation on int32 output', () => assert.throws(() => cpu.qspmm(w, x, { activation: 'relu' }), /^TypeError: options.activation/));
    it('rejects a non-string variant', () => assert.throws(() => cpu.qspmm(w, x, { variant: 3 as never }), /^TypeError: options.variant/));
    it('rejects an unknown variant', () => assert.throws(() => cpu.qspmm(w, x, { variant: 'qu8s8-spmm-nope' }), /^RangeError: unknown variant qu8s8-spmm-nope/));
    it('rejects an out of the wrong type', () => assert.throws(() => cpu.qspmm(w, x, { out: new Float32Array(6) }), /options.out/));

    it('the binding turns garbage into JS errors, never a crash', () => {
      const addon = native()!;
      const ok = cpu.packSparseWeights(w).handle!;
      const pack = (indptr: number[], groups: number[], words: number[]) =>
        addon.packQ8Sparse({ rows: 2, k: 4, indptr: Int32Array.from(indptr), groups: Int32Array.from(groups), words: Int32Array.from(words) });
      assert.throws(() => pack([0, 1, 2], [0, 1], [1, 1]), /^RangeError: groups must lie in/);
      assert.throws(() => pack([0, 2, 1], [0, 0], [1, 1]), /^RangeError: indptr must not decrease/);
      assert.throws(() => pack([0, 1, 9], [0, 0], [1, 1]), /^RangeError: groups has 2 elements/);
      assert.throws(() => pack([1, 1, 1], [0], [1]), /^RangeError: indptr must start at 0/);
      // K = 6: the last group's weights 6 and 7 do not exist; the channels-last
      // kernels would meet them with the next pixel's bytes (found by fuzzing).
      const packK6 = (word: number) => addon.packQ8Sparse({ rows: 1, k: 6, indptr: Int32Array.of(0, 1), groups: Int32Array.of(1), words: Int32Array.of(word) });
      for (const word of [0x00010000, 0x01000000, -1])
        assert.throws(() => packK6(word), /^RangeError: words must hold 0 for the weights past k/);
      packK6(0x0000ff7f);
      const call = (over: Record<string, unknown>) => {
        const valid = {
          variant: null, weights: ok, x: new Uint8Array(12), m: 3, ldx: 3, aZeroPoint: 0, output: 'int32', c: new Int32Array(6), ldc: 3,
          bias: null, multiplier: null, outZeroPoint: 0, outMin: 0, outMax: 0, fmin: -Infinity, fmax: Infinity, async: false,
        };
        return (addon.qu8s8Spmm as (options: unknown) => unknown)({ ...valid, ...over });
      };
      call({});
      assert.throws(() => call({ weights: {} }), /^TypeError: weights must be a handle from packQ8Sparse/);
      assert.throws(() => call({ weights: addon.packQ8Weights({ b: new Int8Array(4), k: 2, n: 2, ldb: 2, zeroPoints: null }) }), /^TypeError: weights must be a handle from packQ8Sparse/);
      assert.throws(() => call({ x: new Uint8Array(11) }), /^RangeError: x has 11 elements/);
      assert.throws(() => call({ ldx: 2 }), /^RangeError: ldx must be >= m/);
      assert.throws(() => call({ c: new Int32Array(5) }), /^RangeError: c is too short/);
      assert.throws(() => call({ c: new Float32Array(6) }), /^TypeError: c must be an Int32Array/);
      assert.throws(() => call({ bias: new Int32Array(1) }), /^RangeError: bias has 1 elements/);
      assert.throws(() => call({ output: 'uint8', c: new Uint8Array(6) }), /^TypeError: multiplier is required/);
      assert.throws(() => call({ multiplier: new Float32Array(3) }), /^RangeError: multiplier must have 1 or 2 elements/);
      assert.throws(() => call({ aZeroPoint: 256 }), /aZeroPoint/);
    });
  });
});
