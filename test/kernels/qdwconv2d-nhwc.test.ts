import assert from 'node:assert/strict';

import { refQdwconv2dNhwc } from '../../src/backends/reference/qdwconv2d.js';
import type { DwConv2dGeometry } from '../../src/ops/dwconv2d.js';
import type { Qdwconv2dNhwcOptions } from '../../src/backends/cpu/qdwconv2d-nhwc.js';
import { planQuantizedProduct } from '../../src/ops/quantized-output.js';
import { cpu, tensor, type Tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, rng } from '../helpers.js';
import { biasOf, imageOf, STAGE_CASES, weightsOf, type QuantizedCase } from './quantized-conv-cases.js';

type Shape = { n: number; c: number; m?: number; h: number; w: number; kh: number; kw: number; strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number] };

const shape = (c: number, h: number, w: number, k: number, stride: number, pads: Shape['pads'], more: Partial<Shape> = {}): Shape =>
  ({ n: 1, c, h, w, kh: k, kw: k, strides: [stride, stride], pads, dilations: [1, 1], ...more });

// Channel counts below, at and past the vector widths (8 and 16 on AVX2 and
// NEON, 32 on AVX-512, whose variant hands 16 or fewer to AVX2's, 64 and a
// last block of 32 for the AVX-512 VNNI stack rows, which take more than 16
// channels whose weights fit int8), 3x3 and 5x5 (the unrolled tap-pair counts and stack rows) and other
// kernels (odd tap counts get a zero tap), strides 1 and 2, asymmetric pads and pads wider than the kernel
// (windows wholly in the padding), dilation 2, batch 2, 1x1 and 2x2 maps,
// channel multipliers, and a layer large enough to split across threads.
const SHAPES: Shape[] = [
  shape(1, 5, 6, 3, 1, [1, 1, 1, 1]),
  shape(3, 7, 5, 3, 2, [1, 1, 1, 1], { n: 2 }),
  shape(15, 6, 6, 3, 1, [0, 1, 2, 0]),
  shape(16, 7, 7, 3, 1, [1, 1, 1, 1]),
  shape(17, 9, 8, 3, 2, [1, 0, 1, 2]),
  shape(31, 6, 7, 5, 1, [2, 2, 2, 2]),
  shape(32, 8, 8, 5, 2, [2, 2, 1, 2]),
  shape(33, 5, 9, 3, 1, [2, 2, 2, 2], { dilations: [2, 2] }),
  shape(96, 14, 14, 3, 2, [0, 0, 1, 1], { n: 2 }),
  shape(960, 7, 7, 3, 1, [1, 1, 1, 1]),
  shape(24, 1, 1, 3, 1, [1, 1, 1, 1]),
  shape(40, 2, 2, 5, 2, [2, 2, 2, 2]),
  shape(8, 3, 3, 3, 1, [4, 4, 4, 4]),
  shape(20, 1, 1, 1, 1, [0, 0, 0, 0]),
  { n: 1, c: 18, h: 9, w: 11, kh: 2, kw: 4, strides: [3, 2], pads: [0, 3, 1, 0], dilations: [1, 2] },
  { n: 2, c: 5, m: 3, h: 6, w: 5, kh: 3, kw: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  shape(48, 28, 28, 3, 1, [1, 1, 1, 1]),
  // Quad rows (weights that fit int8): 64-channel blocks with tails of 8 and 16, 5x5 (two groups of kernel rows),
  // 7x7 (no unrolled form), stride 2 on odd and even widths.
  shape(72, 9, 10, 5, 1, [2, 2, 2, 2]),
  shape(80, 9, 8, 5, 2, [2, 1, 2, 2]),
  shape(64, 13, 13, 3, 2, [1, 1, 1, 1]),
  shape(136, 9, 7, 7, 1, [3, 3, 3, 3]),
  // Row pairs (3-row kernels at vertical stride 1, two output rows per stack of 4 input rows): sliding 3x3s at
  // horizontal stride 1 and 2 with odd and even heights and a top pad of 2, and pairs that do not slide (a 3x5,
  // horizontal dilation 2).
  shape(72, 8, 9, 3, 1, [2, 1, 0, 1]),
  { n: 2, c: 40, h: 7, w: 9, kh: 3, kw: 3, strides: [1, 2], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { n: 1, c: 40, h: 6, w: 9, kh: 3, kw: 5, strides: [1, 2], pads: [1, 2, 1, 2], dilations: [1, 1] },
  { n: 1, c: 24, h: 5, w: 8, kh: 3, kw: 3, strides: [1, 1], pads: [1, 2, 1, 2], dilations: [1, 2] },
];

const outChannels = (s: Shape) => s.c * (s.m ?? 1);

function geometryOf(s: Shape): DwConv2dGeometry {
  const outH = Math.floor((s.h + s.pads[0] + s.pads[2] - s.dilations[0] * (s.kh - 1) - 1) / s.strides[0]) + 1;
  const outW = Math.floor((s.w + s.pads[1] + s.pads[3] - s.dilations[1] * (s.kw - 1) - 1) / s.strides[1]) + 1;
  return {
    batch: s.n, channels: s.c, groupChannels: 1, multiplier: s.m ?? 1, height: s.h, width: s.w, kernelH: s.kh, kernelW: s.kw, strideH: s.strides[0], strideW: s.strides[1],
    dilationH: s.dilations[0], dilationW: s.dilations[1], padTop: s.pads[0], padLeft: s.pads[1], outH, outW,
  };
}

// The shared stages, and three more on uint8 weights with zero point 128 (the byte dot-product stack rows).
const CASES: QuantizedCase[] = [
  ...STAGE_CASES,
  { output: 'uint8', perChannel: true, bias: 'extreme', weights: 'uint8 zero point 128' },
  { output: 'float32', perChannel: false, bias: 'none', weights: 'int8 symmetric' },
  { output: 'int8', perChannel: false, bias: 'small', activation: { min: -1, max: 1 }, weights: 'uint8 zero point 128' },
];

/** planQdwconv2dNhwc of (s, zx, case) under `variant` (undefined: the best under the ISA cap) against the NCHW reference, transposed. */
function check(s: Shape, xZeroPoint: number, k: QuantizedCase, variant: string | undefined, seed: number): void {
  const r = rng(seed);
  const g = geometryOf(s);
  const oc = outChannels(s), taps = s.kh * s.kw;
  const x = imageOf(s.n * s.h * s.w * s.c, r), w = weightsOf(k.weights, oc, taps, r);
  const scales = Float32Array.from({ length: oc }, () => 0.001 + 0.02 * r());
  const bias = biasOf(k, oc, r);
  const xt = { type: 'uint8' as const, dims: [s.n, s.h, s.w, s.c], scale: 0.05, zeroPoint: xZeroPoint };
  const perChannel = k.perChannel || typeof w.zeroPoint !== 'number';
  const quant = perChannel
    ? { scale: scales, axis: 0, zeroPoint: typeof w.zeroPoint === 'number' ? new Int32Array(oc).fill(w.zeroPoint) : w.zeroPoint }
    : { scale: scales[0], zeroPoint: w.zeroPoint };
  const wt: Tensor<'int8' | 'uint8'> = w.data instanceof Uint8Array ? tensor('uint8', [oc, 1, s.kh, s.kw], w.data, quant) : tensor('int8', [oc, 1, s.kh, s.kw], w.data, quant);
  const outZeroPoint = k.output === 'uint8' ? 100 : k.output === 'int8' ? -20 : undefined;
  const options: Qdwconv2dNhwcOptions = {
    strides: s.strides, pads: s.pads, dilations: s.dilations, output: k.output, bias, activation: k.activation, variant,
    ...(k.output === 'uint8' || k.output === 'int8' ? { outScale: 0.2, outZeroPoint } : {}),
  };
  const plan = cpu.planQdwconv2dNhwc(xt, wt, options);
  assert.deepEqual(plan.result.dims, [s.n, g.outH, g.outW, oc]);
  assert.equal(plan.result.type, k.output);
  const Out = { int32: Int32Array, uint8: Uint8Array, int8: Int8Array, float32: Float32Array }[k.output];
  const y = new Out(s.n * g.outH * g.outW * oc);
  plan.run(x, y as never);
  // The oracle: the NCHW reference on the transposed image, weights less their zero points, the output stage as every quantized product derives it.
  const zeroPointOf = (c: number) => (typeof w.zeroPoint === 'number' ? w.zeroPoint : w.zeroPoint[c]);
  const off = Int16Array.from(w.data, (v, i) => v - zeroPointOf(Math.floor(i / taps)));
  const q = planQuantizedProduct('x', xt, { scales: perChannel ? scales : scales.subarray(0, 1) }, options, oc, 3);
  const want = new Out(y.length);
  refQdwconv2dNhwc(g, x, xZeroPoint, off, want, {
    multipliers: q.mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
  });
  assertSameArray(y, want, `${variant ?? 'best'} ${JSON.stringify(s)} zx ${xZeroPoint} ${JSON.stringify(k)}`);
}

describe('planQdwconv2dNhwc (int8 channels-last depthwise convolution)', () => {
  for (const variant of nativeVariants('qu8s8-dwconv2d-nhwc')) {
    it(`${variant}: exactly the NCHW reference transposed, every shape, zero point 0/128/255, weight zero points, int32/uint8/int8/float32 outputs`, () => {
      let seed = 1;
      for (const s of SHAPES)
        for (const zx of [0, 128, 255])
          for (let i = 0; i < 3; i++, seed++) check(s, zx, CASES[seed % CASES.length], variant, seed);
    });
  }

  for (const limit of ['scalar', 'avx2', 'avx512'] as const) {
    it(`the best variant under the ISA cap '${limit}' equals the reference`, () => {
      cpu.setIsaLimit(limit);
      try {
        let seed = 500;
        for (const s of SHAPES) check(s, 128, CASES[seed % CASES.length], undefined, seed++);
      } finally {
        cpu.setIsaLimit('none');
      }
    });
  }

  it('an empty batch plans an empty result and runs nothing', () => {
    const plan = cpu.planQdwconv2dNhwc({ type: 'uint8', dims: [0, 4, 4, 2] }, tensor('int8', [2, 1, 3, 3], new Int8Array(18), { scale: 1 }), { pads: [1, 1, 1, 1] });
    assert.deepEqual(plan.result.dims, [0, 4, 4, 2]);
    plan.run(new Uint8Array(0), new Int32Array(0));
  });

  it('bad arguments throw TypeError/RangeError naming them, before native code runs', () => {
    const x = { type: 'uint8' as const, dims: [1, 5, 5, 2], scale: 0.1, zeroPoint: 3 };
    const w = tensor('int8', [2, 1, 3, 3], new Int8Array(18), { scale: 0.5 });
    const throwsNaming = (error: typeof TypeError | typeof RangeError, name: string, run: () => unknown) =>
      assert.throws(run, (e: Error) => e instanceof error && e.message.startsWith(name), name);
    const plan = (xIn: unknown, wIn: unknown, options?: Qdwconv2dNhwcOptions) => cpu.planQdwconv2dNhwc(xIn as never, wIn as never, options);
    throwsNaming(TypeError, 'x', () => plan({ type: 'float32', dims: [1, 5, 5, 2] }, w));
    throwsNaming(RangeError, 'x', () => plan({ type: 'uint8', dims: [5, 5, 2] }, w));
    throwsNaming(RangeError, 'w.dims', () => plan(x, tensor('int8', [3, 1, 3, 3], new Int8Array(27), { scale: 1 })));
    throwsNaming(RangeError, 'w.dims', () => plan(x, tensor('int8', [2, 2, 3, 3], new Int8Array(36), { scale: 1 })));
    throwsNaming(TypeError, 'w', () => plan(x, tensor('float32', [2, 1, 3, 3])));
    throwsNaming(RangeError, 'w.zeroPoint', () => plan(x, { ...w, zeroPoint: 200 }));
    throwsNaming(TypeError, 'w.axis', () => plan(x, { ...w, scale: Float32Array.of(1), axis: 1 }));
    throwsNaming(RangeError, 'options.strides[0]', () => plan(x, w, { strides: [0, 1] }));
    throwsNaming(TypeError, 'options.pads', () => plan(x, w, { pads: [1, 1] as never }));
    throwsNaming(TypeError, 'options.outScale', () => plan(x, w, { output: 'uint8' }));
    throwsNaming(RangeError, 'options.bias', () => plan(x, w, { bias: new Int32Array(3) }));
    throwsNaming(RangeError, 'unknown variant', () => plan(x, w, { variant: 'qu8s8-dwconv2d-nhwc-nonesuch' }));
    const planned = plan(x, w, { pads: [1, 1, 1, 1] });
    throwsNaming(RangeError, 'x', () => planned.run(new Uint8Array(49), new Int32Array(50)));
    throwsNaming(RangeError, 'out', () => planned.run(new Uint8Array(50), new Int32Array(49)));
    throwsNaming(RangeError, 'out', () => planned.run(new Uint8Array(50), new Uint8Array(50) as never));
    const shared = new Int32Array(50);
    throwsNaming(RangeError, 'out', () => planned.run(new Uint8Array(shared.buffer, 0, 50), shared));
  });
});
