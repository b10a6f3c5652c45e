import assert from 'node:assert/strict';

import { TEST_DIMS } from '../fixtures/shapes.js';
import { refQGemmInt32, refQGemmOutput } from '../../src/backends/reference/qgemm.js';
import { saturateRound } from '../../src/ops/round.js';
import { cpu, tensor, type QGemmOutput } from '../../src/index.js';
import { planQGemm } from '../../src/backends/cpu/qgemm.js';
import { native } from '../../src/native.js';
import { assertSameArray, nativeVariants, randomInts, rng } from '../helpers.js';

function shapes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const m of TEST_DIMS) for (const n of TEST_DIMS) for (const k of [1, 5, 16, 33]) out.push([m, n, k]);
  for (const k of TEST_DIMS) for (const mn of [1, 4, 17]) out.push([mn, mn + 13, k]);
  out.push([3, 70, 1001], [255, 64, 255], [1, 1000, 1000]);
  return out;
}

function variantNeedsNarrow(name: string): boolean {
  return native()!.qu8s8GemmVariants.find((v) => v.name === name)!.needsNarrow;
}

/** Weights of one kind: narrow fits the fast kernel, full does not. */
function weights(kind: 'narrow' | 'full' | 'uint8', k: number, n: number, r: () => number) {
  if (kind === 'uint8') return tensor('uint8', [k, n], randomInts(Uint8Array, k * n, 0, 255, r), { scale: Float32Array.from({ length: n }, () => 0.01 + r() * 0.01), zeroPoint: randomInts(Int32Array, n, 0, 255, r), axis: 1 });
  const [lo, hi] = kind === 'narrow' ? [-64, 64] : [-128, 127];
  return tensor('int8', [k, n], randomInts(Int8Array, k * n, lo, hi, r), { scale: 0.02 });
}

