import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { refConv2dSums } from '../../src/backends/reference/conv2d.js';
import { blockDensity, conv2dIsExact, packConvWeights, planConv2d, type Conv2dOptions } from '../../src/backends/cpu/conv2d.js';
import { cpu, tensor } from '../../src/index.js';
import { native, type NativeConv2dPlanOptions } from '../../src/native.js';
import { assertClose, assertCloseNonfinite, assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

type Shape = { n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number; pads: [number, number, number, number]; dilations: [number, number] };

// Batches, channel counts and maps that cross the kernels' tiles (6 channels
// x 64 positions dense, 128 sparse, 8 channels per sparse task), 1x1 to 5x5
// and non-square kernels, padding on any side and dilation.
const SHAPES: Shape[] = [
  { n: 1, c: 1, h: 1, w: 1, oc: 1, kh: 1, kw: 1, pads: [0, 0, 0, 0], dilations: [1, 1] },
  { n: 2, c: 3, h: 9, w: 8, oc: 7, kh: 3, kw: 3, pads: [0, 0, 0, 0], dilations: [1, 1] },
  { n: 1, c: 3, h: 32, w: 32, oc: 13, kh: 3, kw: 3, pads: [1, 1, 1, 1], dilations: [1, 1] },
  { n: 3, c: 5, h: 6, w: 6, oc: 17, kh: 3, kw: 3, pads: [0, 1, 2, 0], dilations: [1, 1] },
  { n: 1, c: 4, h: 11, w: 13, oc: 6, kh: 2, kw: 5, pads: [0, 0, 0, 0], dilations: [2, 1] },
  { n: 2, c: 2, h: 15, w: 15, oc: 9, kh: 5, kw: 5, pads: [2, 2, 2, 2], dilations: [1, 1] },
  { n: 1, c: 8, h: 4, w: 40, oc: 12, kh: 1, kw: 1, pads: [0, 0, 0, 0], dilations: [1, 1] },
  { n: 2, c: 3, h: 7, w: 7, oc: 5, kh: 3, kw: 3, pads: [1, 1, 1, 1], dilations: [3, 3] },
];

const outSize = (s: Shape) => [s.h + s.pads[0] + s.pads[2] - s.dilations[0] * (s.kh - 1), s.w + s.pads[1] + s.pads[3] - s.dilations[1] * (s.kw - 1)];

function pruned(values: Float32Array, density: number, r: () => number): Float32Array {
  return values.map((v) => (r() < density ? v : 0));
}

describe('conv2d (direct stride-1 convolution)', () => {
  for (const [sparse, blockRows] of [[false, 1], [true, 1], [true, 4]] as const) {
    const family = sparse ? 'f32-spconv2d' : 'f32-conv2d';
    const format = sparse ? `, ${blockRows}-channel blocks` : '';
    for (const variant of nativeVariants(family)) {
      it(`${variant}${format}: float32 equals the reference on every shape, with bias, clamp and density 0-100%`, () => {
        const r = rng(11);
        for (const s of SHAPES)
          for (const density of sparse ? [0, 0.1, 0.5, 1] : [1]) {
            const x = randomFloats(s.n * s.c * s.h * s.w, r, 2);
            const wv = pruned(randomFloats(s.oc * s.c * s.kh * s.kw, r), density, r);
            const bias = randomFloats(s.oc, r);
            const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], wv), { sparse, blockRows });
            const options: Conv2dOptions = { pads: s.pads, dilations: s.dilations, bias, activation: { min: -0.5, max: 3 }, variant };
            const y = cpu.conv2d(tensor('float32', [s.n, s.c, s.h, s.w], x), w, options);
            const [oh, ow] = outSize(s);
            assert.deepEqual(y.dims, [s.n, s.oc, oh, ow]);
            const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH: oh, outW: ow };
            const want = Float32Array.from(refConv2dSums(g, x, 0, wv), (v, i) => Math.min(Math.max(v + bias[Math.floor(i / (oh * ow)) % s.oc], -0.5), 3));
            assertClose(y.data, want, 1e-5, 1e-5, `${variant} ${JSON.stringify(s)} density ${density}`);
          }
      });

      it(`${variant}${format}: uint8 x int8/uint8 weights give exact int32, uint8 and int8 results`, () => {
        const r = rng(12);
        for (const s of SHAPES)
          for (const [wType, perChannel] of [['int8', true], ['uint8', false]] as const) {
            const count = s.oc * s.c * s.kh * s.kw;
            const wq = wType === 'int8' ? randomInts(Int8Array, count, -127, 127, r) : randomInts(Uint8Array, count, 0, 255, r);
            const wZero = wType === 'int8' ? 0 : 131;
            const wData = sparse ? wq.map((v) => (r() < 0.2 ? v : wZero)) : wq;
            const scale = perChannel ? Float32Array.from({ length: s.oc }, () => 0.001 + r() * 0.01) : 0.004;
            const w = packConvWeights(tensor(wType, [s.oc, s.c, s.kh, s.kw], wData as Int8Array, perChannel ? { scale, zeroPoint: new Int32Array(s.oc), axis: 0 } : { scale, zeroPoint: wZero }), { sparse, blockRows });
            const xq = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
            const x = tensor('uint8', [s.n, s.c, s.h, s.w], xq, { scale: 0.02, zeroPoint: 7 });
            const bias = randomInts(Int32Array, s.oc, -5000, 5000, r);
            const [oh, ow] = outSize(s);
            const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH: oh, outW: ow };
            const sums = refConv2dSums(g, xq, 7, Float32Array.from(wData, (v) => v - wZero));
            const int32 = cpu.conv2d(x, w, { pads: s.pads, dilations: s.dilations, bias, output: 'int32', variant });
            assertSameArray(int32.data, Int32Array.from(sums, (v, i) => v + bias[Math.floor(i / (oh * ow)) % s.oc]), `${variant} int32 ${JSON.stringify(s)}`);
            // uint8/int8 output: the same int32 sums through qgemm's output stage (tested exact against onnxruntime elsewhere).
            for (const output of ['uint8', 'int8'] as const) {
              const options = { pads: s.pads, dilations: s.dilations, bias, output, outScale: 0.05, outZeroPoint: output === 'uint8' ? 100 : -3, activation: 'relu' as const, variant };
              const y = cpu.conv2d(x, w, options);
              const viaInt32 = cpu.requantize(tensor('int32', [s.n * s.oc, oh * ow], int32.data as Int32Array, { scale: Float32Array.from({ length: s.n * s.oc }, (_, i) => 0.02 * (typeof scale === 'number' ? scale : scale[i % s.oc])), axis: 0 }),
                { type: output, scale: 0.05, zeroPoint: options.outZeroPoint, activation: 'relu' });
              assertSameArray(y.data, viaInt32.data, `${variant} ${output} ${JSON.stringify(s)}`);
            }
          }
      });
    }
  }

  for (const variant of nativeVariants('qu8s8-conv2d'))
    it(`${variant}: uint8 x int8 weights in 4x4 blocks give exact int32, uint8 and int8 results, pooled or not`, () => {
      const r = rng(17);
      for (const s of SHAPES)
        for (const density of [0, 0.15, 1]) {
          const count = s.oc * s.c * s.kh * s.kw;
          const wq = randomInts(Int8Array, count, -128, 127, r).map((v) => (r() < density ? v : 0));
          const w = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], wq, { scale: Float32Array.from({ length: s.oc }, () => 0.002 + r() * 0.01), zeroPoint: new Int32Array(s.oc), axis: 0 }), { sparse: true, blockRows: 4 });
          const zeroPoint = [0, 77, 255][Math.floor(r() * 3)];
          const x = tensor('uint8', [s.n, s.c, s.h, s.w], randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r), { scale: 0.03, zeroPoint });
          const [oh, ow] = outSize(s);
          const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH: oh, outW: ow };
          const sums = refConv2dSums(g, x.data as Uint8Array, zeroPoint, Float32Array.from(wq));
          const bias = randomInts(Int32Array, s.oc, -3000, 3000, r);
          const int32 = cpu.conv2d(x, w, { pads: s.pads, dilations: s.dilations, bias, output: 'int32', variant });
          assertSameArray(int32.data, Int32Array.from(sums, (v, i) => v + bias[Math.floor(i / (oh * ow)) % s.oc]), `${variant} int32 ${JSON.stringify(s)} density ${density}`);
          for (const output of ['uint8', 'int8'] as const) {
            const options = { pads: s.pads, dilations: s.dilations, bias, output, outScale: 0.07, outZeroPoint: output === 'uint8' ? 9 : -1, activation: 'relu' as const };
            // The float kernels compute the same exact sums: the two must agree to the bit.
            const floatVariant = nativeVariants('f32-spconv2d')[0];
            assertSameArray(cpu.conv2d(x, w, { ...options, variant }).data, cpu.conv2d(x, w, { ...options, variant: floatVariant }).data, `${variant} ${output} ${JSON.stringify(s)}`);
            if (Math.min(oh, ow) >= 2) {
              const pool = { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] };
              assertSameArray(cpu.conv2d(x, w, { ...options, pool, variant }).data, cpu.conv2d(x, w, { ...options, pool, variant: floatVariant }).data, `${variant} pooled ${output} ${JSON.stringify(s)}`);
            }
          }
        }
    });

  it('gives the same results with the ISA capped at AVX2 and at scalar (the AVX2 and the portable widening, interleaving and pooling)', () => {
    const r = rng(18);
    const s = SHAPES[3];
    const wq = randomInts(Int8Array, s.oc * s.c * s.kh * s.kw, -128, 127, r).map((v) => (r() < 0.3 ? v : 0));
    const w = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], wq, { scale: 0.01 }), { sparse: true, blockRows: 4 });
    const x = tensor('uint8', [s.n, s.c, s.h, s.w], randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r), { scale: 0.03, zeroPoint: 40 });
    const options = { pads: s.pads, output: 'uint8' as const, outScale: 0.2, outZeroPoint: 3, pool: { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] } };
    const variants = [...nativeVariants('qu8s8-conv2d'), ...nativeVariants('f32-spconv2d')];
    const full = variants.map((variant) => cpu.conv2d(x, w, { ...options, variant }).data);
    for (const limit of ['avx2', 'scalar'] as const) {
      cpu.setIsaLimit(limit);
      try {
        const capped = [...nativeVariants('qu8s8-conv2d'), ...nativeVariants('f32-spconv2d')].map((variant) => cpu.conv2d(x, w, { ...options, variant }).data);
        for (const other of [...full, ...capped.slice(1)]) assertSameArray(capped[0], other, `capped at ${limit}`);
      } finally {
        cpu.setIsaLimit('none');
      }
    }
  });

  it('qu8s8-conv2d takes only uint8 x on 4-channel blocks of int8-range weights', () => {
    const variant = nativeVariants('qu8s8-conv2d')[0];
    const wf = packConvWeights(tensor('float32', [4, 1, 1, 1], new Float32Array(4)), { sparse: true, blockRows: 4 });
    assert.throws(() => cpu.conv2d(tensor('float32', [1, 1, 2, 2], new Float32Array(4)), wf, { variant }), /^RangeError: qu8s8-conv2d variants need uint8 x/);
    // uint8 weights far from their zero point are out of int8's range: the float kernels run them.
    const wu = packConvWeights(tensor('uint8', [4, 1, 1, 1], Uint8Array.of(0, 255, 3, 4), { scale: 1, zeroPoint: 0 }), { sparse: true, blockRows: 4 });
    const x = tensor('uint8', [1, 1, 2, 2], Uint8Array.of(1, 2, 3, 4), { scale: 1, zeroPoint: 0 });
    assert.throws(() => cpu.conv2d(x, wu, { output: 'int32', variant }), /^RangeError: qu8s8-conv2d variants need/);
    assert.deepEqual([...cpu.conv2d(x, wu, { output: 'int32' }).data.subarray(4, 8)], [255, 510, 765, 1020]);
  });

  it('equals the reference exactly on 150 random shapes (uint8 x int8: every format and variant, the float kernels too), pooled or not', () => {
    const r = rng(19);
    const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const formats = [[{}, 'f32-conv2d'], [{ sparse: true }, 'f32-spconv2d'], [{ sparse: true, blockRows: 4 as const }, 'f32-spconv2d'], [{ sparse: true, blockRows: 4 as const }, 'qu8s8-conv2d']] as const;
    // Shapes with an output, each run on every variant this CPU (and ISA cap)
    // has: a count that does not depend on the machine, unlike the runs.
    let shapes = 0;
    for (let trial = 0; trial < 150; trial++) {
      const [kh, kw, dh, dw] = [pick(1, 4), pick(1, 4), pick(1, 3), pick(1, 3)];
      const pads: [number, number, number, number] = [pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)];
      const s: Shape = { n: pick(1, 3), c: pick(1, 9), h: pick(1, 12), w: pick(1, 40), oc: pick(1, 13), kh, kw, pads, dilations: [dh, dw] };
      const [oh, ow] = outSize(s);
      if (oh < 1 || ow < 1) continue;
      shapes++;
      const pool = oh >= 2 && ow >= 2 && r() < 0.5 ? { kernelShape: [2, 2] as [number, number], strides: [pick(1, 2), pick(1, 2)] as [number, number] } : undefined;
      const density = r();
      const wq = randomInts(Int8Array, s.oc * s.c * kh * kw, -128, 127, r).map((v) => (r() < density ? v : 0));
      const x = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
      const zeroPoint = pick(0, 255);
      const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: kh, kernelW: kw, dilationH: dh, dilationW: dw, padTop: pads[0], padLeft: pads[1], outH: oh, outW: ow };
      const sums = refConv2dSums(g, x, zeroPoint, Float32Array.from(wq));
      // The reference pooled the way the kernels pool: unpadded windows, floor rounding.
      const ph = pool ? Math.floor((oh - 2) / pool.strides[0]) + 1 : oh, pw = pool ? Math.floor((ow - 2) / pool.strides[1]) + 1 : ow;
      const want = new Int32Array(s.n * s.oc * ph * pw);
      for (let p = 0, o = 0; p < s.n * s.oc; p++)
        for (let i = 0; i < ph; i++)
          for (let j = 0; j < pw; j++, o++) {
            let m = -Infinity;
            const [sh, sw, k] = pool ? [pool.strides[0], pool.strides[1], 2] : [1, 1, 1];
            for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) m = Math.max(m, sums[(p * oh + i * sh + a) * ow + j * sw + b]);
            want[o] = m;
          }
      for (const [pack, family] of formats) {
        const w = packConvWeights(tensor('int8', [s.oc, s.c, kh, kw], wq, { scale: 1 }), pack);
        for (const variant of nativeVariants(family)) {
          const y = cpu.conv2d(tensor('uint8', [s.n, s.c, s.h, s.w], x, { scale: 1, zeroPoint }), w, { pads, dilations: [dh, dw], output: 'int32', pool, variant });
          assertSameArray(y.data, want, `${variant} ${JSON.stringify([s, pool, density])}`);
        }
      }
    }
    assert.ok(shapes >= 100, `only ${shapes} of 150 shapes had an output`);
  });

  it('fused max pools equal cpu.maxPool of the unpooled result, bit for bit, float32 and quantized', () => {
    const r = rng(13);
    for (const [sparse, blockRows] of [[false, 1], [true, 1], [true, 4]] as const)
      for (const s of SHAPES.filter((shape) => Math.min(...outSize(shape)) >= 3))
        for (const [kernelShape, strides] of [[[2, 2], [2, 2]], [[3, 3], [2, 2]], [[2, 3], [1, 2]]] as [[number, number], [number, number]][]) {
          const wv = pruned(randomFloats(s.oc * s.c * s.kh * s.kw, r), sparse ? 0.2 : 1, r);
          const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], wv), { sparse, blockRows });
          const x = tensor('float32', [s.n, s.c, s.h, s.w], randomFloats(s.n * s.c * s.h * s.w, r));
          const base = { pads: s.pads, dilations: s.dilations, activation: 'relu' as const };
          const pooled = cpu.conv2d(x, w, { ...base, pool: { kernelShape, strides } });
          const unfused = cpu.maxPool(cpu.conv2d(x, w, base) as never, { kernelShape, strides });
          assert.deepEqual(pooled.dims, unfused.dims);
          assertSameArray(pooled.data, unfused.data, `float32 ${JSON.stringify([s, kernelShape, strides, sparse])}`);

          const wq = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], Int8Array.from(wv, (v) => Math.round(v * 100)), { scale: 0.01 }), { sparse, blockRows });
          const xq = tensor('uint8', [s.n, s.c, s.h, s.w], randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r), { scale: 0.05, zeroPoint: 120 });
          for (const output of ['int32', 'uint8', 'int8'] as const) {
            const q = { ...base, output, activation: output === 'int32' ? undefined : base.activation, outScale: 0.1, outZeroPoint: output === 'int8' ? -20 : 5 };
            const qPooled = cpu.conv2d(xq, wq, { ...q, pool: { kernelShape, strides } });
            const qFull = cpu.conv2d(xq, wq, q);
            const want = new (qFull.data.constructor as Int32ArrayConstructor)(qPooled.data.length);
            const [, , oh, ow] = qFull.dims, [, , ph, pw] = qPooled.dims;
            // max over each window of the unpooled result (cpu.maxPool has no int32 input).
            for (let p = 0, o = 0; p < s.n * s.oc; p++)
              for (let i = 0; i < ph; i++)
                for (let j = 0; j < pw; j++, o++) {
                  let m = -Infinity;
                  for (let a = 0; a < kernelShape[0]; a++) for (let b = 0; b < kernelShape[1]; b++) m = Math.max(m, qFull.data[(p * oh + i * strides[0] + a) * ow + j * strides[1] + b] as number);
                  want[o] = m;
                }
            assertSameArray(qPooled.data, want, `${output} ${JSON.stringify([s, kernelShape, strides, sparse])}`);
          }
        }
  });

  it('the scalar and the best variant give the same float32 bits (same tap order, fused multiply-adds)', () => {
    const r = rng(14);
    const s = SHAPES[3];
    for (const [sparse, blockRows] of [[false, 1], [true, 1], [true, 4]] as const) {
      const variants = nativeVariants(sparse ? 'f32-spconv2d' : 'f32-conv2d');
      const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], pruned(randomFloats(s.oc * s.c * s.kh * s.kw, r), 0.3, r)), { sparse, blockRows });
      const x = tensor('float32', [s.n, s.c, s.h, s.w], randomFloats(s.n * s.c * s.h * s.w, r));
      const results = variants.map((variant) => cpu.conv2d(x, w, { pads: s.pads, variant }).data);
      for (const other of results.slice(1)) assertSameArray(other, results[0], variants.join(' vs '));
    }
  });

  it('reads a batch of images smaller than a 16-float vector within x, on every variant (found by fuzzing)', () => {
    // Images read in place have their last vector read past their end, from
    // the images after them: 1-float images need 15 behind them (ASan runs see the overflow).
    const r = rng(24);
    const x = tensor('float32', [5, 1, 1, 1], randomFloats(5, r));
    const wv = Float32Array.of(0.5, -2, 3, 0.25);
    for (const [sparse, blockRows] of [[false, 1], [true, 1], [true, 4]] as const) {
      const w = packConvWeights(tensor('float32', [4, 1, 1, 1], wv), { sparse, blockRows });
      const want = Float32Array.from({ length: 20 }, (_, i) => x.data[Math.floor(i / 4)] * wv[i % 4]);
      for (const variant of nativeVariants(sparse ? 'f32-spconv2d' : 'f32-conv2d'))
        assertClose(cpu.conv2d(x, w, { variant }).data as Float32Array, want, 1e-6, 0, `${variant} sparse ${sparse} blockRows ${blockRows}`);
    }
  });

  it('the binding refuses float32 output on qu8s8-conv2d, whose kernels store int32 sums only (found by fuzzing)', () => {
    const addon = native()!;
    const w = packConvWeights(tensor('int8', [4, 1, 1, 1], Int8Array.of(1, 2, 3, 4), { scale: 1 }), { sparse: true, blockRows: 4 });
    assert.ok(w.int8Blocks);
    const plan: NativeConv2dPlanOptions = {
      family: 'qu8s8-conv2d', variant: null, weights: w.handle!, xType: 'uint8', xZeroPoint: 0, batch: 2, channels: 1, height: 1, width: 1,
      kernelH: 1, kernelW: 1, dilationH: 1, dilationW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
      output: 'float32', bias: null, min: -Infinity, max: Infinity, intBias: null, multipliers: null, zeroPoint: 0, outMin: 0, outMax: 255,
      poolKernelH: 0, poolKernelW: 0, poolStrideH: 1, poolStrideW: 1,
    };
    assert.throws(() => addon.planConv2d(plan), /^RangeError: family qu8s8-conv2d needs int32, uint8 or int8 output/);
    const y = new Int32Array(8);
    addon.runConv2dPlan(addon.planConv2d({ ...plan, output: 'int32' }), Uint8Array.of(10, 20), y, false);
    assert.deepEqual([...y], [10, 20, 30, 40, 20, 40, 60, 80]);
  });

  it('runs the same on every thread count and on a worker thread (conv2dAsync)', async () => {
    const r = rng(15);
    const s = SHAPES[2];
    const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], randomFloats(s.oc * s.c * s.kh * s.kw, r)));
    const x = tensor('float32', [4, s.c, s.h, s.w], randomFloats(4 * s.c * s.h * s.w, r));
    const one = (cpu.setThreads(1), cpu.conv2d(x, w, { pads: s.pads }).data);
    cpu.setThreads(2);
    assertSameArray(cpu.conv2d(x, w, { pads: s.pads }).data, one, '2 threads');
    assertSameArray((await cpu.conv2dAsync(x, w, { pads: s.pads })).data, one, 'async');
    const out = new Float32Array(one.length);
    assert.equal(cpu.conv2d(x, w, { pads: s.pads, out }).data, out);
    assertSameArray(out, one, 'out');
  });

  it('gives the same results on 1 and 2 threads for dense, [4 x 1] block and int8 block weights, each enough work to split', () => {
    const r = rng(17);
    const s = SHAPES[2];
    const n = 8;
    const wDims = [s.oc, s.c, s.kh, s.kw];
    const wSize = s.oc * s.c * s.kh * s.kw, xSize = n * s.c * s.h * s.w;
    const x = tensor('float32', [n, s.c, s.h, s.w], randomFloats(xSize, r));
    const qx = tensor('uint8', [n, s.c, s.h, s.w], randomInts(Uint8Array, xSize, 0, 255, r), { scale: 0.05, zeroPoint: 9 });
    const qOptions = { pads: s.pads, output: 'uint8' as const, outScale: 0.2, outZeroPoint: 3 };
    const cases = [
      { name: 'dense', x, w: packConvWeights(tensor('float32', wDims, randomFloats(wSize, r))), options: { pads: s.pads } },
      { name: '[4 x 1] blocks', x, w: packConvWeights(tensor('float32', wDims, pruned(randomFloats(wSize, r), 0.3, r)), { sparse: true, blockRows: 4 }), options: { pads: s.pads } },
      { name: 'int8 blocks', x: qx, w: packConvWeights(tensor('int8', wDims, randomInts(Int8Array, wSize, -100, 100, r), { scale: 0.01 }), { sparse: true, blockRows: 4 }), options: qOptions },
    ];
    assert.ok(cases[2].w.int8Blocks, 'the int8 case runs on qu8s8-conv2d');
    for (const c of cases) {
      cpu.setThreads(1);
      const one = cpu.conv2d(c.x, c.w, c.options).data;
      cpu.setThreads(2);
      assertSameArray(cpu.conv2d(c.x, c.w, c.options).data, one, c.name);
    }
  });

  it('plans a call once for a shape: the same results, and run() checks only the arrays', () => {
    const r = rng(16);
    const s = SHAPES[2];
    const w = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], randomInts(Int8Array, s.oc * s.c * s.kh * s.kw, -100, 100, r), { scale: 0.01 }));
    const options = { pads: s.pads, output: 'uint8' as const, outScale: 0.2, outZeroPoint: 3, pool: { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] } };
    const plan = planConv2d({ type: 'uint8', dims: [2, s.c, s.h, s.w], scale: 0.05, zeroPoint: 9 }, w, options);
    const x = randomInts(Uint8Array, 2 * s.c * s.h * s.w, 0, 255, r);
    const want = cpu.conv2d(tensor('uint8', [2, s.c, s.h, s.w], x, { scale: 0.05, zeroPoint: 9 }), w, options);
    assert.deepEqual(plan.dims, want.dims);
    assert.equal(plan.type, 'uint8');
    assert.deepEqual(plan.quant, { scale: Math.fround(0.2), zeroPoint: 3, axis: undefined });
    const y = new Uint8Array(want.data.length);
    plan.run(x, y);
    assertSameArray(y, want.data, 'planned');
    assert.throws(() => plan.run(x.subarray(1), y), /^RangeError: x must be uint8 with \d+ values, as planned/);
    assert.throws(() => plan.run(x, new Int8Array(y.length)), /^RangeError: y must be uint8/);
    assert.throws(() => planConv2d({ type: 'uint8', dims: [2, s.c + 1, s.h, s.w], scale: 0.05 }, w, options), /^RangeError: w expects/);
  });

  it('reuses the addon\'s plan of a repeated call only while every field matches (a bias changed in place, other pads, another activation)', () => {
    const r = rng(17);
    const w = packConvWeights(tensor('float32', [8, 3, 3, 3], randomFloats(216, r)));
    const x = tensor('float32', [1, 3, 7, 7], randomFloats(147, r));
    const bias = randomFloats(8, r);
    const reference = (options: Conv2dOptions) => {
      const y = cpu.conv2d(x, packConvWeights(tensor('float32', [8, 3, 3, 3], w.values)), { ...options, bias: options.bias?.slice() });
      return y.data;
    };
    for (const options of [{ bias }, { bias, pads: [1, 1, 1, 1] as [number, number, number, number] }, { bias, activation: 'relu' as const }]) {
      assertSameArray(cpu.conv2d(x, w, options).data, reference(options), 'first call');
      bias[3] += 1;
      assertSameArray(cpu.conv2d(x, w, options).data, reference(options), 'after bias[3] changed in place');
    }
  });

  it('says when integer sums would not be exact, and refuses to run them', () => {
    const big = packConvWeights(tensor('int8', [1, 64, 3, 3], new Int8Array(576).fill(127), { scale: 1 }));
    assert.equal(big.maxRowAbsSum, 576 * 127);
    assert.equal(conv2dIsExact(big, 0), false);
    const small = packConvWeights(tensor('int8', [1, 4, 3, 3], new Int8Array(36).fill(-128), { scale: 1 }));
    assert.equal(conv2dIsExact(small, 128), true);
    const x = tensor('uint8', [1, 64, 4, 4], new Uint8Array(1024), { scale: 1, zeroPoint: 0 });
    assert.throws(() => cpu.conv2d(x, big, { output: 'int32' }), /^RangeError: w has an output channel whose sums can reach 2\^24/);
  });

  it('counts stored weights: nonzeros when sparse (whole blocks in blocks), all when dense', () => {
    const wv = Float32Array.of(0, 1, 0, 2, 0, 0, 0, 3);
    assert.equal(packConvWeights(tensor('float32', [2, 1, 2, 2], wv), { sparse: true }).entries, 3);
    assert.equal(packConvWeights(tensor('float32', [2, 1, 2, 2], wv), { sparse: true, blockRows: 4 }).entries, 4);
    assert.equal(packConvWeights(tensor('float32', [2, 1, 2, 2], wv)).entries, 8);
    assert.equal(blockDensity(wv, 2, 1), 3 / 8);
    assert.equal(blockDensity(wv, 2, 4), 4 / 8);
    // 5 channels in blocks of 4: the last block is 1 channel.
    assert.equal(blockDensity(Float32Array.of(1, 0, 0, 0, 0), 5, 4), 4 / 5);
  });

  // The sparse kernels' contract: an unstored weight is an exact 0, and
  // 0 x Inf = 0 x NaN = NaN, so they give NaN wherever the dense convolution
  // on the same weights does (padding is exact zeros, and makes no NaN).
  describe('Inf and NaN pixels give the dense convolution\'s NaN and Inf', () => {
    /** Images with a NaN, an Inf and a -Inf at random pixels, and Inf at the first and the last pixel. */
    function specialImages(s: Shape, r: () => number): Float32Array {
      const x = randomFloats(s.n * s.c * s.h * s.w, r, 2);
      for (const value of [NaN, Infinity, -Infinity]) x[Math.floor(r() * x.length)] = value;
      x[0] = Infinity;
      x[x.length - 1] = Infinity;
      return x;
    }

    for (const blockRows of [1, 4] as const)
      it(`${blockRows === 1 ? 'CSR' : '4-channel blocks'}: every variant, pooled or not, with the ISA capped, and the reference`, () => {
        const r = rng(23);
        for (const s of SHAPES)
          for (let trial = 0; trial < 3; trial++) {
            const [oh, ow] = outSize(s);
            // A third of the weights kept: taps stored for some channels (or blocks) and not for others.
            const wv = pruned(randomFloats(s.oc * s.c * s.kh * s.kw, r), 0.3, r);
            const weights = tensor('float32', [s.oc, s.c, s.kh, s.kw], wv);
            const dense = packConvWeights(weights), sparse = packConvWeights(weights, { sparse: true, blockRows });
            const x = specialImages(s, r);
            const xt = tensor('float32', [s.n, s.c, s.h, s.w], x);
            const bias = randomFloats(s.oc, r);
            const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH: oh, outW: ow };
            const base = { pads: s.pads, dilations: s.dilations, bias, activation: 'relu' as const };
            const what = `${JSON.stringify(s)} trial ${trial}`;
            const reference = Float32Array.from(refConv2dSums(g, x, 0, wv), (v, i) => Math.max(v + bias[Math.floor(i / (oh * ow)) % s.oc], 0));
            assertCloseNonfinite(reference, cpu.conv2d(xt, dense, base).data, 1e-5, 1e-5, `reference ${what}`);
            const pools = Math.min(oh, ow) >= 2 ? [undefined, { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] }] : [undefined];
            for (const pool of pools) {
              const options = { ...base, pool };
              const want = cpu.conv2d(xt, dense, options).data;
              for (const variant of nativeVariants('f32-spconv2d'))
                assertCloseNonfinite(cpu.conv2d(xt, sparse, { ...options, variant }).data, want, 1e-5, 1e-5, `${variant}${pool ? ' pooled' : ''} ${what}`);
              // Capped, the check of the images runs its AVX2 and portable variants too.
              for (const limit of ['avx2', 'scalar'] as const) {
                cpu.setIsaLimit(limit);
                try {
                  assertCloseNonfinite(cpu.conv2d(xt, sparse, options).data, want, 1e-5, 1e-5, `ISA capped at ${limit}${pool ? ' pooled' : ''} ${what}`);
                } finally {
                  cpu.setIsaLimit('none');
                }
              }
            }
          }
      });
  });

  describe('rejects bad arguments before native code runs', () => {
    const w = packConvWeights(tensor('float32', [4, 3, 3, 3], new Float32Array(108)));
    const wq = packConvWeights(tensor('int8', [4, 3, 3, 3], new Int8Array(108), { scale: 0.1 }));
    const x = tensor('float32', [1, 3, 8, 8], new Float32Array(192));
    const xq = tensor('uint8', [1, 3, 8, 8], new Uint8Array(192), { scale: 0.1, zeroPoint: 0 });
    const cases: [string, () => unknown, RegExp][] = [
      ['weights that are not 4-D', () => packConvWeights(tensor('float32', [4, 27], new Float32Array(108)) as never), /^RangeError: w\.dims must have 4 dimensions/],
      ['a weight axis other than 0', () => packConvWeights(tensor('int8', [2, 2, 1, 1], new Int8Array(4), { scale: Float32Array.of(1, 1), axis: 1 })), /^TypeError: w\.axis/],
      ['a non-boolean sparse', () => packConvWeights(tensor('float32', [1, 1, 1, 1], new Float32Array(1)), { sparse: 1 as never }), /^TypeError: options\.sparse/],
      ['blockRows 2', () => packConvWeights(tensor('float32', [1, 1, 1, 1], new Float32Array(1)), { sparse: true, blockRows: 2 as never }), /^RangeError: options\.blockRows must be 1 or 4/],
      ['blockRows on dense weights', () => packConvWeights(tensor('float32', [1, 1, 1, 1], new Float32Array(1)), { blockRows: 4 }), /^TypeError: options\.blockRows needs options\.sparse/],
      ['weights not from packConvWeights', () => cpu.conv2d(x, {} as never), /^TypeError: w must be a ConvWeights made by packConvWeights\(\)/],
      ['a channel mismatch', () => cpu.conv2d(tensor('float32', [1, 2, 8, 8], new Float32Array(128)), w), /^RangeError: w expects 3 input channels, x has 2/],
      ['a kernel larger than the padded input', () => cpu.conv2d(tensor('float32', [1, 3, 2, 8], new Float32Array(48)), w), /^RangeError: w \(dilated 3x3\) is larger/],
      ['bad pads', () => cpu.conv2d(x, w, { pads: [1, 1] as never }), /^TypeError: options\.pads/],
      ['a zero dilation', () => cpu.conv2d(x, w, { dilations: [0, 1] }), /^RangeError: options\.dilations\[0\]/],
      ['a bias of the wrong length', () => cpu.conv2d(x, w, { bias: new Float32Array(3) }), /^RangeError: options\.bias/],
      ['quantized weights on float32 x', () => cpu.conv2d(x, wq), /^TypeError: w is quantized/],
      ['float weights on uint8 x', () => cpu.conv2d(xq, w), /^TypeError: w must be quantized/],
      ['integer output of float32 x', () => cpu.conv2d(x, w, { output: 'int32' }), /^TypeError: options\.output/],
      ['uint8 output without outScale', () => cpu.conv2d(xq, wq, { output: 'uint8' }), /^TypeError: options\.outScale/],
      ['a pool larger than the output', () => cpu.conv2d(x, w, { pool: { kernelShape: [7, 7] } }), /^RangeError: options\.pool\.kernelShape/],
      ['a pool without kernelShape', () => cpu.conv2d(x, w, { pool: {} as never }), /^TypeError: options\.pool\.kernelShape/],
      ['an out of the wrong size', () => cpu.conv2d(x, w, { out: new Float32Array(5) }), /^RangeError: options\.out/],
      ['an unknown variant', () => cpu.conv2d(x, w, { variant: 'f32-conv2d-nope' }), /^RangeError: unknown variant f32-conv2d-nope/],
    ];
    for (const [what, call, error] of cases) it(`rejects ${what}`, () => assert.throws(call, error));
  });

  it('computes the same results on the TypeScript reference backend (no addon)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const code = `
      import { cpu, tensor } from './src/index.ts';
      const w = Float32Array.from({ length: 2 * 2 * 9 }, (_, i) => ((i * 7) % 5) - 2);
      const x = Float32Array.from({ length: 2 * 2 * 25 }, (_, i) => ((i * 3) % 11) - 4);
      const f = cpu.conv2d(tensor('float32', [2, 2, 5, 5], x), cpu.packConvWeights(tensor('float32', [2, 2, 3, 3], w), { sparse: true }), { pads: [1, 0, 0, 1], bias: Float32Array.of(1, -1), pool: { kernelShape: [2, 2], strides: [2, 2] } });
      const q = cpu.conv2d(tensor('uint8', [2, 2, 5, 5], Uint8Array.from(x, (v) => v + 4), { scale: 0.5, zeroPoint: 4 }),
        cpu.packConvWeights(tensor('int8', [2, 2, 3, 3], Int8Array.from(w), { scale: 1 })), { output: 'uint8', outScale: 0.25, outZeroPoint: 10, bias: Int32Array.of(3, -3) });
      console.log(JSON.stringify({ impl: cpu.info().implementation, f: Array.from(f.data), q: Array.from(q.data) }));
    `;
    const child = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const reference = child({ SPARQ_DISABLE_NATIVE: '1', SPARQ_REQUIRE_NATIVE: '0' });
    const ours = child({});
    assert.deepEqual([reference.impl, ours.impl], ['reference', 'native']);
    assert.deepEqual(reference.f, ours.f);
    assert.deepEqual(reference.q, ours.q);
  });
});

describe('qu8s8-conv2d at every ISA cap (the AVX-512, AVX2 and portable image interleaving under each variant)', () => {
  function capped<T>(limit: 'none' | 'avx2' | 'scalar', run: () => T): T {
    cpu.setIsaLimit(limit);
    try {
      return run();
    } finally {
      cpu.setIsaLimit('none');
    }
  }

  it('equals the reference on rows of 1-70 pixels (whole 16- and 32-pixel interleave steps and every tail) and 1-8 channels', () => {
    const r = rng(41);
    let runs = 0;
    for (const width of [1, 2, 15, 16, 17, 31, 32, 33, 47, 64, 70])
      for (const c of [1, 3, 4, 5, 8]) {
        const s: Shape = { n: 2, c, h: 3 + (width % 3), w: width, oc: 6, kh: width > 2 ? 3 : 1, kw: width > 2 ? 3 : 1, pads: [1, width % 2, 0, 1], dilations: [1, 1] };
        const [oh, ow] = outSize(s);
        const wq = randomInts(Int8Array, s.oc * c * s.kh * s.kw, -128, 127, r).map((v) => (r() < 0.7 ? v : 0));
        const w = packConvWeights(tensor('int8', [s.oc, c, s.kh, s.kw], wq, { scale: 1 }), { sparse: true, blockRows: 4 });
        const zeroPoint = Math.floor(r() * 256);
        const x = randomInts(Uint8Array, s.n * c * s.h * s.w, 0, 255, r);
        const g = { batch: s.n, channels: c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: 1, dilationW: 1, padTop: s.pads[0], padLeft: s.pads[1], outH: oh, outW: ow };
        const want = refConv2dSums(g, x, zeroPoint, Float32Array.from(wq));
        for (const limit of ['none', 'avx2', 'scalar'] as const)
          capped(limit, () => {
            for (const variant of nativeVariants('qu8s8-conv2d')) {
              const y = cpu.conv2d(tensor('uint8', [s.n, c, s.h, s.w], x, { scale: 1, zeroPoint }), w, { pads: s.pads, output: 'int32', variant });
              assertSameArray(y.data, want, `${variant} capped at ${limit} ${JSON.stringify(s)}`);
              runs++;
            }
          });
      }
    // At least the portable variant under each of the 3 caps on each of the 55 shapes.
    assert.ok(runs >= 3 * 55, `only ${runs} runs`);
  });

  it('equals the reference on 7-bit weights ([-64, 64], where the AVX2 kernel takes vpmaddubsw) at their extremes, and just past them', () => {
    const r = rng(42);
    const s: Shape = { n: 2, c: 8, h: 9, w: 21, oc: 8, kh: 3, kw: 3, pads: [1, 1, 1, 1], dilations: [1, 1] };
    const [oh, ow] = outSize(s);
    const g = { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outH: oh, outW: ow };
    const count = s.oc * s.c * s.kh * s.kw;
    // Pairs of +-64 against 255 pixels: the largest int16 pair sums, +-32640.
    const extremes = Int8Array.from({ length: count }, (_, i) => (i % 5 === 4 ? 0 : i % 3 === 0 ? -64 : 64));
    const random = randomInts(Int8Array, count, -64, 64, r);
    const past = random.map((v, i) => (i === count >> 1 ? -65 : v));
    for (const wq of [extremes, random, past]) {
      const w = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], wq, { scale: 1 }), { sparse: true, blockRows: 4 });
      for (const x of [new Uint8Array(s.n * s.c * s.h * s.w).fill(255), randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r)])
        for (const zeroPoint of [0, 255]) {
          const want = refConv2dSums(g, x, zeroPoint, Float32Array.from(wq));
          for (const variant of nativeVariants('qu8s8-conv2d')) {
            const y = cpu.conv2d(tensor('uint8', [s.n, s.c, s.h, s.w], x, { scale: 1, zeroPoint }), w, { pads: s.pads, output: 'int32', variant });
            assertSameArray(y.data, want, `${variant} weights ${wq === past ? 'with a -65' : wq === extremes ? '+-64' : 'in [-64, 64]'} zero point ${zeroPoint}`);
          }
        }
    }
  });
});
