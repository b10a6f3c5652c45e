/**
 * Planned calls (planGemm, planQGemm, planQuantizeCall, planDequantizeCall
 * and the addon's runPlan under them): validated and read once, run on
 * their two arrays, giving exactly what the one-shot calls give, on every
 * variant; and safe when misused (wrong arrays, weights disposed under a plan).
 */
import assert from 'node:assert/strict';

import { planGemm } from '../../src/backends/cpu/gemm.js';
import { planQGemm } from '../../src/backends/cpu/qgemm.js';
import { planQSpmm } from '../../src/backends/cpu/qspmm.js';
import { planDequantizeCall, planQuantizeCall } from '../../src/backends/cpu/quantize.js';
import { cpu, tensor, type QGemmOutput } from '../../src/index.js';
import { native } from '../../src/native.js';
import { int8Sparse, prunedInt8 } from '../int8-sparse-weights.js';
import { assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

const SHAPES: [number, number, number][] = [[1, 16, 16], [1, 1, 1], [3, 40, 9], [7, 33, 70], [17, 5, 130]];

describe('planned calls', () => {
  for (const variant of nativeVariants('f32-gemm'))
    it(`planGemm on ${variant} gives gemm's floats exactly, with bias and clamp`, () => {
      const r = rng(41);
      for (const [m, k, n] of SHAPES) {
        const b = cpu.packWeights(tensor('float32', [k, n], randomFloats(k * n, r)));
        const options = { bias: randomFloats(n, r), activation: { min: -0.5, max: 2 }, variant };
        const plan = planGemm({ type: 'float32', dims: [m, k] }, b, options);
        assert.deepEqual(plan.dims, [m, n]);
        for (let trial = 0; trial < 2; trial++) {
          const a = randomFloats(m * k, r);
          const out = new Float32Array(m * n).fill(NaN);
          plan.run(a, out);
          assertSameArray(out, cpu.gemm(tensor('float32', [m, k], a), b, options).data, `${m}x${k}x${n} trial ${trial}`);
        }
      }
    });

  for (const variant of nativeVariants('qu8s8-gemm')) {
    const narrow = native()!.qu8s8GemmVariants.find((v) => v.name === variant)!.needsNarrow;
    it(`planQGemm on ${variant} equals qgemm for every output type`, () => {
      const r = rng(42);
      for (const [m, k, n] of SHAPES) {
        const w = randomInts(Int8Array, k * n, narrow ? -64 : -128, narrow ? 64 : 127, r);
        const b = cpu.packWeights(tensor('int8', [k, n], w, { scale: Float32Array.from({ length: n }, (_, i) => 0.01 + i * 0.001), zeroPoint: new Int32Array(n), axis: 1 }));
        for (const output of ['int32', 'uint8', 'int8', 'float32'] as QGemmOutput[]) {
          const options = output === 'int32' ? { variant } : { output, outScale: 0.7, outZeroPoint: output === 'int8' ? -3 : 5, bias: randomInts(Int32Array, n, -900, 900, r), activation: 'relu' as const, variant };
          const quant = { scale: 0.02, zeroPoint: 9 };
          const plan = planQGemm({ type: 'uint8', dims: [m, k], ...quant }, b, options);
          const a = randomInts(Uint8Array, m * k, 0, 255, r);
          const want = cpu.qgemm(tensor('uint8', [m, k], a, quant), b, options);
          const out = new (want.data.constructor as new (n: number) => typeof want.data)(m * n);
          plan.run(a, out as never);
          assertSameArray(out, want.data, `${m}x${k}x${n} ${output}`);
        }
      }
    });
  }

  for (const variant of nativeVariants('qu8s8-spmm'))
    it(`planQSpmm on ${variant} equals qspmm for every output type, and Linear.plan runs the same`, () => {
      const r = rng(46);
      for (const [n, k, m] of [[1, 1, 1], [64, 1024, 1], [37, 70, 3], [300, 200, 17]]) {
        const w = int8Sparse(prunedInt8(n, k, 0.2, r, 'csr'), n, k, 'csr', { scale: Float32Array.from({ length: n }, (_, i) => 0.01 + i * 0.0001), axis: 0 });
        const packed = cpu.packSparseWeights(w);
        const quant = { scale: 0.05, zeroPoint: 17 };
        for (const output of ['int32', 'uint8', 'int8', 'float32'] as QGemmOutput[]) {
          const options = output === 'int32' ? { variant } : { output, outScale: 0.9, outZeroPoint: output === 'int8' ? 4 : 120, bias: randomInts(Int32Array, n, -900, 900, r), activation: 'relu' as const, variant };
          const plan = planQSpmm(packed, { type: 'uint8', dims: [k, m], ...quant }, options);
          const x = randomInts(Uint8Array, k * m, 0, 255, r);
          const want = cpu.qspmm(packed, tensor('uint8', [k, m], x, quant), options);
          const out = new (want.data.constructor as new (n: number) => typeof want.data)(n * m);
          plan.run(x, out as never);
          assertSameArray(out, want.data, `${n}x${k}x${m} ${output}`);
          assert.deepEqual(plan.result.dims, want.dims);
        }
      }
      const weights = tensor('int8', [8, 64], prunedInt8(8, 64, 0.1, r, 'csr'), { scale: 0.02 });
      const layer = cpu.linear(weights, { bias: randomInts(Int32Array, 8, -50, 50, r), kernel: 'csr' });
      const x = tensor('uint8', [64, 1], randomInts(Uint8Array, 64, 0, 255, r), { scale: 0.1, zeroPoint: 3 });
      const options = { output: 'uint8', outScale: 0.5, outZeroPoint: 10 } as const;
      const out = new Uint8Array(8);
      layer.plan(x, options)!.run(x.data, out);
      assertSameArray(out, layer.run(x, options).data, 'Linear.plan');
      assert.equal(cpu.linear(tensor('float32', [8, 64], new Float32Array(512).fill(1))).plan({ type: 'uint8', dims: [64, 1] }), undefined);
    });

  for (const variant of nativeVariants('f32-qx8-quantize'))
    it(`planQuantizeCall on ${variant} equals quantize, per tensor and per axis, uint8 and int8`, () => {
      const r = rng(43);
      const x = tensor('float32', [2, 3, 37], randomFloats(2 * 3 * 37, r, 3));
      for (const type of ['uint8', 'int8'] as const)
        for (const per of [{ scale: 0.02, zeroPoint: type === 'uint8' ? 100 : -7 }, { scale: [0.01, 0.03, 0.05], zeroPoint: [1, 0, type === 'uint8' ? 200 : -100], axis: 1 }]) {
          const options = { type, ...per, variant };
          const plan = planQuantizeCall({ type: 'float32', dims: x.dims }, options);
          const want = cpu.quantize(x, options);
          const y = type === 'uint8' ? new Uint8Array(x.data.length) : new Int8Array(x.data.length);
          plan.run(x.data, y);
          assertSameArray(y, want.data, `${type} ${per.axis ?? 'tensor'}`);
          assert.deepEqual({ ...plan.result }, { type: want.type, dims: want.dims, scale: want.scale, zeroPoint: want.zeroPoint, ...(want.axis === undefined ? {} : { axis: want.axis }) });
        }
    });

  for (const variant of nativeVariants('f32-qx8-quantize'))
    it(`planQuantizeCall channelsLast on ${variant} equals quantize then the NCHW -> NHWC transpose, on tile edges and wide images`, () => {
      const r = rng(45);
      // Channels 1-4 take the unrolled interleaves, 5 and 33 the generic one (33: two channel blocks); 300 pixels: two pixel tiles.
      for (const [n, c, h, w] of [[1, 3, 7, 9], [2, 3, 15, 20], [1, 1, 1, 300], [3, 2, 4, 4], [1, 4, 17, 3], [2, 5, 3, 3], [1, 33, 2, 150]])
        for (const type of ['uint8', 'int8'] as const)
          for (const per of [{ scale: 0.02, zeroPoint: type === 'uint8' ? 100 : -7 }, { scale: Array.from({ length: c }, (_, i) => 0.01 + 0.01 * i), zeroPoint: Array.from({ length: c }, (_, i) => i), axis: 1 }]) {
            const x = tensor('float32', [n, c, h, w], randomFloats(n * c * h * w, r, 3));
            const plan = planQuantizeCall({ type: 'float32', dims: x.dims }, { type, ...per, variant, channelsLast: true });
            const q = cpu.quantize(x, { type, ...per, variant });
            const want = q.data.slice();
            for (let b = 0; b < n; b++)
              for (let ch = 0; ch < c; ch++)
                for (let p = 0; p < h * w; p++) want[(b * h * w + p) * c + ch] = q.data[(b * c + ch) * h * w + p];
            const y = type === 'uint8' ? new Uint8Array(x.data.length) : new Int8Array(x.data.length);
            plan.run(x.data, y);
            assertSameArray(y, want, `${[n, c, h, w]} ${type} ${per.axis ?? 'tensor'}`);
            assert.deepEqual(plan.result.dims, [n, h, w, c]);
            assert.equal(plan.result.axis, per.axis === undefined ? undefined : 3);
          }
    });

  it('planQuantizeCall channelsLast takes only NCHW images, per tensor or along the channels', () => {
    assert.throws(() => planQuantizeCall({ type: 'float32', dims: [2, 3, 4] }, { type: 'uint8', scale: 1, channelsLast: true }), /x\.dims/);
    assert.throws(() => planQuantizeCall({ type: 'float32', dims: [1, 3, 4, 4] }, { type: 'uint8', scale: [1, 2, 3, 4], axis: 2, channelsLast: true }), /options\.axis/);
    assert.throws(() => planQuantizeCall({ type: 'float32', dims: [1, 3, 4, 4] }, { type: 'uint8', scale: 1, channelsLast: 1 as never }), TypeError);
  });

  for (const variant of nativeVariants('qx8-f32-dequantize'))
    it(`planDequantizeCall on ${variant} equals dequantize, per tensor and per axis, uint8 and int8`, () => {
      const r = rng(44);
      for (const type of ['uint8', 'int8'] as const)
        for (const per of [{ scale: 0.02, zeroPoint: type === 'uint8' ? 100 : -7 }, { scale: Float32Array.of(0.01, 0.03, 0.05), zeroPoint: Int32Array.of(1, 0, type === 'uint8' ? 255 : -1), axis: 1 }]) {
          const data = type === 'uint8' ? randomInts(Uint8Array, 2 * 3 * 37, 0, 255, r) : randomInts(Int8Array, 2 * 3 * 37, -128, 127, r);
          const x = tensor(type, [2, 3, 37], data as never, per);
          const plan = planDequantizeCall({ type, dims: x.dims, ...per }, { variant });
          const y = new Float32Array(data.length);
          plan.run(data, y);
          assertSameArray(y, cpu.dequantize(x, { variant }).data, `${type} ${per.axis ?? 'tensor'}`);
        }
    });

  it('runs with only the arrays checked: the planned type and size, apart from each other', () => {
    const plan = planQuantizeCall({ type: 'float32', dims: [4] }, { type: 'uint8', scale: 0.1 });
    assert.throws(() => plan.run(new Float32Array(3), new Uint8Array(4)), /^RangeError: x must be a Float32Array of 4 values, as planned/);
    assert.throws(() => plan.run(new Float32Array(4), new Int8Array(4)), /^RangeError: y must be a Uint8Array of 4 values/);
    const shared = new ArrayBuffer(32);
    assert.throws(() => plan.run(new Float32Array(shared, 0, 4), new Uint8Array(shared, 8, 4)), /^RangeError: y must not overlap x/);
    const b = cpu.packWeights(tensor('float32', [4, 2], new Float32Array(8)));
    assert.throws(() => planGemm({ type: 'float32', dims: [1, 5] }, b), /^RangeError: b has K = 4 rows but a has K = 5 columns/);
    assert.throws(() => planGemm({ type: 'uint8', dims: [1, 4] } as never, b), /^TypeError: a must be a tensor of type 'float32'/);
  });

  it('reads bias and scales when planned: changing them afterwards leaves the plan as it was', () => {
    const r = rng(45);
    const b = cpu.packWeights(tensor('float32', [3, 5], randomFloats(15, r)));
    const bias = randomFloats(5, r);
    const a = randomFloats(6, r);
    const want = cpu.gemm(tensor('float32', [2, 3], a), b, { bias });
    const plan = planGemm({ type: 'float32', dims: [2, 3] }, b, { bias });
    bias.fill(100);
    const out = new Float32Array(10);
    plan.run(a, out);
    assertSameArray(out, want.data, 'planned before the bias changed');
  });

  it('throws, never crashes, when the weights are disposed under a plan, and runPlan checks handles and arrays', () => {
    const addon = native()!;
    const b = cpu.packWeights(tensor('float32', [3, 5], new Float32Array(15).fill(1)));
    const plan = planGemm({ type: 'float32', dims: [1, 3] }, b);
    plan.run(new Float32Array(3), new Float32Array(5));
    b.dispose();
    assert.throws(() => plan.run(new Float32Array(3), new Float32Array(5)), /^TypeError: the plan's weights were disposed/);
    const q = cpu.packWeights(tensor('int8', [3, 5], new Int8Array(15).fill(1), { scale: 0.1 }));
    const qplan = planQGemm({ type: 'uint8', dims: [2, 3], scale: 0.1, zeroPoint: 0 }, q, { output: 'uint8', outScale: 1 });
    q.dispose();
    assert.throws(() => qplan.run(new Uint8Array(6), new Uint8Array(10)), /^TypeError: the plan's weights were disposed/);
    const handle = addon.planDequantize({ variant: null, outer: 1, channels: 1, inner: 8, scales: Float32Array.of(1), zeroPoints: Int32Array.of(0), xType: 'int8' });
    assert.throws(() => addon.runPlan(cpu.packWeights(tensor('float32', [1, 1], Float32Array.of(1))).handle!, new Int8Array(8), new Float32Array(8)), /^TypeError: plan must be a handle from a plan function/);
    assert.throws(() => addon.runPlan(handle, new Uint8Array(8), new Float32Array(8)), /^TypeError: x must be a Int8Array/);
    assert.throws(() => addon.runPlan(handle, new Int8Array(8), new Int32Array(8) as never), /^TypeError: y must be a Float32Array/);
    assert.throws(() => addon.runPlan(handle, new Int8Array(7), new Float32Array(8)), /^RangeError: x has 7 elements, the plan needs 8/);
    assert.throws(() => addon.runPlan(handle, 3 as never, new Float32Array(8)), /^TypeError: x must be a Int8Array/);
    assert.throws(() => addon.planDequantize({ variant: null, outer: 1, channels: 1, inner: 8, scales: Float32Array.of(1), zeroPoints: Int32Array.of(0), xType: 'int32' as never }), /^RangeError: xType must be 'uint8' or 'int8'/);
    const y = new Float32Array(8);
    addon.runPlan(handle, Int8Array.of(1, -2, 3, -4, 5, -6, 7, -8), y);
    assert.deepEqual([...y], [1, -2, 3, -4, 5, -6, 7, -8]);
  });
});
