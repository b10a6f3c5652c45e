import assert from 'node:assert/strict';

import { refGemm } from '../../src/backends/reference/gemm.js';
import { GEMV_MAX_M } from '../../src/backends/webgpu/gemm.js';
import { tensor } from '../../src/index.js';
import { assertClose, randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/** Float tolerance of the WGSL GEMM against the double-precision reference (inputs in [-1, 1]). */
const tolerance = (k: number) => ({ rtol: 1e-5, atol: 1e-5 + k * 2e-7 });

describe('webgpu f32-gemm-wgsl and f32-gemm-gemv-wgsl', () => {
  after(releaseGpu);

  it('equals the reference on shapes that do not fill a tile, with bias and clamp', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(91);
    // M <= GEMV_MAX_M runs the GEMV kernel, larger M the tiled one: both get
    // odd N and K (scalar paths), N % 4 == 0 (vec4 paths), N = 1 and K = 0.
    const gemv = [[1, 1, 1], [1, 300, 1000], [1, 7, 5], [2, 13, 9], [3, 33, 1], [4, 64, 130], [2, 1, 17], [3, 5, 0], [1, 5, 0], [4, 2, 3], [GEMV_MAX_M, 70, 19]];
    const tiled = [[7, 15, 33], [64, 64, 64], [100, 257, 300], [257, 1, 7], [130, 65, 17], [GEMV_MAX_M + 1, 70, 19], [GEMV_MAX_M + 1, 5, 0]];
    for (const [m, n, k] of [...gemv, ...tiled]) {
      const a = randomFloats(m * k, r), b = randomFloats(k * n, r), bias = randomFloats(n, r);
      const c = await gpu.gemm(tensor('float32', [m, k], a), tensor('float32', [k, n], b), { bias, activation: { min: -0.5, max: 2 } });
      const got = await gpu.download(c);
      c.dispose();
      const want = refGemm({ m, n, k, a, b, bias, min: Math.fround(-0.5), max: 2 });
      const { rtol, atol } = tolerance(k);
      assert.deepEqual(got.dims, [m, n]);
      assertClose(got.data, want, rtol, atol, `${m}x${n}x${k}`);
    }
  });

  it('chains on the GPU: weights uploaded once, a result fed to the next call', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(92);
    const [m, k, n] = [33, 40, 24];
    const a = randomFloats(m * k, r), w1 = randomFloats(k * n, r), w2 = randomFloats(n * n, r);
    const [g1, g2] = [gpu.upload(tensor('float32', [k, n], w1)), gpu.upload(tensor('float32', [n, n], w2))];
    const h = await gpu.gemm(tensor('float32', [m, k], a), g1, { activation: 'relu' });
    const y = await gpu.gemm(h, g2);
    const got = (await gpu.download(y)).data;
    [g1, g2, h, y].forEach((t) => t.dispose());
    const hRef = Float32Array.from(refGemm({ m, n, k, a, b: w1, min: 0, max: Infinity }));
    const want = refGemm({ m, n, k: n, a: hRef, b: w2, min: -Infinity, max: Infinity });
    assertClose(got, want, 1e-5, 1e-4, 'two layers');
  });

  it('covers more row tiles than one dispatch dimension holds', async function () {
    this.timeout(300000);
    const gpu = await gpuOrSkip(this);
    const m = 65535 * 64 + 70, k = 2, n = 1;
    const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
    const c = await gpu.gemm(tensor('float32', [m, k], a), tensor('float32', [k, n], Float32Array.of(1, 2)));
    const got = (await gpu.download(c)).data;
    c.dispose();
    for (const row of [0, 1, 65535 * 64 - 1, 65535 * 64, m - 1]) assert.equal(got[row], a[2 * row] + 2 * a[2 * row + 1], `row ${row}`);
  });

  it('covers more GEMV column blocks than one dispatch dimension holds', async function () {
    this.timeout(300000);
    const gpu = await gpuOrSkip(this);
    // 64 columns per GEMV workgroup; N % 4 == 2 also takes the scalar path.
    const m = 1, k = 2, n = 65535 * 64 + 6;
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
    const c = await gpu.gemm(tensor('float32', [m, k], Float32Array.of(1, 2)), tensor('float32', [k, n], b));
    const got = (await gpu.download(c)).data;
    c.dispose();
    for (const col of [0, 1, 65535 * 64 - 1, 65535 * 64, n - 1]) assert.equal(got[col], b[col] + 2 * b[n + col], `column ${col}`);
  });

  it('rejects bad arguments with the CPU backend errors', async function () {
    const gpu = await gpuOrSkip(this);
    await assert.rejects(gpu.gemm(tensor('float32', [2, 3]), tensor('float32', [4, 2])), /^RangeError: b has K = 4 rows but a has K = 3 columns/);
    await assert.rejects(gpu.gemm(tensor('int8', [2, 3]) as never, tensor('float32', [3, 2])), TypeError);
    await assert.rejects(gpu.gemm(tensor('float32', [2, 3]), tensor('float32', [3, 2]), { bias: new Float32Array(3) }), /options\.bias/);
    const disposed = gpu.upload(tensor('float32', [3, 2]));
    disposed.dispose();
    await assert.rejects(gpu.gemm(tensor('float32', [2, 3]), disposed), /b was disposed/);
  });
});
