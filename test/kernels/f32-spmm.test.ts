import assert from 'node:assert/strict';

import { refSpmm } from '../../src/backends/reference/spmm.js';
import { cpu, SparseMatrix, tensor } from '../../src/index.js';
import { assertClose, assertSameArray, nativeVariants, randomFloats, rng } from '../helpers.js';

function prunedWeights(n: number, k: number, density: number, r: () => number) {
  const d = randomFloats(n * k, r);
  for (let i = 0; i < d.length; i++) if (r() >= density) d[i] = 0;
  return SparseMatrix.fromDense(tensor('float32', [n, k], d), { format: 'csr' });
}

describe('f32-spmm', () => {
  for (const variant of nativeVariants('f32Spmm')) {
    it(`${variant} equals the reference at densities 0-100%, on tails of M and empty rows`, () => {
      const r = rng(51);
      for (const density of [0, 0.01, 0.1, 0.5, 1])
        for (const [n, k, m] of [[1, 1, 1], [7, 33, 15], [16, 64, 16], [33, 17, 31], [64, 288, 100], [5, 1000, 1], [130, 70, 257]]) {
          const w = prunedWeights(n, k, density, r);
          const x = randomFloats(k * m, r), bias = randomFloats(n, r);
          const got = cpu.spmm(w as SparseMatrix<'float32'>, tensor('float32', [k, m], x), { bias, variant });
          const want = refSpmm(n, m, w.indptr, w.indices as Int32Array, w.values as Float32Array, x, bias, -Infinity, Infinity);
          assertClose(got.data, want, 1e-5, 1e-5 + k * 2e-7, `${variant} ${n}x${k}x${m} density ${density}`);
        }
    });

    it(`${variant} applies ReLU and clamp`, () => {
      const r = rng(52);
      const w = prunedWeights(20, 40, 0.3, r);
      const x = tensor('float32', [40, 50], randomFloats(2000, r));
      const got = cpu.spmm(w as SparseMatrix<'float32'>, x, { activation: { min: -0.1, max: 0.2 }, variant });
      const want = refSpmm(20, 50, w.indptr, w.indices as Int32Array, w.values as Float32Array, x.data, undefined, Math.fround(-0.1), Math.fround(0.2));
      assertClose(got.data, want, 1e-5, 1e-5, variant);
    });
  }

  it('equals the dense GEMM on the densified weights (W x = (x^T W^T)^T)', () => {
    const r = rng(53);
    const [n, k, m] = [24, 48, 40];
    const w = prunedWeights(n, k, 0.2, r);
    const x = randomFloats(k * m, r);
    const sparse = cpu.spmm(w as SparseMatrix<'float32'>, tensor('float32', [k, m], x)).data;
    const wd = w.toDense().data as Float32Array;
    const xt = new Float32Array(m * k), wt = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) xt[j * k + i] = x[i * m + j];
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = wd[i * k + j];
    const dense = cpu.gemm(tensor('float32', [m, k], xt), tensor('float32', [k, n], wt)).data;
    const denseT = new Float32Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) denseT[j * m + i] = dense[i * n + j];
    assertClose(sparse, denseT, 1e-5, 1e-5 + k * 2e-7, 'spmm vs gemm');
  });

  it('gives identical results on 1 and 2 threads, sync and async', async () => {
    const r = rng(54);
    const w = prunedWeights(300, 200, 0.1, r) as SparseMatrix<'float32'>;
    const x = tensor('float32', [200, 700], randomFloats(140000, r));
    cpu.setThreads(1);
    const one = cpu.spmm(w, x).data;
    cpu.setThreads(2);
    assertSameArray(cpu.spmm(w, x).data, one, '2 threads');
    assertSameArray((await cpu.spmmAsync(w, x)).data, one, 'async');
  });

  describe('validation', () => {
    const w = SparseMatrix.fromDense(tensor('float32', [2, 3], Float32Array.of(1, 0, 0, 0, 2, 0)), { format: 'csr' });
    it('rejects dense weights', () => assert.throws(() => cpu.spmm(tensor('float32', [2, 3]) as never, tensor('float32', [3, 1])), /^TypeError: w must be a SparseMatrix/));
    it('rejects formats without a kernel yet', () =>
      assert.throws(() => cpu.spmm(SparseMatrix.fromDense(tensor('float32', [2, 4]), { format: 'nm' }) as never, tensor('float32', [4, 1])), /^TypeError: w must be in csr format/));
    it('rejects mismatched K', () => assert.throws(() => cpu.spmm(w as never, tensor('float32', [4, 1])), /^RangeError: x has K = 4 rows but w has K = 3 columns/));
    it('rejects a bias of the wrong length', () =>
      assert.throws(() => cpu.spmm(w as never, tensor('float32', [3, 1]), { bias: new Float32Array(3) }), /^RangeError: options\.bias must have N = 2 values/));
  });
});
