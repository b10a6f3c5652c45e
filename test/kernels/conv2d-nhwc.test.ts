import assert from 'node:assert/strict';

import { refConv2dSums } from '../../src/backends/reference/conv2d.js';
import { packWeights } from '../../src/backends/cpu/pack.js';
import { activationRange } from '../../src/ops/activation.js';
import { convGeometry } from '../../src/ops/im2col.js';
import { cpu, tensor, type Conv2dNhwcOptions } from '../../src/index.js';
import { assertClose, nativeVariants, randomFloats, rng } from '../helpers.js';

/** Through the package's cpu facade, as users call it. */
const { planConv2dNhwc } = cpu;

/** One case: x dims [N, H, W, C], weights [OC, C, KH, KW] dims' OC and kernel, and the window and activation options. */
interface Case {
  x: [number, number, number, number];
  oc: number;
  kernel: [number, number];
  options?: Omit<Conv2dNhwcOptions, 'kernelShape' | 'bias' | 'variant' | 'channelsFirst'>;
}

/** W' [KH*KW*C, OC], rows (kh, kw, c), of ONNX weights [OC, C, KH, KW]. */
function gemmWeights(w: Float32Array, oc: number, c: number, taps: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < oc; o++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) out[(t * c + ch) * oc + o] = w[(o * c + ch) * taps + t];
  return out;
}

/** W' [C*KH*KW, OC], rows (c, kh, kw): ONNX weights [OC, C*KH*KW] transposed, what channelsFirst takes. */
function channelsFirstWeights(w: Float32Array, oc: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < oc; o++) for (let r = 0; r < k; r++) out[r * oc + o] = w[o * k + r];
  return out;
}

/** NHWC x [N, H, W, C] as NCHW. */
function toNchw(c: Case, x: Float32Array): Float32Array {
  const [n, h, wd, ch] = c.x;
  const nchw = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * wd; p++)
      for (let k = 0; k < ch; k++) nchw[(b * ch + k) * h * wd + p] = x[(b * h * wd + p) * ch + k];
  return nchw;
}

/** The NCHW reference's sums [N, OC, OH, OW] of the input as NCHW. */
function referenceSums(c: Case, nchw: Float32Array, w: Float32Array): Float64Array {
  const [n, h, wd, ch] = c.x;
  const g = convGeometry([n, ch, h, wd], { kernelShape: c.kernel, ...c.options });
  return refConv2dSums({ ...g, channels: ch, outChannels: c.oc }, nchw, 0, w);
}

/** The reference sums plus bias, clamped, in float32, transposed back to NHWC. */
function reference(c: Case, sums: Float64Array, bias: Float32Array | undefined): Float32Array {
  const [n, h, wd, ch] = c.x;
  const g = convGeometry([n, ch, h, wd], { kernelShape: c.kernel, ...c.options });
  const { min, max } = activationRange('activation', c.options?.activation);
  const plane = g.outH * g.outW;
  const y = new Float32Array(sums.length);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < c.oc; o++)
      for (let p = 0; p < plane; p++) {
        const v = Math.fround(sums[(b * c.oc + o) * plane + p] + (bias?.[o] ?? 0));
        y[(b * plane + p) * c.oc + o] = Math.min(max, Math.max(min, v));
      }
  return y;
}

/** c on `variant` against the reference, x NHWC, or NCHW with channelsFirst. */
function check(c: Case, variant: string | undefined, r: () => number, channelsFirst = false): void {
  const [n, h, wd, ch] = c.x;
  const taps = c.kernel[0] * c.kernel[1];
  const x = randomFloats(n * h * wd * ch, r, 2);
  const w = randomFloats(c.oc * ch * taps, r);
  const rows = channelsFirst ? channelsFirstWeights(w, c.oc, ch * taps) : gemmWeights(w, c.oc, ch, taps);
  const packed = packWeights(tensor('float32', [taps * ch, c.oc], rows));
  const nchw = toNchw(c, x);
  const sums = referenceSums(c, nchw, w);
  for (const bias of [undefined, randomFloats(c.oc, r)]) {
    const dims = channelsFirst ? [n, ch, h, wd] : c.x;
    const plan = planConv2dNhwc({ type: 'float32', dims }, packed, { kernelShape: c.kernel, ...c.options, bias, variant, channelsFirst });
    const want = reference(c, sums, bias);
    const got = new Float32Array(want.length).fill(NaN);
    plan.run(channelsFirst ? nchw : x, got);
    assertClose(got, want, 1e-4, 1e-4, `${variant ?? 'best'} ${JSON.stringify({ ...c, bias: bias !== undefined, channelsFirst })}`);
  }
  packed.dispose();
}

