import assert from 'node:assert/strict';

import { refConv2dSums } from '../../src/backends/reference/conv2d.js';
import { refOutput } from '../../src/backends/reference/quantize.js';
import type { Qconv2dNhwcOptions } from '../../src/backends/cpu/qconv2d-nhwc.js';
import { planQuantizedProduct } from '../../src/ops/quantized-output.js';
import { native } from '../../src/native.js';
import { cpu, tensor, type Tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, randomInts, rng } from '../helpers.js';
import { biasOf, imageOf, STAGE_CASES, weightsOf, type QuantizedCase, type WeightKind } from './quantized-conv-cases.js';

type Shape = { n: number; c: number; oc: number; h: number; w: number; kh: number; kw: number; strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number] };

const shape = (c: number, oc: number, h: number, k: number, stride: number, pad: number, more: Partial<Shape> = {}): Shape =>
  ({ n: 1, c, oc, h, w: h, kh: k, kw: k, strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], ...more });

// ResNet's windows (3x3 stride 1 and 2, 1x1 stride 2, the 7x7/2 stem and a
// 3x3/2 stem on 3 channels), K = KH*KW*C below, at and past multiples of 4
// (the packed K group) and of the 12- and 32-row strips, OC past the 16-column
// panel, odd and non-square maps, asymmetric pads, pads wider than the
// kernel (windows wholly in the padding), dilation 2, batch 2 (tiles that
// cross images), a layer of several tiles, and a few pixels of K = 4608 whose
// work splits by panels. The stems' inner windows are copied by a loop of
// their own: even maps put the last output row's windows in the last image
// row (whose copies stop short of the end of x), and batches of several of
// the driver's L1 chunks (small weights) cross images.
const SHAPES: Shape[] = [
  shape(4, 16, 6, 3, 1, 1),
  shape(5, 17, 7, 3, 1, 1, { w: 9 }),
  shape(3, 8, 11, 3, 2, 1, { n: 2 }),
  shape(3, 20, 17, 7, 2, 3),
  shape(3, 16, 12, 3, 2, 1, { n: 3, w: 14 }),
  shape(3, 32, 40, 3, 2, 1, { n: 2, w: 38 }),
  shape(3, 64, 16, 7, 2, 3, { n: 2, w: 15 }),
  shape(8, 33, 9, 1, 2, 0),
  shape(7, 5, 5, 1, 1, 0),
  shape(6, 12, 8, 3, 2, 1, { pads: [0, 1, 2, 1] }),
  shape(2, 3, 3, 3, 1, 4),
  shape(9, 18, 10, 3, 1, 2, { dilations: [2, 2], n: 2 }),
  { n: 1, c: 5, oc: 7, h: 9, w: 11, kh: 2, kw: 4, strides: [3, 2], pads: [0, 3, 1, 0], dilations: [1, 2] },
  shape(32, 40, 30, 3, 1, 1),
  shape(512, 64, 3, 3, 1, 1),
];

function geometry(s: Shape) {
  const outH = Math.floor((s.h + s.pads[0] + s.pads[2] - s.dilations[0] * (s.kh - 1) - 1) / s.strides[0]) + 1;
  const outW = Math.floor((s.w + s.pads[1] + s.pads[3] - s.dilations[1] * (s.kw - 1) - 1) / s.strides[1]) + 1;
  return {
    batch: s.n, channels: s.c, outChannels: s.oc, height: s.h, width: s.w, kernelH: s.kh, kernelW: s.kw, strideH: s.strides[0], strideW: s.strides[1],
    dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH, outW,
  };
}

type Weights = WeightKind | 'narrow';

/** ONNX weights [OC, C, KH, KW] and their zero points (quantized-conv-cases.ts), or narrow ones (7-bit, the fast AVX2 kernel's). */
function weights(s: Shape, kind: Weights, r: () => number): { data: Int8Array | Uint8Array; zeroPoint: number | Int32Array } {
  const k = s.c * s.kh * s.kw;
  if (kind === 'narrow') return { data: randomInts(Int8Array, s.oc * k, -64, 64, r), zeroPoint: 0 };
  return weightsOf(kind, s.oc, k, r);
}

/** W' [KH*KW*C, OC]: rows (kh, kw, c), c fastest, of ONNX weights [OC, C, KH, KW]. */
function nhwcColumns<A extends Int8Array | Uint8Array>(s: Shape, w: A): A {
  const taps = s.kh * s.kw, k = taps * s.c;
  const out = new (w.constructor as new (n: number) => A)(w.length);
  for (let o = 0; o < s.oc; o++)
    for (let c = 0; c < s.c; c++)
      for (let t = 0; t < taps; t++) out[(t * s.c + c) * s.oc + o] = w[(o * s.c + c) * taps + t];
  return out;
}

