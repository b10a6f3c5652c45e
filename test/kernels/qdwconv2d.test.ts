import assert from 'node:assert/strict';

import { refQdwconv2dOutput, refQdwconv2dSums } from '../../src/backends/reference/qdwconv2d.js';
import type { DwConv2dGeometry } from '../../src/ops/dwconv2d.js';
import { planQdwconv2d, type Qdwconv2dOptions } from '../../src/backends/cpu/qdwconv2d.js';
import { planQuantizedProduct } from '../../src/ops/quantized-output.js';
import { cpu, tensor, type Tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, randomInts, rng } from '../helpers.js';

type Shape = { n: number; c: number; m?: number; h: number; w: number; kh: number; kw: number; strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number] };

// Widths below, at and past the vector lengths (8 and 16 int32) with odd
// tails, stride 2 (the even/odd column split) and 3 (the portable builder),
// 3x3 and 5x5 (the compile-time tap counts) and other kernels, asymmetric
// pads and pads wider than the kernel (windows wholly in the padding),
// dilation, batches, channel multipliers (m output channels per channel), and
// a layer large enough to split across threads.
const SHAPES: Shape[] = [
  { n: 1, c: 1, h: 1, w: 1, kh: 1, kw: 1, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] },
  { n: 2, c: 3, h: 9, w: 7, kh: 3, kw: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { n: 1, c: 5, h: 17, w: 33, kh: 3, kw: 3, strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { n: 1, c: 4, h: 8, w: 5, kh: 3, kw: 3, strides: [1, 1], pads: [0, 1, 2, 0], dilations: [1, 1] },
  { n: 3, c: 2, h: 15, w: 15, kh: 5, kw: 5, strides: [1, 1], pads: [2, 2, 2, 2], dilations: [1, 1] },
  { n: 1, c: 3, h: 14, w: 19, kh: 5, kw: 5, strides: [2, 2], pads: [2, 2, 1, 2], dilations: [1, 1] },
  { n: 1, c: 2, h: 10, w: 12, kh: 3, kw: 3, strides: [1, 1], pads: [2, 2, 2, 2], dilations: [2, 2] },
  { n: 2, c: 2, h: 9, w: 11, kh: 2, kw: 4, strides: [3, 2], pads: [0, 3, 1, 0], dilations: [1, 1] },
  { n: 1, c: 2, h: 7, w: 23, kh: 3, kw: 3, strides: [1, 3], pads: [1, 1, 1, 1], dilations: [1, 2] },
  { n: 1, c: 1, h: 3, w: 3, kh: 3, kw: 3, strides: [1, 1], pads: [4, 4, 4, 4], dilations: [1, 1] },
  { n: 1, c: 6, h: 4, w: 40, kh: 7, kw: 1, strides: [1, 1], pads: [3, 0, 3, 0], dilations: [1, 1] },
  { n: 2, c: 3, m: 2, h: 11, w: 9, kh: 3, kw: 3, strides: [2, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  { n: 1, c: 32, h: 56, w: 56, kh: 3, kw: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
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

/** Weights in [-128, 127] with channel 0 all -128 and channel 1 (when there is one) all 127: the extremes. */
function weights(s: Shape, r: () => number): Int8Array {
  const w = randomInts(Int8Array, outChannels(s) * s.kh * s.kw, -128, 127, r);
  const taps = s.kh * s.kw;
  w.fill(-128, 0, taps);
  if (outChannels(s) > 1) w.fill(127, taps, 2 * taps);
  return w;
}

/** x with runs of 0 and 255 (the extremes against either zero point). */
function image(s: Shape, r: () => number): Uint8Array {
  const x = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
  for (let i = 0; i < x.length; i++) if (r() < 0.2) x[i] = r() < 0.5 ? 0 : 255;
  return x;
}

type Case = { output: 'int32' | 'uint8' | 'int8' | 'float32'; activation?: Qdwconv2dOptions['activation']; perChannel: boolean; bias: boolean };

const CASES: Case[] = [
  { output: 'int32', perChannel: false, bias: false },
  { output: 'int32', perChannel: true, bias: true },
  { output: 'uint8', perChannel: true, bias: true },
  { output: 'uint8', perChannel: false, bias: true, activation: { min: 0, max: 6 } },
  { output: 'int8', perChannel: true, bias: true, activation: 'relu' },
  { output: 'int8', perChannel: false, bias: false },
  { output: 'float32', perChannel: true, bias: true, activation: { min: -1, max: 2 } },
];

/** qdwconv2d of (s, zx, case) under `variant` against the reference, bit for bit. */
function check(s: Shape, xZeroPoint: number, k: Case, variant: string | undefined, seed: number): void {
  const r = rng(seed);
  const g = geometryOf(s);
  const x = image(s, r), wv = weights(s, r);
  const oc = outChannels(s);
  const scales = Float32Array.from({ length: oc }, () => 0.001 + 0.02 * r());
  const bias = k.bias ? randomInts(Int32Array, oc, -30000, 30000, r) : undefined;
  const xt = tensor('uint8', [s.n, s.c, s.h, s.w], x, { scale: 0.05, zeroPoint: xZeroPoint });
  const wt = tensor('int8', [oc, 1, s.kh, s.kw], wv, k.perChannel ? { scale: scales, axis: 0 } : { scale: scales[0] });
  const outZeroPoint = k.output === 'uint8' ? 100 : k.output === 'int8' ? -20 : undefined;
  const options: Qdwconv2dOptions = {
    strides: s.strides, pads: s.pads, dilations: s.dilations, output: k.output, bias, activation: k.activation, variant,
    ...(k.output === 'uint8' || k.output === 'int8' ? { outScale: 0.2, outZeroPoint } : {}),
  };
  const y = cpu.qdwconv2d(xt, wt, options);
  assert.deepEqual(y.dims, [s.n, oc, g.outH, g.outW]);
  assert.equal(y.type, k.output);
  // The oracle: exact int32 sums, then the output stage as every quantized product derives it.
  const plan = planQdwconv2d(xt, wt, { ...options, variant: undefined });
  const q = planQuantizedProduct('x', xt, { scales: k.perChannel ? scales : scales.subarray(0, 1) }, options, oc, 1);
  const want = new (y.data.constructor as new (n: number) => Tensor['data'])(y.data.length);
  refQdwconv2dOutput(refQdwconv2dSums(g, x, xZeroPoint, wv), g, want as Int32Array, {
    multipliers: q.mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
  });
  const what = `${variant ?? 'best'} ${JSON.stringify(s)} zx ${xZeroPoint} ${JSON.stringify(k)}`;
  assertSameArray(y.data, want, what);
  const again = new (y.data.constructor as new (n: number) => Tensor['data'])(y.data.length);
  plan.run(x, again as Int32Array);
  assertSameArray(again, want, `${what} (planned)`);
}

describe('qdwconv2d (int8 depthwise convolution)', () => {
  for (const variant of nativeVariants('qu8s8-dwconv2d')) {
    it(`${variant}: exactly the reference on every shape, zero point 0/128/255, int32/uint8/int8/float32 outputs, clamps`, () => {
      let seed = 1;
      for (const s of SHAPES)
        for (const zx of [0, 128, 255])
          for (const k of CASES) check(s, zx, k, variant, seed++);
    });
  }

  for (const limit of ['scalar', 'avx2'] as const) {
    it(`the best variant under the ISA cap '${limit}' equals the reference`, () => {
      cpu.setIsaLimit(limit);
      try {
        let seed = 100;
        for (const s of SHAPES) check(s, 128, CASES[seed % CASES.length], undefined, seed++);
      } finally {
        cpu.setIsaLimit('none');
      }
    });
  }

  it('an empty batch gives an empty result without running', () => {
    const y = cpu.qdwconv2d(tensor('uint8', [0, 2, 4, 4], new Uint8Array(0)), tensor('int8', [2, 1, 3, 3], new Int8Array(18), { scale: 1 }), { pads: [1, 1, 1, 1] });
    assert.deepEqual(y.dims, [0, 2, 4, 4]);
  });

  it('the async form gives the same result', async () => {
    const r = rng(7);
    const s = SHAPES[2];
    const xt = tensor('uint8', [s.n, s.c, s.h, s.w], image(s, r), { scale: 0.1, zeroPoint: 3 });
    const wt = tensor('int8', [s.c, 1, s.kh, s.kw], weights(s, r), { scale: 0.01 });
    const options: Qdwconv2dOptions = { strides: s.strides, pads: s.pads, output: 'uint8', outScale: 0.3, outZeroPoint: 7 };
    assertSameArray((await cpu.qdwconv2dAsync(xt, wt, options)).data, cpu.qdwconv2d(xt, wt, options).data, 'async');
  });

  it('bad arguments throw TypeError/RangeError naming them, before native code runs', () => {
    const x = tensor('uint8', [1, 2, 5, 5], new Uint8Array(50), { scale: 0.1, zeroPoint: 3 });
    const w = tensor('int8', [2, 1, 3, 3], new Int8Array(18), { scale: 0.5 });
    const throwsNaming = (error: typeof TypeError | typeof RangeError, name: string, run: () => unknown) =>
      assert.throws(run, (e: Error) => e instanceof error && e.message.startsWith(name), name);
    throwsNaming(TypeError, 'x', () => cpu.qdwconv2d(tensor('float32', [1, 2, 5, 5]) as never, w));
    throwsNaming(RangeError, 'w.dims', () => cpu.qdwconv2d(x, tensor('int8', [3, 1, 3, 3], new Int8Array(27), { scale: 1 })));
    throwsNaming(RangeError, 'w.dims', () => cpu.qdwconv2d(x, tensor('int8', [2, 1, 0, 3], new Int8Array(0), { scale: 1 })));
    throwsNaming(RangeError, 'w.dims', () => cpu.qdwconv2d(x, tensor('int8', [2, 2, 3, 3], new Int8Array(36), { scale: 1 })));
    throwsNaming(RangeError, 'w.zeroPoint', () => cpu.qdwconv2d(x, tensor('int8', [2, 1, 3, 3], new Int8Array(18), { scale: 1, zeroPoint: 2 })));
    throwsNaming(TypeError, 'w', () => cpu.qdwconv2d(x, tensor('uint8', [2, 1, 3, 3], new Uint8Array(18), { scale: 1 }) as never));
    throwsNaming(RangeError, 'options.strides[0]', () => cpu.qdwconv2d(x, w, { strides: [0, 1] }));
    throwsNaming(TypeError, 'options.pads', () => cpu.qdwconv2d(x, w, { pads: [1, 1] as never }));
    throwsNaming(RangeError, 'options.kernelShape', () => cpu.qdwconv2d(x, w, { dilations: [4, 1] }));
    throwsNaming(TypeError, 'options.outScale', () => cpu.qdwconv2d(x, w, { output: 'uint8' }));
    throwsNaming(RangeError, 'options.bias', () => cpu.qdwconv2d(x, w, { bias: new Int32Array(3) }));
    throwsNaming(TypeError, 'options.activation', () => cpu.qdwconv2d(x, w, { activation: 'relu' }));
    throwsNaming(RangeError, 'unknown variant', () => cpu.qdwconv2d(x, w, { variant: 'qu8s8-dwconv2d-nonesuch' }));
    throwsNaming(RangeError, 'options.out', () => cpu.qdwconv2d(x, w, { out: new Int32Array(3) }));
    throwsNaming(TypeError, 'options.out', () => cpu.qdwconv2d(x, w, { out: new Uint8Array(50) }));
  });
});
