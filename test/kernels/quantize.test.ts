import assert from 'node:assert/strict';

import { refDequantize, refMinmax, refQuantize, refRequantize } from '../../src/backends/reference/quantize.js';
import { planRequantize } from '../../src/ops/quantize.js';
import { cpu, tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import { assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

/** Values that stress rounding and saturation: ties, huge, tiny, infinities, NaN, denormals. */
function nastyFloats(n: number, scale: number, r: () => number): Float32Array {
  const special = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38];
  const x = randomFloats(n, r, 300 * scale);
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.15) x[i] = special[Math.floor(r() * special.length)];
    else if (pick < 0.35) x[i] = (Math.round(r() * 600 - 300) + 0.5) * scale; // exact ties at this scale
  }
  return x;
}

const LENGTHS = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1000, 4099, 70001];

describe('quantize / dequantize / requantize / minmax', () => {
  it('the reference requantize treats NaN like the kernels: zero point for 8-bit, kept for float, NaN bounds ignored', () => {
    const view = { outer: 1, channels: 1, inner: 2 };
    const acc = Int32Array.of(0, 5);
    const q = new Uint8Array(2);
    refRequantize(acc, q, view, { multipliers: Float32Array.of(Infinity), zeroPoints: Int32Array.of(77), outMin: 0, outMax: 255, fmin: 0, fmax: 0 });
    assert.deepEqual([...q], [77, 255]);
    const f = new Float32Array(2);
    refRequantize(acc, f, view, { multipliers: Float32Array.of(0.5), zeroPoints: Int32Array.of(0), outMin: 0, outMax: 0, fmin: NaN, fmax: 1 });
    assert.deepEqual([...f], [0, 1]);
    // The native kernels agree: an accumulator scale / output scale that overflows to Inf.
    const native = cpu.requantize(tensor('int32', [2], acc, { scale: 3e38 }), { type: 'uint8', scale: 1e-10, zeroPoint: 77 });
    assert.deepEqual([...native.data], [77, 255]);
  });

  for (const variant of nativeVariants('f32-qx8-quantize')) {
    it(`${variant} equals ONNX QuantizeLinear (reference) bit for bit`, () => {
      const r = rng(11);
      for (const n of LENGTHS)
        for (const [type, zeroPoint] of [['uint8', 0], ['uint8', 128], ['uint8', 255], ['int8', -128], ['int8', 0], ['int8', 127]] as const) {
          const scale = Math.fround(0.05 + r());
          const x = nastyFloats(n, scale, r);
          const got = cpu.quantize(tensor('float32', [n], x), { type, scale, zeroPoint, variant });
          const want = type === 'uint8' ? new Uint8Array(n) : new Int8Array(n);
          refQuantize(x, want, { outer: 1, channels: 1, inner: n }, Float32Array.of(scale), Int32Array.of(zeroPoint));
          assertSameArray(got.data, want, `${variant} n=${n} ${type} zp=${zeroPoint}`);
        }
    });
  }

  for (const variant of nativeVariants('qx8-f32-dequantize')) {
    it(`${variant} equals ONNX DequantizeLinear (reference) bit for bit`, () => {
      const r = rng(12);
      for (const n of LENGTHS)
        for (const type of ['uint8', 'int8'] as const) {
          const x = type === 'uint8' ? randomInts(Uint8Array, n, 0, 255, r) : randomInts(Int8Array, n, -128, 127, r);
          const scale = Math.fround(r() * 3 + 1e-3), zeroPoint = type === 'uint8' ? 200 : -3;
          const got = cpu.dequantize(tensor(type, [n], x as never, { scale, zeroPoint }), { variant });
          const want = new Float32Array(n);
          refDequantize(x, want, { outer: 1, channels: 1, inner: n }, Float32Array.of(scale), Int32Array.of(zeroPoint));
          assertSameArray(got.data, want, `${variant} n=${n} ${type}`);
        }
    });
  }

  for (const variant of nativeVariants('qs32-qx8-requantize')) {
    it(`${variant} equals the reference output stage bit for bit`, () => {
      const r = rng(13);
      for (const n of LENGTHS)
        for (const type of ['uint8', 'int8', 'float32'] as const) {
          const acc = randomInts(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r);
          for (let i = 0; i < n; i += 3) acc[i] = Math.round((r() - 0.5) * 20000);
          const bias = Int32Array.of(Math.round((r() - 0.5) * 2 ** 31));
          const accScale = Math.fround(r() * 1e-3 + 1e-6), outScale = Math.fround(r() * 0.1 + 0.01);
          const zeroPoint = type === 'uint8' ? 100 : type === 'int8' ? -7 : undefined;
          const options = type === 'float32' ? { type, bias, variant } : { type, scale: outScale, zeroPoint, bias, activation: 'relu' as const, variant };
          const got = cpu.requantize(tensor('int32', [n], acc, { scale: accScale }), options);
          const want = type === 'uint8' ? new Uint8Array(n) : type === 'int8' ? new Int8Array(n) : new Float32Array(n);
          const multipliers = Float32Array.of(type === 'float32' ? accScale : Math.fround(accScale / outScale));
          const zp = zeroPoint ?? 0;
          const outMin = type === 'float32' ? 0 : zp, outMax = type === 'uint8' ? 255 : 127;
          refRequantize(acc, want, { outer: 1, channels: 1, inner: n }, {
            multipliers, bias, zeroPoints: Int32Array.of(zp), outMin, outMax, fmin: -Infinity, fmax: Infinity,
          });
          assertSameArray(got.data, want, `${variant} n=${n} ${type}`);
        }
    });
  }

  for (const variant of nativeVariants('f32-minmax')) {
    it(`${variant} finds min and max ignoring NaN`, () => {
      const r = rng(14);
      for (const n of LENGTHS) {
        const x = nastyFloats(n, 0.1, r);
        const got = cpu.minmax(tensor('float32', [n], x), { variant });
        const want = refMinmax(x, { outer: 1, channels: 1, inner: n });
        assertSameArray(got.min, want.min, `${variant} min n=${n}`);
        assertSameArray(got.max, want.max, `${variant} max n=${n}`);
      }
    });
  }

  it('per-axis parameters follow the axis, for every axis of a 3-D tensor', () => {
    const r = rng(15);
    const dims = [3, 5, 7];
    const x = randomFloats(105, r, 4);
    for (const axis of [0, 1, 2, -1]) {
      const count = dims[axis < 0 ? axis + 3 : axis];
      const scale = Float32Array.from({ length: count }, () => Math.fround(0.01 + r() * 0.1));
      const zeroPoint = Int32Array.from({ length: count }, () => Math.floor(r() * 256));
      const q = cpu.quantize(tensor('float32', dims, x), { type: 'uint8', scale, zeroPoint, axis });
      const a = axis < 0 ? axis + 3 : axis;
      const view = { outer: dims.slice(0, a).reduce((p, d) => p * d, 1), channels: count, inner: dims.slice(a + 1).reduce((p, d) => p * d, 1) };
      const want = new Uint8Array(105);
      refQuantize(x, want, view, scale, zeroPoint);
      assertSameArray(q.data, want, `quantize axis ${axis}`);
      assert.equal(q.axis, a);
      const back = cpu.dequantize(q);
      const wantBack = new Float32Array(105);
      refDequantize(want, wantBack, view, scale, zeroPoint);
      assertSameArray(back.data, wantBack, `dequantize axis ${axis}`);
      const mm = cpu.minmax(tensor('float32', dims, x), { axis });
      const wantMm = refMinmax(x, view);
      assertSameArray(mm.min, wantMm.min, `minmax axis ${axis}`);
    }
  });

  it('rounds ties to even and saturates like ONNX', () => {
    const x = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000, -1000, NaN, Infinity, -Infinity);
    const u = cpu.quantize(tensor('float32', [x.length], x), { type: 'uint8', scale: 1, zeroPoint: 10 });
    assert.deepEqual(Array.from(u.data), [10, 12, 12, 10, 8, 8, 255, 0, 10, 255, 0]);
    const s = cpu.quantize(tensor('float32', [x.length], x), { type: 'int8', scale: 1, zeroPoint: 0 });
    assert.deepEqual(Array.from(s.data), [0, 2, 2, 0, -2, -2, 127, -128, 0, 127, -128]);
  });

  it('the binding refuses quantize zero points outside the output type, which the kernels assert (found by fuzzing)', () => {
    const addon = native()!;
    const call = { variant: null, x: new Float32Array(4), outer: 1, channels: 1, inner: 4, scales: Float32Array.of(1), async: false };
    for (const [y, zp] of [[new Uint8Array(4), -1], [new Uint8Array(4), 256], [new Int8Array(4), 128], [new Int8Array(4), -2147483648]] as const) {
      assert.throws(() => addon.quantize({ ...call, y, zeroPoints: Int32Array.of(zp) }), /^RangeError: zeroPoints out of the output type's range/);
      const yType = y instanceof Uint8Array ? 'uint8' : 'int8';
      assert.throws(() => addon.planQuantize({ ...call, zeroPoints: Int32Array.of(0, zp).subarray(1), yType, channelsLast: false }), /^RangeError: zeroPoints out/);
      assert.throws(() => addon.planQuantize({ ...call, channels: 2, inner: 2, zeroPoints: Int32Array.of(0, zp), yType, channelsLast: true }), /^RangeError: zeroPoints out/);
    }
    const y = new Int8Array(4);
    addon.quantize({ ...call, x: Float32Array.of(-1000, 0, 1, 1000), y, zeroPoints: Int32Array.of(-128) });
    assert.deepEqual([...y], [-128, -128, -127, 127]);
  });

  it('quantize, requantize and dequantize run async with the same results', async () => {
    const r = rng(16);
    const x = tensor('float32', [10000], randomFloats(10000, r, 5));
    const sync = cpu.quantize(x, { type: 'int8', scale: 0.05, zeroPoint: 3 });
    const async = await cpu.quantizeAsync(x, { type: 'int8', scale: 0.05, zeroPoint: 3 });
    assertSameArray(async.data, sync.data, 'quantizeAsync');
    assertSameArray((await cpu.dequantizeAsync(sync)).data, cpu.dequantize(sync).data, 'dequantizeAsync');
    const acc = tensor('int32', [10000], randomInts(Int32Array, 10000, -50000, 50000, r), { scale: 1e-4 });
    const opts = { type: 'uint8' as const, scale: 0.02, zeroPoint: 128 };
    assertSameArray((await cpu.requantizeAsync(acc, opts)).data, cpu.requantize(acc, opts).data, 'requantizeAsync');
    const mm = await cpu.minmaxAsync(x);
    assert.deepEqual(mm, cpu.minmax(x));
  });

  it('chooseQuantParams covers the range with zero exact, as onnxruntime\'s compute_scale_zp', () => {
    assert.deepEqual(cpu.chooseQuantParams(-1, 3, { type: 'uint8' }), { scale: Math.fround(4 / 255), zeroPoint: 64 });
    assert.deepEqual(cpu.chooseQuantParams(-2, 1, { type: 'int8', symmetric: true }), { scale: Math.fround(2 / 127), zeroPoint: 0 });
    // reduce_range: int8 [-64, 64], uint8 [0, 127]; symmetric uint8 [-a, a] over all 255 steps, zero point 128 (round half to even of 127.5).
    assert.deepEqual(cpu.chooseQuantParams(-2, 1, { type: 'int8', symmetric: true, reduceRange: true }), { scale: Math.fround(4 / 128), zeroPoint: 0 });
    assert.deepEqual(cpu.chooseQuantParams(-1, 3, { type: 'int8', reduceRange: true }), { scale: Math.fround(4 / 128), zeroPoint: -32 });
    assert.deepEqual(cpu.chooseQuantParams(-2, 1, { type: 'uint8', symmetric: true }), { scale: Math.fround(4 / 255), zeroPoint: 128 });
    assert.deepEqual(cpu.chooseQuantParams(-2, 1, { type: 'uint8', symmetric: true, reduceRange: true }), { scale: Math.fround(4 / 127), zeroPoint: 64 });
    assert.deepEqual(cpu.chooseQuantParams(0, 0, { type: 'uint8' }), { scale: 1, zeroPoint: 0 });
    // Weights quantized with reduceRange take the exact fast path.
    const w = randomFloats(64 * 16, rng(17), 0.3);
    const { min, max } = cpu.minmax(tensor('float32', [64, 16], w));
    const p = cpu.chooseQuantParams(min[0], max[0], { type: 'int8', symmetric: true, reduceRange: true });
    const q = cpu.quantize(tensor('float32', [64, 16], w), { type: 'int8', ...p });
    assert.equal(cpu.packWeights(q).narrow, true);
  });
});