type Case = QuantizedCase<Weights>;

const CASES: Case[] = STAGE_CASES;

/** planQconv2dNhwc of (s, zx, case) under `variant` (undefined: the best under the ISA cap) against the NCHW reference on the transposed image. */
function check(s: Shape, xZeroPoint: number, k: Case, variant: string | undefined, seed: number): void {
  const r = rng(seed);
  const g = geometry(s);
  const kSize = s.c * s.kh * s.kw;
  const x = imageOf(s.n * s.h * s.w * s.c, r);
  const w = weights(s, k.weights, r);
  const scales = Float32Array.from({ length: s.oc }, () => 0.001 + 0.02 * r());
  const bias = biasOf(k, s.oc, r);
  const xt = { type: 'uint8' as const, dims: [s.n, s.h, s.w, s.c], scale: 0.05, zeroPoint: xZeroPoint };
  const perChannel = k.perChannel || typeof w.zeroPoint !== 'number';
  const zeroPoints = typeof w.zeroPoint === 'number' ? new Int32Array(s.oc).fill(w.zeroPoint) : w.zeroPoint;
  const quant = perChannel ? { scale: scales, axis: 1, zeroPoint: zeroPoints } : { scale: scales[0], zeroPoint: w.zeroPoint as number };
  const columns = nhwcColumns(s, w.data);
  const wt: Tensor<'int8' | 'uint8'> = columns instanceof Uint8Array ? tensor('uint8', [kSize, s.oc], columns, quant) : tensor('int8', [kSize, s.oc], columns, quant);
  const outZeroPoint = k.output === 'uint8' ? 100 : k.output === 'int8' ? -20 : undefined;
  const options: Qconv2dNhwcOptions = {
    kernelShape: [s.kh, s.kw], strides: s.strides, pads: s.pads, dilations: s.dilations, output: k.output, bias, activation: k.activation, variant,
    ...(k.output === 'uint8' || k.output === 'int8' ? { outScale: 0.2, outZeroPoint } : {}),
  };
  const plan = cpu.planQconv2dNhwc(xt, cpu.packWeights(wt), options);
  assert.deepEqual(plan.result.dims, [s.n, g.outH, g.outW, s.oc]);
  assert.equal(plan.result.type, k.output);
  const Out = { int32: Int32Array, uint8: Uint8Array, int8: Int8Array, float32: Float32Array }[k.output];
  const y = new Out(s.n * g.outH * g.outW * s.oc);
  plan.run(x, y as never);
  // The oracle: the NCHW conv reference on the transposed image, weights less their zero points, then transposed back.
  const plane = s.h * s.w, outPlane = g.outH * g.outW;
  const nchw = new Uint8Array(x.length);
  for (let b = 0; b < s.n; b++)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < s.c; c++) nchw[(b * s.c + c) * plane + p] = x[(b * plane + p) * s.c + c];
  const off = Float32Array.from(w.data, (v, i) => v - zeroPoints[Math.floor(i / kSize)]);
  const sums = refConv2dSums(g, nchw, xZeroPoint, off);
  const q = planQuantizedProduct('x', xt, { scales: perChannel ? scales : scales.subarray(0, 1) }, options, s.oc, 3);
  const stage = { multipliers: q.mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax };
  const want = new Out(y.length);
  for (let b = 0; b < s.n; b++)
    for (let o = 0; o < s.oc; o++)
      for (let p = 0; p < outPlane; p++) {
        const acc = sums[(b * s.oc + o) * outPlane + p];
        want[(b * outPlane + p) * s.oc + o] = k.output === 'int32' ? (acc + (bias ? bias[o] : 0)) | 0 : refOutput(acc, o, stage, k.output === 'float32');
      }
  assertSameArray(y, want, `${variant ?? 'best'} ${JSON.stringify(s)} zx ${xZeroPoint} ${JSON.stringify(k)}`);
}

const needsNarrow = (variant: string) => native()!.qu8s8GemmVariants.find((v) => v.name === variant)!.needsNarrow;