// The ResNet and MobileNet shapes (3x3 at strides 1 and 2, 1x1/2, the 7x7/2
// stem and the 3x3/2 stem on 3 channels); channel counts that make one K
// block per window row, two taps per block (C = 200) and one (C = 600, past
// the 512 values of K per call); output channels around the 16- and
// 32-column panels; rows of 1, 7 + 7 (14), 13 and 25 pixels; asymmetric
// pads, dilation, stride 3, a 3x5 kernel; windows wholly in the padding;
// each both gathered (K <= 512) and read in place, small maps in gathered K blocks.
function cases(): Case[] {
  const relu6 = { min: 0, max: 6 };
  return [
    { x: [1, 14, 14, 16], oc: 32, kernel: [3, 3], options: { pads: [1, 1, 1, 1], activation: 'relu' } },
    { x: [2, 7, 7, 33], oc: 17, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [1, 13, 25, 8], oc: 48, kernel: [3, 3], options: { strides: [2, 2], pads: [1, 1, 1, 1], activation: relu6 } },
    { x: [2, 14, 13, 7], oc: 15, kernel: [3, 3], options: { strides: [2, 2], pads: [0, 0, 1, 1] } },
    { x: [1, 9, 9, 200], oc: 40, kernel: [3, 3], options: { pads: [1, 1, 1, 1], activation: { min: -0.5, max: 0.5 } } },
    { x: [1, 5, 6, 600], oc: 33, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [2, 12, 12, 24], oc: 64, kernel: [1, 1], options: { strides: [2, 2] } },
    { x: [1, 23, 22, 3], oc: 16, kernel: [7, 7], options: { strides: [2, 2], pads: [3, 3, 3, 3], activation: 'relu' } },
    { x: [2, 16, 17, 3], oc: 32, kernel: [3, 3], options: { strides: [2, 2], pads: [1, 1, 1, 1], activation: relu6 } },
    { x: [1, 1, 1, 4], oc: 1, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [1, 2, 3, 5], oc: 18, kernel: [1, 1], options: { pads: [1, 2, 1, 0], activation: { min: 0.1, max: 6 } } },
    { x: [1, 11, 10, 9], oc: 20, kernel: [3, 3], options: { dilations: [2, 2], pads: [2, 2, 2, 2] } },
    { x: [2, 9, 12, 6], oc: 31, kernel: [3, 5], options: { strides: [3, 1], pads: [2, 1, 0, 2] } },
    { x: [1, 12, 16, 1], oc: 2, kernel: [3, 3], options: { strides: [3, 3], pads: [1, 1, 1, 1], dilations: [1, 2] } },
    { x: [1, 4, 4, 2], oc: 3, kernel: [5, 5], options: { pads: [4, 4, 4, 4] } },
    // More strips than one group of the driver's (its output tile kept in L2) on every variant, gathered and not.
    { x: [1, 100, 100, 2], oc: 4, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [1, 90, 40, 57], oc: 1, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    // Windows past 512 values of K, read in place (not gathered): strides, asymmetric pads, dilation,
    // windows wholly in the padding, border columns as column strips.
    { x: [2, 11, 9, 130], oc: 20, kernel: [3, 3], options: { strides: [2, 2], pads: [0, 1, 2, 1], activation: 'relu' } },
    { x: [1, 10, 12, 80], oc: 17, kernel: [3, 3], options: { dilations: [2, 2], pads: [2, 1, 2, 3] } },
    { x: [1, 3, 4, 40], oc: 5, kernel: [5, 5], options: { pads: [4, 4, 4, 4] } },
    { x: [1, 20, 9, 64], oc: 33, kernel: [3, 3], options: { pads: [1, 1, 1, 1], activation: { min: -1, max: 1 } } },
    // Maps too small for strips of MR/2 pixels (ResNet's 7x7 layer 4 at batch 1): gathered K blocks on
    // every variant, strips across rows and images, a first output row wholly in the padding (pad 3).
    { x: [2, 3, 3, 96], oc: 40, kernel: [3, 3], options: { pads: [3, 1, 1, 2], activation: 'relu' } },
    { x: [1, 7, 7, 60], oc: 33, kernel: [3, 3], options: { strides: [2, 2], pads: [1, 1, 1, 1] } },
    // More output channels than one task's 256 columns, both paths.
    { x: [1, 4, 5, 130], oc: 270, kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [1, 5, 3, 20], oc: 300, kernel: [3, 3], options: { strides: [2, 1], pads: [1, 1, 1, 1] } },
  ];
}

describe('conv2dNhwc (f32-conv2d-nhwc: the shifted GEMM on f32-gemm microkernels)', () => {
  for (const variant of [...nativeVariants('f32-gemm'), undefined])
    it(`${variant ?? 'the best variant'} equals the NCHW reference transposed: ResNet/MobileNet shapes, K blocks, panels, pads, strides, dilations`, () => {
      const r = rng(71);
      for (const c of cases()) check(c, variant, r);
    });

  for (const variant of [...nativeVariants('f32-gemm'), undefined])
    it(`${variant ?? 'the best variant'} reads NCHW x in place (channelsFirst: the model input's stem), the same shapes`, () => {
      const r = rng(72);
      for (const c of cases()) check(c, variant, r, true);
    });

  it('gives the same bits on 1 and 2 threads', () => {
    const r = rng(5);
    const x = randomFloats(2 * 30 * 30 * 24, r);
    const w = packWeights(tensor('float32', [216, 40], randomFloats(216 * 40, r)));
    const plan = planConv2dNhwc({ type: 'float32', dims: [2, 30, 30, 24] }, w, { kernelShape: [3, 3], pads: [1, 1, 1, 1], bias: randomFloats(40, r) });
    const threads = cpu.info().threads;
    const run = (n: number) => {
      cpu.setThreads(n);
      const y = new Float32Array(2 * 30 * 30 * 40);
      plan.run(x, y);
      return y;
    };
    try {
      assert.deepEqual(run(2), run(1));
    } finally {
      cpu.setThreads(threads);
      w.dispose();
    }
  });

  it('gives empty results without running, and zeros plus bias for C = 0', () => {
    const w = packWeights(tensor('float32', [18, 4], new Float32Array(72)));
    const empty = planConv2dNhwc({ type: 'float32', dims: [0, 4, 4, 2] }, w, { kernelShape: [3, 3] });
    assert.deepEqual(empty.dims, [0, 2, 2, 4]);
    empty.run(new Float32Array(0), new Float32Array(0));
    const none = planConv2dNhwc({ type: 'float32', dims: [1, 2, 2, 0] }, tensor('float32', [0, 3]), { kernelShape: [1, 1], bias: new Float32Array([1, 2, 3]) });
    const y = new Float32Array(12);
    none.run(new Float32Array(0), y);
    assert.deepEqual([...y], [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('throws TypeError/RangeError naming the bad argument', () => {
    const x = { type: 'float32', dims: [1, 4, 4, 2] } as const;
    const w = tensor('float32', [18, 3]);
    assert.throws(() => planConv2dNhwc({ type: 'float32', dims: [1, 4, 4] }, w, { kernelShape: [3, 3] }), /^RangeError: x\.dims must have 4 dimensions/);
    assert.throws(() => planConv2dNhwc(x, tensor('float32', [9, 3]), { kernelShape: [3, 3] }), /^RangeError: w has K = 9 rows but a has K = 18/);
    assert.throws(() => planConv2dNhwc(x, tensor('uint8', [18, 3]) as never, { kernelShape: [3, 3] }), /^TypeError: w must be a tensor of type 'float32'/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [5, 5] }), /^RangeError: options\.kernelShape .* larger than the padded input/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], strides: [0, 1] }), /^RangeError: options\.strides\[0\]/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], bias: new Float32Array(2) }), /^RangeError: options\.bias must have N = 3 values/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], activation: { min: 2, max: 1 } }), /^RangeError: options\.activation/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], variant: 'f32-gemm-nope' }), /^RangeError: unknown variant f32-gemm-nope/);
    assert.throws(() => planConv2dNhwc(x, w, null as never), /^TypeError: options must be an object/);
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], channelsFirst: 1 as never }), /^TypeError: options\.channelsFirst must be a boolean/);
    // Channels first, x [1, 4, 4, 2] is 4 channels of 4x2: 36 rows of W.
    assert.throws(() => planConv2dNhwc(x, w, { kernelShape: [3, 3], pads: [1, 1, 1, 1], channelsFirst: true }), /^RangeError: w has K = 18 rows but a has K = 36/);
    const plan = planConv2dNhwc(x, w, { kernelShape: [3, 3] });
    assert.throws(() => plan.run(new Float32Array(31), new Float32Array(12)), /^RangeError: x must be a Float32Array of 32 elements/);
    assert.throws(() => plan.run(new Float32Array(32), new Float32Array(11)), /^RangeError: y must be a Float32Array of 12 elements/);
  });
});
