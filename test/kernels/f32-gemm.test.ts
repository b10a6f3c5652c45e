import assert from 'node:assert/strict';

import { TEST_DIMS } from '../fixtures/shapes.js';
import { refGemm } from '../../src/backends/reference/gemm.js';
import { cpu, tensor } from '../../src/index.js';
import { assertClose, nativeVariants, randomFloats, rng } from '../helpers.js';

// Tolerance: each output sums K products of values in [-1, 1] in float32 with
// a different association than the double-precision reference; the error
// bound grows like K * eps * sum|a*b| <= K * 2^-24 * K. We check
// |err| <= 1e-5 * (1 + |expected|) + K * 2e-7, well inside that bound and far
// below any indexing or accumulation bug (which shows errors of order 0.1-1).
const tolerance = (k: number) => ({ rtol: 1e-5, atol: 1e-5 + k * 2e-7 });

function shapes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  const few = [1, 3, 16, 17, 64];
  for (const m of TEST_DIMS) for (const n of TEST_DIMS) for (const k of few) out.push([m, n, k]);
  for (const k of TEST_DIMS) for (const mn of [1, 7, 33]) out.push([mn, mn + 9, k]);
  out.push([1000, 255, 300], [127, 1000, 1000], [1, 1000, 1000]);
  // A over 2 MiB (4099 x 130): the driver prefetches each next strip's rows, the last strips shorter.
  out.push([4099, 33, 130]);
  return out;
}

describe('f32-gemm', () => {
  for (const variant of nativeVariants('f32-gemm')) {
    it(`${variant} equals the reference on every tile edge`, () => {
      const r = rng(1);
      for (const [m, n, k] of shapes()) {
        const a = randomFloats(m * k, r), b = randomFloats(k * n, r), bias = randomFloats(n, r);
        const w = cpu.packWeights(tensor('float32', [k, n], b));
        const got = cpu.gemm(tensor('float32', [m, k], a), w, { bias, variant });
        const want = refGemm({ m, n, k, a, b, bias, min: -Infinity, max: Infinity });
        const { rtol, atol } = tolerance(k);
        assertClose(got.data, want, rtol, atol, `${variant} ${m}x${n}x${k}`);
      }
    });

    it(`${variant} applies ReLU and clamp after the bias`, () => {
      const r = rng(2);
      for (const [m, n, k] of [[5, 19, 33], [64, 64, 64], [1, 1000, 7]]) {
        const a = randomFloats(m * k, r), b = randomFloats(k * n, r), bias = randomFloats(n, r);
        for (const [activation, min, max] of [['relu', 0, Infinity], [{ min: -0.25, max: 0.5 }, -0.25, 0.5]] as const) {
          const got = cpu.gemm(tensor('float32', [m, k], a), tensor('float32', [k, n], b), { bias, activation, variant });
          const want = refGemm({ m, n, k, a, b, bias, min, max });
          assertClose(got.data, want, 1e-5, 1e-5 + k * 2e-7, `${variant} ${JSON.stringify(activation)}`);
          assert.ok(got.data.every((v) => v >= min && v <= max));
        }
      }
    });
  }

  it('packed and plain weights give identical results, sync and async', async () => {
    const r = rng(3);
    const [m, n, k] = [37, 45, 129];
    const a = tensor('float32', [m, k], randomFloats(m * k, r));
    const b = tensor('float32', [k, n], randomFloats(k * n, r));
    const packed = cpu.packWeights(b);
    const plain = cpu.gemm(a, b);
    assert.deepEqual(cpu.gemm(a, packed).data, plain.data);
    assert.deepEqual((await cpu.gemmAsync(a, packed)).data, plain.data);
  });

  it('writes into a caller-owned out array', async () => {
    const out = new Float32Array(6).fill(NaN);
    const a = tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4));
    const b = tensor('float32', [2, 3], Float32Array.of(1, 0, 1, 0, 1, 1));
    const c = cpu.gemm(a, b, { out });
    assert.equal(c.data, out);
    assert.deepEqual(Array.from(out), [1, 2, 3, 3, 4, 7]);
    out.fill(0);
    assert.equal((await cpu.gemmAsync(a, b, { out })).data, out);
    assert.deepEqual(Array.from(out), [1, 2, 3, 3, 4, 7]);
  });

  it('handles M = 0 and K = 0', () => {
    assert.deepEqual(cpu.gemm(tensor('float32', [0, 4]), tensor('float32', [4, 3])).dims, [0, 3]);
    const bias = Float32Array.of(1, -2, 3);
    assert.deepEqual(Array.from(cpu.gemm(tensor('float32', [2, 0]), tensor('float32', [0, 3]), { bias }).data), [1, -2, 3, 1, -2, 3]);
  });
});
