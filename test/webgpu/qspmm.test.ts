import assert from 'node:assert/strict';

import { cpu, SparseMatrix, tensor, type QGemmOutput, type QSpmmOptions, type Tensor } from '../../src/index.js';
import { int8Sparse, prunedInt8, type Int8SparseFormat } from '../int8-sparse-weights.js';
import { assertSameArray, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

const FORMATS: Int8SparseFormat[] = ['csr', 'bsr', '2:4'];

const activations = (k: number, m: number, zeroPoint: number, r: () => number): Tensor<'uint8'> =>
  tensor('uint8', [k, m], randomInts(Uint8Array, k * m, 0, 255, r), { scale: 0.031, zeroPoint });

const OUTPUTS: [QGemmOutput, QSpmmOptions][] = [
  ['int32', {}],
  ['uint8', { outScale: 0.9, outZeroPoint: 120, activation: 'relu' }],
  ['int8', { outScale: 2.5, outZeroPoint: -3 }],
  ['float32', { activation: { min: -50, max: 1e3 } }],
];

describe('webgpu qu8s8-spmm-wgsl', () => {
  after(releaseGpu);

  for (const format of FORMATS)
    it(`${format} int32 equals cpu.qspmm at densities 0-100%, odd K, M = 1, M tails and empty rows`, async function () {
      const gpu = await gpuOrSkip(this);
      const r = rng(401);
      // M covers one invocation's columns, partial and several column tiles (WG_M * 4 = 256 at M > 128).
      const shapes: [number, number, number][] = [[1, 1, 1], [7, 33, 15], [16, 64, 16], [33, 17, 31], [5, 1000, 1], [20, 36, 100], [3, 8, 65], [130, 70, 257], [9, 4, 2]];
      for (const density of [0, 0.1, 0.5, 1])
        for (const [n, k0, m] of shapes) {
          const k = format === 'csr' ? k0 : Math.ceil(k0 / 4) * 4;
          const w = int8Sparse(prunedInt8(n, k, density, r, format), n, k, format);
          const x = activations(k, m, [0, 1, 128, 255][Math.floor(r() * 4)], r);
          const y = await gpu.qspmm(w, x);
          const got = await gpu.download(y);
          y.dispose();
          assertSameArray(got.data, cpu.qspmm(w, x).data, `${format} ${n}x${k}x${m} density ${density} zp ${x.zeroPoint}`);
        }
    });

  for (const format of FORMATS)
    it(`${format} equals cpu.qspmm for every output kind with bias, per tensor and per row`, async function () {
      const gpu = await gpuOrSkip(this);
      const r = rng(402);
      for (const [n, k, m] of [[1, 4, 1], [7, 36, 70], [33, 288, 17], [64, 20, 1]])
        for (const perRow of [false, true]) {
          const scale = perRow ? Float32Array.from({ length: n }, () => 0.001 + r() * 0.01) : 0.004;
          const w = int8Sparse(prunedInt8(n, k, 0.4, r, format), n, k, format, perRow ? { scale, axis: 0 } : { scale });
          const packed = gpu.packSparseWeights(w);
          const x = activations(k, m, 131, r);
          const bias = randomInts(Int32Array, n, -5000, 5000, r);
          for (const [output, extra] of OUTPUTS) {
            const options = { ...extra, output, bias };
            const y = await gpu.qspmm(packed, x, options);
            const got = await gpu.download(y);
            y.dispose();
            const want = cpu.qspmm(w, x, options);
            assertSameArray(got.data, want.data, `${format} ${output} perRow=${perRow} ${n}x${k}x${m}`);
            assert.deepEqual([got.type, got.dims, got.scale, got.zeroPoint, got.axis], [want.type, want.dims, want.scale, want.zeroPoint, want.axis]);
          }
          packed.dispose();
        }
    });

  it('is exact on full-range weights and where int32 wraps, with a single nonzero and empty rows', async function () {
    const gpu = await gpuOrSkip(this);
    const check = async (w: SparseMatrix<'int8'>, x: Tensor<'uint8'>, what: string, options?: QSpmmOptions) => {
      const y = await gpu.qspmm(w, x, options);
      assertSameArray((await gpu.download(y)).data, cpu.qspmm(w, x, options).data, what);
      y.dispose();
    };
    const [n, k, m] = [6, 13, 40];
    const d = new Int8Array(n * k);
    d[2 * k + 11] = -128;
    await check(int8Sparse(d, n, k, 'csr'), tensor('uint8', [k, m], new Uint8Array(k * m).fill(255), { zeroPoint: 3 }), 'single');
    const full = new Int8Array(n * 16).fill(-128);
    for (let i = 1; i < full.length; i += 3) full[i] = 127;
    const xf = tensor('uint8', [16, m], new Uint8Array(16 * m).fill(255), { zeroPoint: 0 });
    for (const format of FORMATS) await check(int8Sparse(full, n, 16, format), xf, `${format} extremes`);
    for (const kk of [1023, 70001]) {
      const w = int8Sparse(new Int8Array(2 * kk).fill(-128), 2, kk, 'csr');
      await check(w, tensor('uint8', [kk, 3], new Uint8Array(3 * kk).fill(255)), `wrap K=${kk}`);
    }
    const bias = Int32Array.of(2 ** 31 - 1, -(2 ** 31), 2 ** 30, -1, 0, 7);
    await check(int8Sparse(full, n, 16, 'csr'), xf, 'wrapping bias', { bias });
  });

  it('takes CPU-packed weights and GPU activations, and chains an int8 result', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(403);
    const [n, k, m] = [48, 96, 33];
    const w = int8Sparse(prunedInt8(n, k, 0.3, r, 'csr'), n, k, 'csr', { scale: 0.01 });
    const x = activations(k, m, 9, r);
    const options = { output: 'uint8', outScale: 2, outZeroPoint: 9 } as const;
    const gx = gpu.upload(x);
    const y = await gpu.qspmm(cpu.packSparseWeights(w), gx, options);
    assertSameArray((await gpu.download(y)).data, cpu.qspmm(w, x, options).data, 'CPU-packed, GPU x');
    // The uint8 [n, m] result is the next layer's activations.
    const w2 = int8Sparse(prunedInt8(8, n, 0.5, r, '2:4'), 8, n, '2:4');
    const y2 = await gpu.qspmm(w2, y as never);
    const yCpu = cpu.qspmm(w, x, options);
    assertSameArray((await gpu.download(y2)).data, cpu.qspmm(w2, yCpu as Tensor<'uint8'>).data, 'chained');
    [gx, y, y2].forEach((t) => t.dispose());
  });

  it('rejects bad arguments with the CPU errors', async function () {
    const gpu = await gpuOrSkip(this);
    const w = int8Sparse(Int8Array.of(1, 0, 0, 2, 0, 3, 0, 0), 2, 4, 'csr', { scale: 0.5 });
    const x = tensor('uint8', [4, 3], new Uint8Array(12), { scale: 0.1 });
    const badWeights: unknown[] = [
      tensor('int8', [2, 4], new Int8Array(8)),
      SparseMatrix.fromDense(tensor('float32', [2, 4], new Float32Array(8).fill(1)), { format: 'csr' }),
      SparseMatrix.fromDense(tensor('int8', [2, 4], new Int8Array(8).fill(1)), { format: 'bsr', blockShape: [2, 2] }),
      SparseMatrix.fromDense(tensor('int8', [2, 8], new Int8Array(16).fill(1)), { format: 'nm', n: 2, m: 8 }),
      SparseMatrix.fromCsr<'int8'>([1, 4], Int32Array.of(0, 1), Int32Array.of(2), Int8Array.of(5), { scale: 1, zeroPoint: 3 }),
    ];
    const cases: [unknown, unknown, unknown][] = [
      ...badWeights.map((b): [unknown, unknown, unknown] => [b, x, {}]),
      [w, tensor('int8', [4, 3], new Int8Array(12)), {}],
      [w, tensor('uint8', [5, 3], new Uint8Array(15)), {}],
      [w, { ...x, zeroPoint: 256 }, {}],
      [w, { ...x, axis: 0 }, {}],
      [w, x, { bias: new Int32Array(3) }],
      [w, x, { bias: new Float32Array(2) }],
      [w, x, { output: 'int16' }],
      [w, x, { output: 'uint8' }],
      [w, x, { output: 'int8', outScale: 1, outZeroPoint: 200 }],
      [w, { ...x, scale: undefined }, { output: 'float32' }],
      [w, x, { activation: 'relu' }],
      [w, x, { variant: 3 }],
      [w, x, 7],
    ];
    const sameError = (cpuCall: () => unknown) => (e: Error) => {
      try {
        cpuCall();
      } catch (c) {
        return e.constructor === (c as Error).constructor && e.message === (c as Error).message;
      }
      return assert.fail('the CPU accepted what the GPU rejected');
    };
    for (const [wi, xi, options] of cases)
      await assert.rejects(gpu.qspmm(wi as never, xi as never, options as never), sameError(() => cpu.qspmm(wi as never, xi as never, options as never)));
    for (const b of badWeights) assert.throws(() => gpu.packSparseWeights(b as never), sameError(() => cpu.packSparseWeights(b as never)));
    const packed = gpu.packSparseWeights(w);
    packed.dispose();
    await assert.rejects(gpu.qspmm(packed, x), /^TypeError: w was disposed/);
  });
});