describe('planQconv2dNhwc (int8 channels-last group-1 convolution)', () => {
  for (const variant of nativeVariants('qu8s8-gemm')) {
    it(`${variant}: exactly the NCHW reference transposed, every shape, zero point 0/128/255, weight zero points, int32/uint8/int8/float32 outputs`, () => {
      let seed = 1;
      for (const s of SHAPES)
        for (const zx of [0, 128, 255])
          for (let i = 0; i < 2; i++, seed++) {
            const k = CASES[seed % CASES.length];
            check(s, zx, needsNarrow(variant) ? { ...k, weights: 'narrow' } : k, variant, seed);
          }
    });
  }

  for (const limit of ['scalar', 'avx2', 'avx512'] as const) {
    it(`the best variant under the ISA cap '${limit}' equals the reference, full-range and narrow weights`, () => {
      cpu.setIsaLimit(limit);
      try {
        let seed = 500;
        for (const s of SHAPES) {
          check(s, 128, CASES[seed % CASES.length], undefined, seed++);
          check(s, 3, { ...CASES[seed % CASES.length], weights: 'narrow' }, undefined, seed++);
        }
      } finally {
        cpu.setIsaLimit('none');
      }
    });
  }

  it('gives the same bytes on 1 and 3 threads (tiles and panel splits change, each output is one microkernel call)', () => {
    // Two tiles of pixels; then 9 pixels of K = 4608 x 512 channels, whose work splits by panels.
    const shapes = [shape(64, 48, 20, 3, 1, 1, { n: 2 }), shape(512, 512, 3, 3, 1, 1)];
    const before = cpu.info().threads;
    try {
      for (const threads of [1, 3]) {
        cpu.setThreads(threads);
        for (const s of shapes) check(s, 77, CASES[4], undefined, 900);
      }
    } finally {
      cpu.setThreads(before);
    }
  });

  it('an empty batch plans an empty result and runs nothing', () => {
    const w = cpu.packWeights(tensor('int8', [18, 4], new Int8Array(72), { scale: 1 }));
    const plan = cpu.planQconv2dNhwc({ type: 'uint8', dims: [0, 4, 4, 2] }, w, { kernelShape: [3, 3], pads: [1, 1, 1, 1] });
    assert.deepEqual(plan.result.dims, [0, 4, 4, 4]);
    plan.run(new Uint8Array(0), new Int32Array(0));
  });

  it('bad arguments throw TypeError/RangeError naming them, before native code runs', () => {
    const x = { type: 'uint8' as const, dims: [1, 5, 5, 2], scale: 0.1, zeroPoint: 3 };
    const w = cpu.packWeights(tensor('int8', [18, 4], new Int8Array(72), { scale: 0.5 }));
    const throwsNaming = (error: typeof TypeError | typeof RangeError, name: string, run: () => unknown) =>
      assert.throws(run, (e: Error) => e instanceof error && e.message.startsWith(name), name);
    const plan = (xIn: unknown, wIn: unknown, options: unknown = { kernelShape: [3, 3] }) => cpu.planQconv2dNhwc(xIn as never, wIn as never, options as never);
    throwsNaming(TypeError, 'x', () => plan({ type: 'float32', dims: [1, 5, 5, 2] }, w));
    throwsNaming(RangeError, 'x', () => plan({ type: 'uint8', dims: [5, 5, 2] }, w));
    throwsNaming(RangeError, 'w', () => plan(x, cpu.packWeights(tensor('int8', [9, 4], new Int8Array(36), { scale: 1 }))));
    throwsNaming(TypeError, 'w', () => plan(x, tensor('float32', [18, 4])));
    throwsNaming(TypeError, 'options.kernelShape', () => plan(x, w, {}));
    throwsNaming(RangeError, 'options.kernelShape', () => plan(x, w, { kernelShape: [7, 3] }));
    throwsNaming(RangeError, 'options.group', () => plan(x, w, { kernelShape: [3, 3], group: 2 }));
    throwsNaming(RangeError, 'options.strides[0]', () => plan(x, w, { kernelShape: [3, 3], strides: [0, 1] }));
    throwsNaming(RangeError, 'options.bias', () => plan(x, w, { kernelShape: [3, 3], bias: new Int32Array(3) }));
    assert.throws(() => plan(x, w, { kernelShape: [3, 3], variant: 'no-such-variant' }), /RangeError: unknown variant no-such-variant/);
    throwsNaming(TypeError, 'options.variant', () => plan(x, w, { kernelShape: [3, 3], variant: 3 }));
    const ok = plan(x, w, { kernelShape: [3, 3], pads: [1, 1, 1, 1] });
    throwsNaming(RangeError, 'x', () => ok.run(new Uint8Array(49), new Int32Array(100)));
    throwsNaming(RangeError, 'out', () => ok.run(new Uint8Array(50), new Int32Array(99)));
    throwsNaming(RangeError, 'out', () => ok.run(new Uint8Array(50), new Uint8Array(100) as never));
  });
});
