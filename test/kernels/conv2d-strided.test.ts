/**
 * conv2d's strided and pointwise convolutions on f32-conv2d (dense): strided
 * ones read the image's phase planes (kernels/shifted-conv/shifted-conv.h),
 * unpadded stride-1 float ones read the input where it lies, the last
 * image's last vector from a gathered tail. Every variant against the
 * reference, exact for uint8 x int8.
 */
import assert from 'node:assert/strict';

import { refConv2dSums } from '../../src/backends/reference/conv2d.js';
import { packConvWeights, type Conv2dOptions } from '../../src/backends/cpu/conv2d.js';
import { cpu, tensor } from '../../src/index.js';
import { assertClose, assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

type Shape = { n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number; pads: [number, number, number, number]; strides: [number, number] };

// The mobile and ResNet strided layers in small (a 3x3/2 first layer, a 1x1/2
// downsample, a 7x7/2 stem), a kernel as wide as the stride, stride 3 (9
// phases), unequal strides, and maps small enough for the compact layout.
const STRIDED: Shape[] = [
  { n: 2, c: 3, h: 15, w: 16, oc: 7, kh: 3, kw: 3, pads: [1, 1, 1, 1], strides: [2, 2] },
  { n: 1, c: 4, h: 9, w: 9, oc: 13, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [2, 2] },
  { n: 2, c: 3, h: 23, w: 21, oc: 6, kh: 7, kw: 7, pads: [3, 3, 3, 3], strides: [2, 2] },
  { n: 1, c: 3, h: 6, w: 8, oc: 4, kh: 2, kw: 2, pads: [0, 0, 0, 0], strides: [2, 2] },
  { n: 3, c: 2, h: 11, w: 10, oc: 5, kh: 3, kw: 3, pads: [1, 1, 0, 0], strides: [3, 3] },
  { n: 1, c: 5, h: 10, w: 7, oc: 9, kh: 3, kw: 3, pads: [0, 1, 1, 0], strides: [2, 1] },
  { n: 4, c: 2, h: 5, w: 5, oc: 3, kh: 3, kw: 3, pads: [1, 1, 1, 1], strides: [2, 2] },
];

// Pointwise stride-1 maps of 1, 2 and 4 vectors (several images per kernel
// call, the last one split), 49 and 51 positions (a partial last vector) and
// one position (compact).
const POINTWISE: Shape[] = [
  { n: 3, c: 5, h: 4, w: 4, oc: 7, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
  { n: 5, c: 3, h: 5, w: 6, oc: 8, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
  { n: 2, c: 7, h: 7, w: 7, oc: 13, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
  { n: 1, c: 16, h: 17, w: 3, oc: 6, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
  { n: 2, c: 4, h: 8, w: 8, oc: 5, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
  { n: 2, c: 3, h: 1, w: 1, oc: 4, kh: 1, kw: 1, pads: [0, 0, 0, 0], strides: [1, 1] },
];

const outSize = (s: Shape) => [0, 1].map((a) => Math.floor(([s.h, s.w][a] + s.pads[a] + s.pads[a + 2] - [s.kh, s.kw][a]) / s.strides[a]) + 1);

function geometry(s: Shape) {
  const [outH, outW] = outSize(s);
  return { batch: s.n, channels: s.c, height: s.h, width: s.w, outChannels: s.oc, kernelH: s.kh, kernelW: s.kw, dilationH: 1, dilationW: 1,
    strideH: s.strides[0], strideW: s.strides[1], padTop: s.pads[0], padLeft: s.pads[1], outH, outW };
}

/** sums [N*OC planes of oh x ow] max-pooled 2x2/2 (unpadded windows, floor rounding). */
function pool2x2(sums: ArrayLike<number>, planes: number, oh: number, ow: number): Int32Array {
  const ph = Math.floor(oh / 2), pw = Math.floor(ow / 2);
  const out = new Int32Array(planes * ph * pw);
  for (let p = 0, o = 0; p < planes; p++)
    for (let i = 0; i < ph; i++)
      for (let j = 0; j < pw; j++, o++)
        out[o] = Math.max(sums[(p * oh + 2 * i) * ow + 2 * j], sums[(p * oh + 2 * i) * ow + 2 * j + 1], sums[(p * oh + 2 * i + 1) * ow + 2 * j], sums[(p * oh + 2 * i + 1) * ow + 2 * j + 1]);
  return out;
}

describe('conv2d: strided and pointwise convolutions on f32-conv2d', () => {
  for (const variant of nativeVariants('f32-conv2d')) {
    it(`${variant}: float32 equals the reference on strided and pointwise shapes, with bias and clamp`, () => {
      const r = rng(41);
      for (const s of [...STRIDED, ...POINTWISE]) {
        const x = randomFloats(s.n * s.c * s.h * s.w, r, 2);
        const wv = randomFloats(s.oc * s.c * s.kh * s.kw, r);
        const bias = randomFloats(s.oc, r);
        const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], wv));
        const options: Conv2dOptions = { pads: s.pads, strides: s.strides, bias, activation: { min: -0.5, max: 3 }, variant };
        const y = cpu.conv2d(tensor('float32', [s.n, s.c, s.h, s.w], x), w, options);
        const [oh, ow] = outSize(s);
        assert.deepEqual(y.dims, [s.n, s.oc, oh, ow]);
        const want = Float32Array.from(refConv2dSums(geometry(s), x, 0, wv), (v, i) => Math.min(Math.max(v + bias[Math.floor(i / (oh * ow)) % s.oc], -0.5), 3));
        assertClose(y.data, want, 1e-5, 1e-5, `${variant} ${JSON.stringify(s)}`);
      }
    });

    it(`${variant}: uint8 x int8 gives exact int32 sums, pooled or not, and uint8 output through the same sums`, () => {
      const r = rng(42);
      for (const s of [...STRIDED, ...POINTWISE]) {
        const wq = randomInts(Int8Array, s.oc * s.c * s.kh * s.kw, -127, 127, r);
        const w = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], wq, { scale: 0.004 }));
        const zeroPoint = [0, 77, 255][Math.floor(r() * 3)];
        const xq = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
        const x = tensor('uint8', [s.n, s.c, s.h, s.w], xq, { scale: 0.02, zeroPoint });
        const [oh, ow] = outSize(s);
        const sums = refConv2dSums(geometry(s), xq, zeroPoint, Float32Array.from(wq));
        const base = { pads: s.pads, strides: s.strides, variant };
        const int32 = cpu.conv2d(x, w, { ...base, output: 'int32' });
        assertSameArray(int32.data, Int32Array.from(sums), `${variant} int32 ${JSON.stringify(s)}`);
        if (oh >= 2 && ow >= 2) {
          const pooled = cpu.conv2d(x, w, { ...base, output: 'int32', pool: { kernelShape: [2, 2], strides: [2, 2] } });
          assertSameArray(pooled.data, pool2x2(sums, s.n * s.oc, oh, ow), `${variant} pooled int32 ${JSON.stringify(s)}`);
        }
        const y = cpu.conv2d(x, w, { ...base, output: 'uint8', outScale: 0.05, outZeroPoint: 100 });
        const viaInt32 = cpu.requantize(tensor('int32', [s.n * s.oc, oh * ow], int32.data as Int32Array, { scale: 0.02 * 0.004 }), { type: 'uint8', scale: 0.05, zeroPoint: 100 });
        assertSameArray(y.data, viaInt32.data, `${variant} uint8 ${JSON.stringify(s)}`);
      }
    });
  }

  for (const variant of nativeVariants('qu8s8-conv2d'))
    it(`${variant}: strided uint8 x int8 blocks give exact int32 sums, pooled or not, and the float kernel's uint8 output`, () => {
      const r = rng(44);
      for (const s of STRIDED)
        for (const density of [0.3, 1]) {
          const wq = randomInts(Int8Array, s.oc * s.c * s.kh * s.kw, -128, 127, r).map((v) => (r() < density ? v : 0));
          const source = tensor('int8', [s.oc, s.c, s.kh, s.kw], wq, { scale: 0.003 });
          const w = packConvWeights(source, { sparse: true, blockRows: 4 });
          const zeroPoint = [0, 77, 255][Math.floor(r() * 3)];
          const xq = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
          const x = tensor('uint8', [s.n, s.c, s.h, s.w], xq, { scale: 0.02, zeroPoint });
          const [oh, ow] = outSize(s);
          const sums = refConv2dSums(geometry(s), xq, zeroPoint, Float32Array.from(wq));
          const base = { pads: s.pads, strides: s.strides, variant };
          const what = `${variant} ${JSON.stringify(s)} density ${density}`;
          assertSameArray(cpu.conv2d(x, w, { ...base, output: 'int32' }).data, Int32Array.from(sums), `int32 ${what}`);
          if (oh >= 2 && ow >= 2) {
            const pooled = cpu.conv2d(x, w, { ...base, output: 'int32', pool: { kernelShape: [2, 2], strides: [2, 2] } });
            assertSameArray(pooled.data, pool2x2(sums, s.n * s.oc, oh, ow), `pooled int32 ${what}`);
          }
          const q = { pads: s.pads, strides: s.strides, output: 'int8' as const, outScale: 0.05, outZeroPoint: -3, activation: 'relu' as const };
          const dense = packConvWeights(source);
          assertSameArray(cpu.conv2d(x, w, { ...q, variant }).data, cpu.conv2d(x, dense, { ...q, variant: nativeVariants('f32-conv2d')[0] }).data, `int8 ${what}`);
        }
    });

  for (const variant of nativeVariants('f32-spconv2d'))
    it(`${variant}: strided pruned weights (CSR, [4 x 1] blocks) equal the reference, float32 with bias and clamp, uint8 exactly, Inf and NaN as the dense kernel's`, () => {
      const r = rng(45);
      for (const s of STRIDED)
        for (const blockRows of [1, 4] as const) {
          const wv = randomFloats(s.oc * s.c * s.kh * s.kw, r).map((v) => (r() < 0.3 ? v : 0));
          const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], wv), { sparse: true, blockRows });
          const what = `${variant} ${JSON.stringify(s)} blocks of ${blockRows}`;
          const x = randomFloats(s.n * s.c * s.h * s.w, r, 2);
          const bias = randomFloats(s.oc, r);
          const [oh, ow] = outSize(s);
          const y = cpu.conv2d(tensor('float32', [s.n, s.c, s.h, s.w], x), w, { pads: s.pads, strides: s.strides, bias, activation: { min: -0.5, max: 3 }, variant });
          const want = Float32Array.from(refConv2dSums(geometry(s), x, 0, wv), (v, i) => Math.min(Math.max(v + bias[Math.floor(i / (oh * ow)) % s.oc], -0.5), 3));
          assertClose(y.data, want, 1e-5, 1e-5, `float32 ${what}`);
          // An Inf and a NaN: every output whose window holds them is NaN, as the dense product's 0 x Inf is.
          x[1] = Infinity;
          x[x.length - 2] = NaN;
          const dense = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], wv));
          const xt = tensor('float32', [s.n, s.c, s.h, s.w], x);
          const nans = (y: { data: ArrayLike<number> }) => Array.from(y.data, (v) => Number.isNaN(v));
          assert.deepEqual(nans(cpu.conv2d(xt, w, { pads: s.pads, strides: s.strides, variant })), nans(cpu.conv2d(xt, dense, { pads: s.pads, strides: s.strides })), `NaNs ${what}`);
          const xq = randomInts(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r);
          const wq = Float32Array.from(wv, (v) => Math.round(v * 100));
          const zeroPoint = [0, 77, 255][Math.floor(r() * 3)];
          const wint = packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], Int8Array.from(wq), { scale: 0.01 }), { sparse: true, blockRows });
          const sums = cpu.conv2d(tensor('uint8', [s.n, s.c, s.h, s.w], xq, { scale: 0.02, zeroPoint }), wint, { pads: s.pads, strides: s.strides, output: 'int32', variant });
          assertSameArray(sums.data, Int32Array.from(refConv2dSums(geometry(s), xq, zeroPoint, wq)), `int32 ${what}`);
        }
    });

  it('every variant gives the same float32 bits on strided and pointwise shapes (same tap order, fused multiply-adds)', () => {
    const r = rng(43);
    for (const s of [STRIDED[0], STRIDED[2], POINTWISE[0], POINTWISE[2]]) {
      const w = packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], randomFloats(s.oc * s.c * s.kh * s.kw, r)));
      const x = tensor('float32', [s.n, s.c, s.h, s.w], randomFloats(s.n * s.c * s.h * s.w, r));
      const variants = nativeVariants('f32-conv2d');
      const results = variants.map((variant) => cpu.conv2d(x, w, { pads: s.pads, strides: s.strides, variant }).data);
      for (const other of results.slice(1)) assertSameArray(other, results[0], `${variants.join(' vs ')} ${JSON.stringify(s)}`);
    }
  });

  it('takes strides above 1 without dilation only, naming the argument', () => {
    const x = tensor('float32', [1, 2, 6, 6], new Float32Array(72));
    const sparse = packConvWeights(tensor('float32', [4, 2, 3, 3], new Float32Array(72).fill(1)), { sparse: true });
    assert.throws(() => cpu.conv2d(x, sparse, { strides: [2, 1], dilations: [1, 2] }), /^RangeError: options.dilations must be 1 with options.strides above 1/);
    const dense = packConvWeights(tensor('float32', [4, 2, 3, 3], new Float32Array(72).fill(1)));
    assert.throws(() => cpu.conv2d(x, dense, { strides: [2, 1], dilations: [1, 2] }), /^RangeError: options.dilations must be 1 with options.strides above 1/);
    assert.throws(() => cpu.conv2d(x, dense, { strides: [0, 1] }), /^RangeError: options.strides\[0\]/);
    assert.deepEqual(cpu.conv2d(x, dense, { strides: [2, 3] }).dims, [1, 4, 2, 2]);
  });
});