describe('qu8s8-gemm', () => {
  for (const variant of nativeVariants('qu8s8-gemm')) {
    const kinds = variantNeedsNarrow(variant) ? (['narrow'] as const) : (['narrow', 'full', 'uint8'] as const);
    it(`${variant} equals the exact int32 reference on every tile edge (${kinds.join(', ')} weights)`, () => {
      const r = rng(21);
      for (const [m, n, k] of shapes())
        for (const kind of kinds) {
          const b = weights(kind, k, n, r);
          const aZeroPoint = [0, 128, 255][Math.floor(r() * 3)];
          const a = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { zeroPoint: aZeroPoint });
          const got = cpu.qgemm(a, b, { variant });
          const bZeroPoints = typeof b.zeroPoint === 'number' || b.zeroPoint === undefined ? [b.zeroPoint ?? 0] : b.zeroPoint;
          const want = refQGemmInt32({ m, n, k, a: a.data, aZeroPoint, b: b.data, bZeroPoints });
          assertSameArray(got.data, want, `${variant} ${kind} ${m}x${n}x${k} azp=${aZeroPoint}`);
        }
    });

    it(`${variant} fuses requantize, dequantize, bias and ReLU exactly`, () => {
      const r = rng(22);
      for (const [m, n, k] of [[1, 1, 1], [7, 33, 70], [64, 17, 288], [5, 1000, 27]])
        for (const output of ['int32', 'uint8', 'int8', 'float32'] as QGemmOutput[]) {
          const b = weights(kinds.includes('full' as never) ? 'full' : 'narrow', k, n, r);
          const a = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.05, zeroPoint: 131 });
          const bias = randomInts(Int32Array, n, -5000, 5000, r);
          const outScale = 0.7, outZeroPoint = output === 'int8' ? -5 : 120;
          const activation = output === 'int32' ? undefined : ('relu' as const);
          const got = cpu.qgemm(a, b, { output, bias, outScale, outZeroPoint, activation, variant });
          const acc = refQGemmInt32({ m, n, k, a: a.data, aZeroPoint: 131, b: b.data, bZeroPoints: [0] });
          const product = Math.fround(Math.fround(0.05) * Math.fround(0.02));
          const multiplier = output === 'float32' ? product : Math.fround(product / Math.fround(outScale));
          const want = got.data.constructor === Int32Array ? new Int32Array(m * n) : new (got.data.constructor as Float32ArrayConstructor)(m * n);
          const q = output === 'uint8' ? [0, 255] : [-128, 127];
          const multipliers = Float32Array.of(multiplier);
          refQGemmOutput(acc, n, want, {
            multipliers, bias, zeroPoints: Int32Array.of(outZeroPoint), outMin: saturateRound(0, outZeroPoint, q[0], q[1]), outMax: q[1],
            fmin: output === 'float32' ? 0 : -Infinity, fmax: Infinity,
          });
          assertSameArray(got.data, want, `${variant} ${output} ${m}x${n}x${k}`);
        }
    });

    it(`${variant} requantizes to bytes exactly on every row count, past int16 and at narrowed ranges`, () => {
      // Multipliers below 1 take the AVX-512 kernels' narrowing stage (QGemmStore::saturating): near 1 the
      // rounded products pass int16 and saturate, near 1e-3 most land inside the output range; 1.5 takes the
      // float clamp. ReLU6 at these scales cuts the byte range, ReLU cuts it at the zero point.
      const r = rng(26);
      for (const m of [1, 2, 3, 4, 5, 8, 11, 12, 13, 25])
        for (const n of [5, 16, 24, 40])
          for (const output of ['uint8', 'int8'] as const)
            for (const multiplier of [0.9999, 1e-3, 1.5])
              for (const activation of [undefined, 'relu' as const, { min: 0, max: 6 }]) {
                const k = 37;
                const b = weights(kinds.includes('full' as never) ? 'full' : 'narrow', k, n, r);
                const a = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.05, zeroPoint: 131 });
                const bias = randomInts(Int32Array, n, -5000, 5000, r);
                const product = Math.fround(Math.fround(0.05) * Math.fround(0.02));
                const outScale = product / multiplier, outZeroPoint = output === 'int8' ? -3 : 7;
                const got = cpu.qgemm(a, b, { output, bias, outScale, outZeroPoint, activation, variant });
                const acc = refQGemmInt32({ m, n, k, a: a.data, aZeroPoint: 131, b: b.data, bZeroPoints: [0] });
                const [lo, hi] = output === 'uint8' ? [0, 255] : [-128, 127];
                const fs = Math.fround(outScale);
                const range = activation === undefined ? null : activation === 'relu' ? { min: 0, max: Infinity } : activation;
                const want = new (got.data.constructor as Uint8ArrayConstructor)(m * n);
                refQGemmOutput(acc, n, want, {
                  multipliers: Float32Array.of(Math.fround(product / fs)), bias, zeroPoints: Int32Array.of(outZeroPoint),
                  outMin: range ? saturateRound(Math.fround(range.min / fs), outZeroPoint, lo, hi) : lo,
                  outMax: range ? saturateRound(Math.fround(range.max / fs), outZeroPoint, lo, hi) : hi,
                  fmin: -Infinity, fmax: Infinity,
                });
                assertSameArray(got.data, want, `${variant} ${output} ${m}x${n}x${k} multiplier ${multiplier} ${JSON.stringify(activation)}`);
              }
    });
  }

  it('is exact for A at every alignment (variants copy misaligned rows they want aligned)', () => {
    const r = rng(25);
    for (const [m, n, k] of [[40, 20, 128], [33, 17, 27], [5, 16, 64]]) {
      const b = weights('full', k, n, r);
      const storage = new ArrayBuffer(m * k + 64);
      for (const offset of [0, 1, 16, 48, 63]) {
        const x = new Uint8Array(storage, offset, m * k);
        x.set(randomInts(Uint8Array, m * k, 0, 255, r));
        const a = tensor('uint8', [m, k], x, { zeroPoint: 9 });
        const want = refQGemmInt32({ m, n, k, a: x, aZeroPoint: 9, b: b.data, bZeroPoints: [0] });
        for (const variant of nativeVariants('qu8s8-gemm').filter((v) => !variantNeedsNarrow(v)))
          assertSameArray(cpu.qgemm(a, b, { variant }).data, want, `${variant} ${m}x${n}x${k} offset ${offset}`);
      }
    }
  });

  it('is exact in the worst case: 255 x -128 summed over K large enough to wrap int32', () => {
    for (const k of [4, 1023, 70001]) {
      const a = tensor('uint8', [2, k], new Uint8Array(2 * k).fill(255));
      const b = tensor('int8', [k, 3], new Int8Array(3 * k).fill(-128));
      const got = cpu.qgemm(a, b);
      const want = refQGemmInt32({ m: 2, n: 3, k, a: a.data, aZeroPoint: 0, b: b.data, bZeroPoints: [0] });
      assertSameArray(got.data, want, `K=${k}`);
      assert.equal(got.data[0], Math.imul(255 * -128, k) | 0);
    }
  });

  it('every exact variant takes the largest products (255 x -128 and 255 x 127) on row, column and K-chunk tails', () => {
    // Columns alternate -128 and 127, so each vpmaddwd pair and each 16-bit
    // lane meets both extremes; K crosses the 512-value chunks of the 6-row
    // AVX2 kernel (511, 513, 1028 = 2 chunks + 4) and is odd where it can be.
    const exact = nativeVariants('qu8s8-gemm').filter((v) => !variantNeedsNarrow(v));
    for (const [m, n, k] of [[1, 17, 513], [2, 16, 511], [5, 33, 1028], [6, 15, 3], [7, 31, 1025], [13, 17, 77]]) {
      const a = tensor('uint8', [m, k], new Uint8Array(m * k).fill(255));
      const b = tensor('int8', [k, n], Int8Array.from({ length: k * n }, (_, i) => (i % n % 2 === 0 ? -128 : 127)));
      const want = refQGemmInt32({ m, n, k, a: a.data, aZeroPoint: 0, b: b.data, bZeroPoints: [0] });
      assert.equal(want[0], 255 * -128 * k);
      assert.equal(want[1], 255 * 127 * k);
      for (const variant of exact) assertSameArray(cpu.qgemm(a, b, { variant }).data, want, `${variant} ${m}x${n}x${k}`);
    }
  });

  it('every variant gives the bias alone for K = 0, on rows enough for a full tile of the tallest', () => {
    const a = tensor('uint8', [13, 0], undefined, { scale: 0.5, zeroPoint: 3 });
    const b = tensor('int8', [0, 3], undefined, { scale: Float32Array.of(1, 2, 4), zeroPoint: Int32Array.of(0, 1, 2), axis: 1 });
    const bias = Int32Array.of(10, -3, 7);
    const want = Array.from({ length: 13 }, () => [10, -3, 7]).flat();
    for (const variant of nativeVariants('qu8s8-gemm')) {
      if (variantNeedsNarrow(variant) && !cpu.packWeights(b).narrow) continue;
      assert.deepEqual(Array.from(cpu.qgemm(a, b, { bias, variant }).data), want, variant);
    }
  });

  it('records whether weights fit the fast kernel, and never runs it on weights that do not', () => {
    const narrow = cpu.packWeights(tensor('int8', [8, 8], new Int8Array(64).fill(64)));
    const full = cpu.packWeights(tensor('int8', [8, 8], new Int8Array(64).fill(65)));
    assert.equal(narrow.narrow, true);
    assert.equal(full.narrow, false);
    const fast = native()!.qu8s8GemmVariants.find((v) => v.needsNarrow && v.supported);
    if (fast) {
      const a = tensor('uint8', [1, 8], new Uint8Array(8).fill(255));
      assert.throws(() => cpu.qgemm(a, full, { variant: fast.name }), /exact only for weights in \[-64, 64\]/);
    }
  });

  it('planQGemm: validated once for a shape, the same results as qgemm, run() checking only the arrays', () => {
    const r = rng(31);
    const [m, k, n] = [3, 40, 9];
    const b = cpu.packWeights(tensor('int8', [k, n], randomInts(Int8Array, k * n, -127, 127, r), { scale: Float32Array.from({ length: n }, (_, i) => 0.01 + i * 0.001), zeroPoint: new Int32Array(n), axis: 1 }));
    const options = { output: 'uint8' as const, outScale: 0.3, outZeroPoint: 7, bias: randomInts(Int32Array, n, -500, 500, r), activation: 'relu' as const };
    const plan = planQGemm({ type: 'uint8', dims: [m, k], scale: 0.02, zeroPoint: 11 }, b, options);
    for (let trial = 0; trial < 3; trial++) {
      const a = randomInts(Uint8Array, m * k, 0, 255, r);
      const want = cpu.qgemm(tensor('uint8', [m, k], a, { scale: 0.02, zeroPoint: 11 }), b, options);
      const out = new Uint8Array(m * n);
      plan.run(a, out);
      assertSameArray(out, want.data, `trial ${trial}`);
      assert.deepEqual(plan.result.dims, want.dims);
      assert.equal(plan.result.scale, want.scale);
    }
    assert.throws(() => plan.run(new Uint8Array(m * k - 1), new Uint8Array(m * n)), /^RangeError: a must be a Uint8Array of 120 values, as planned/);
    assert.throws(() => plan.run(new Uint8Array(m * k), new Int8Array(m * n)), /^RangeError: out must be Uint8/);
    assert.throws(() => planQGemm({ type: 'uint8', dims: [m, k + 1], scale: 0.02 }, b, options), /^RangeError: b has K = 40 rows but a has K = 41 columns/);
    assert.throws(() => planQGemm({ type: 'uint8', dims: [m, k] }, b, options), /^TypeError: a\.scale is required/);
  });

  it('gives identical results sync and async, packed and plain', async () => {
    const r = rng(23);
    const a = tensor('uint8', [33, 70], randomInts(Uint8Array, 33 * 70, 0, 255, r), { scale: 0.1, zeroPoint: 7 });
    const b = weights('full', 70, 40, r);
    const sync = cpu.qgemm(a, b, { output: 'uint8', outScale: 2, outZeroPoint: 9 });
    const packed = cpu.packWeights(b);
    assertSameArray((await cpu.qgemmAsync(a, packed, { output: 'uint8', outScale: 2, outZeroPoint: 9 })).data, sync.data, 'async');
    assert.equal(sync.scale, 2);
    assert.equal(sync.zeroPoint, 9);
  });

  it('int32 output carries the accumulator scale so requantize matches the fused output', () => {
    const r = rng(24);
    const a = tensor('uint8', [9, 31], randomInts(Uint8Array, 9 * 31, 0, 255, r), { scale: 0.03, zeroPoint: 100 });
    const b = weights('uint8', 31, 12, r);
    const acc = cpu.qgemm(a, b);
    const fused = cpu.qgemm(a, b, { output: 'int8', outScale: 0.5, outZeroPoint: 1 });
    const separate = cpu.requantize(acc as never, { type: 'int8', scale: 0.5, zeroPoint: 1 });
    assertSameArray(separate.data, fused.data, 'requantize(acc) vs fused');
  });
});
