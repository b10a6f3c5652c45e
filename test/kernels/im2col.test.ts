import assert from 'node:assert/strict';

import { refIm2col, refIm2colNhwc } from '../../src/backends/reference/im2col.js';
import { planIm2colNhwc } from '../../src/backends/cpu/im2col.js';
import { convGeometry } from '../../src/ops/im2col.js';
import { cpu, tensor } from '../../src/index.js';
import { nhwcWindowCases } from './nhwc-window-cases.js';
import { assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

describe('im2col', () => {
  for (const variant of nativeVariants('x32-im2col'))
    it(`${variant}: equals the reference for kernels, strides, dilations, asymmetric pads and groups`, () => {
      const r = rng(41);
      let cases = 0;
      for (const [n, c, h, w] of [[1, 1, 5, 5], [2, 3, 7, 6], [1, 16, 9, 11], [3, 4, 4, 4]])
        for (const [kh, kw] of [[1, 1], [3, 3], [5, 2]])
          for (const stride of [1, 2])
            for (const dilation of [1, 2])
              for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [2, 0, 1, 2]] as const)
                for (const group of c % 2 === 0 ? [1, 2] : [1]) {
                  const options = { kernelShape: [kh, kw] as const, strides: [stride, stride] as const, dilations: [dilation, 1] as const, pads, group };
                  let g;
                  try {
                    g = convGeometry([n, c, h, w], options);
                  } catch {
                    continue; // kernel larger than the padded input
                  }
                  const x = randomFloats(n * c * h * w, r);
                  const got = cpu.im2col(tensor('float32', [n, c, h, w], x), { ...options, variant });
                  const want = new Float32Array(got.data.length);
                  refIm2col(x, want, g, 0);
                  assertSameArray(got.data, want, `f32 ${JSON.stringify([n, c, h, w, options])}`);
                  const xq = randomInts(Uint8Array, n * c * h * w, 0, 255, r);
                  const gotq = cpu.im2col(tensor('uint8', [n, c, h, w], xq, { scale: 0.1, zeroPoint: 77 }), { ...options, variant });
                  const wantq = new Uint8Array(gotq.data.length);
                  refIm2col(xq, wantq, g, 77);
                  assertSameArray(gotq.data, wantq, `u8 ${JSON.stringify([n, c, h, w, options])}`);
                  cases++;
                }
      assert.ok(cases > 150, `only ${cases} cases ran`);
    });

  for (const variant of nativeVariants('x32-im2col'))
    it(`${variant}: NHWC rows equal the reference for kernels, strides, dilations, asymmetric pads and batches`, () => {
      const r = rng(43);
      let cases = 0;
      for (const { dims, options: window, geometry: g } of nhwcWindowCases([[1, 5, 5, 1], [2, 7, 6, 3], [1, 9, 11, 16], [3, 4, 4, 5]])) {
        const [n, h, w, c] = dims;
        const [kh, kw] = window.kernelShape;
        const options = { ...window, variant };
        const x = randomFloats(n * h * w * c, r);
        const plan = planIm2colNhwc({ type: 'float32', dims: [n, h, w, c] }, options);
        assert.deepEqual(plan.dims, [n * g.outH * g.outW, kh * kw * c]);
        const got = new Float32Array(plan.dims[0] * plan.dims[1]).fill(NaN);
        plan.run(x, got);
        const want = new Float32Array(got.length);
        refIm2colNhwc(x, want, g, 0);
        assertSameArray(got, want, `f32 ${JSON.stringify([n, h, w, c, options])}`);
        const xq = randomInts(Uint8Array, n * h * w * c, 0, 255, r);
        const gotq = new Uint8Array(got.length).fill(1);
        planIm2colNhwc({ type: 'uint8', dims: [n, h, w, c], scale: 0.1, zeroPoint: 77 }, options).run(xq, gotq);
        const wantq = new Uint8Array(gotq.length);
        refIm2colNhwc(xq, wantq, g, 77);
        assertSameArray(gotq, wantq, `u8 ${JSON.stringify([n, h, w, c, options])}`);
        cases++;
      }
      assert.ok(cases > 150, `only ${cases} cases ran`);
    });

  it('NHWC reference: the rows of the NCHW reference with each row\'s columns in (kh, kw, c) order', () => {
    // x [1, 2, 2, 2] NHWC: pixel (h, w) holds channels [10 * (2h + w), 10 * (2h + w) + 1]; 2x2 kernel, pad 1 bottom/right.
    const x = Float32Array.of(0, 1, 10, 11, 20, 21, 30, 31);
    const plan = planIm2colNhwc({ type: 'float32', dims: [1, 2, 2, 2] }, { kernelShape: [2, 2], pads: [0, 0, 1, 1] });
    const col = new Float32Array(4 * 8);
    plan.run(x, col);
    // Output pixel (1, 0) reads input pixels (1,0) (1,1), then (2,0) (2,1) in the padding.
    assert.deepEqual(Array.from(col.subarray(16, 24)), [20, 21, 30, 31, 0, 0, 0, 0]);
    // Output pixel (0, 1) reads input pixels (0,1), (0,2) in the padding, (1,1), (1,2) in the padding.
    assert.deepEqual(Array.from(col.subarray(8, 16)), [10, 11, 0, 0, 30, 31, 0, 0]);
  });

  it('NHWC plan: validates its shape and options once, then only the arrays', () => {
    const shape = { type: 'float32', dims: [1, 4, 4, 2] } as const;
    assert.throws(() => planIm2colNhwc(shape, { kernelShape: [3, 3], group: 2 }), /options\.group/);
    assert.throws(() => planIm2colNhwc({ type: 'float32', dims: [4, 4, 2] }, { kernelShape: [3, 3] }), /x/);
    assert.throws(() => planIm2colNhwc(shape, { kernelShape: [5, 5] }), /options\.kernelShape/);
    assert.throws(() => planIm2colNhwc({ type: 'uint8', dims: [1, 4, 4, 2] }, { kernelShape: [3, 3], padValue: 256 }), /options\.padValue/);
    const plan = planIm2colNhwc(shape, { kernelShape: [3, 3] });
    assert.throws(() => plan.run(new Float32Array(31), new Float32Array(72)), /x/);
    assert.throws(() => plan.run(new Float32Array(32), new Uint8Array(72) as unknown as Float32Array), /col/);
    const shared = new Float32Array(104);
    assert.throws(() => plan.run(shared.subarray(0, 32), shared.subarray(30, 102)), /col/);
  });

  it('turns a convolution into a GEMM', async () => {
    // 1 image, 2 channels 3x3, one 2x2 filter summing both channels, stride 1, no padding.
    const x = tensor('float32', [1, 2, 3, 3], Float32Array.from({ length: 18 }, (_, i) => i));
    const storage = new Float32Array(32);
    const col = await cpu.im2colAsync(x, { kernelShape: [2, 2], out: storage });
    assert.deepEqual(col.dims, [1, 4, 8]);
    assert.equal(col.data, storage);
    const out = cpu.gemm(tensor('float32', [4, 8], col.data as Float32Array), tensor('float32', [8, 1], new Float32Array(8).fill(1)));
    // Output pixel (0,0) sums x[0][0..1][0..1] and x[1][0..1][0..1] = (0+1+3+4) + (9+10+12+13).
    assert.deepEqual(Array.from(out.data), [52, 60, 76, 84]);
  });
});