describe('requantize variants per channel (multipliers and bias stepping along the row)', () => {
  for (const variant of nativeVariants('qs32-qx8-requantize'))
    it(`${variant} equals the reference bit for bit on every row length, with ties, overflowing multipliers and clamps`, () => {
      const r = rng(16);
      // Rows that cross the 64-, 32-, 16- and 8-value steps and every tail length.
      for (const channels of [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 47, 63, 64, 65, 100, 129]) {
        const outer = 3, n = outer * channels;
        const acc = randomInts(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r);
        const bias = randomInts(Int32Array, channels, -5000, 5000, r);
        // Small sums (odd ones land exactly on .5 under a 0.5 multiplier) and zero ones (0 x Inf = NaN -> zero point).
        for (let i = 0; i < n; i++) if (r() < 0.6) acc[i] = r() < 0.1 ? -bias[i % channels] : Math.round((r() - 0.5) * 2000);
        // With an output scale of 1: multipliers of exactly 0.5 and 0.25 (ties), random ones, and one that overflows to Infinity.
        const scales = Float32Array.from({ length: channels }, () => [0.5, 0.25, Math.fround(r() * 1e-2 + 1e-5), 3e38][Math.floor(r() * 4)]);
        const dims = [outer, channels];
        const acct = tensor('int32', dims, acc, { scale: scales, zeroPoint: new Int32Array(channels), axis: 1 });
        for (const type of ['uint8', 'int8', 'float32'] as const)
          for (const activation of [undefined, 'relu', { min: -3, max: 5 }] as const) {
            const zeroPoint = type === 'uint8' ? 100 : type === 'int8' ? -7 : undefined;
            const options = type === 'float32' ? { type, bias, activation } : { type, scale: 1, zeroPoint, bias, activation };
            const got = cpu.requantize(acct, { ...options, variant });
            const plan = planRequantize({ dims, scale: scales, zeroPoint: new Int32Array(channels), axis: 1 }, options);
            const want = type === 'uint8' ? new Uint8Array(n) : type === 'int8' ? new Int8Array(n) : new Float32Array(n);
            refRequantize(acc, want, plan.view, {
              multipliers: plan.multipliers, bias, zeroPoints: Int32Array.of(plan.zeroPoint), outMin: plan.outMin, outMax: plan.outMax, fmin: plan.range.min, fmax: plan.range.max,
            });
            assertSameArray(got.data, want, `${variant} ${outer}x${channels} ${type} ${JSON.stringify(activation)}`);
          }
      }
    });
});
