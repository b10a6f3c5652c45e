import assert from 'node:assert/strict';

import { refCol2imNhwc } from '../../src/backends/reference/col2im.js';
import { planIm2colNhwc } from '../../src/backends/cpu/im2col.js';
import { cpu, tensor } from '../../src/index.js';
import { nhwcWindowCases } from './nhwc-window-cases.js';
import { assertSameArray, nativeVariants, randomFloats, rng } from '../helpers.js';

describe('col2im', () => {
  for (const variant of nativeVariants('f32-col2im'))
    it(`${variant}: equals the reference bit for bit for kernels, strides, dilations, asymmetric pads, channels and batches`, () => {
      const r = rng(47);
      let cases = 0;
      // Channels across the vector widths: 1 (stems), 3, 8, 15, 16, 17, 33.
      for (const { dims, options: window, geometry: g } of nhwcWindowCases([[1, 5, 5, 1], [2, 7, 6, 3], [1, 9, 11, 16], [3, 4, 4, 5], [1, 6, 7, 8], [2, 5, 4, 15], [1, 4, 5, 17], [1, 3, 3, 33]])) {
        const [n, h, w, c] = dims;
        const [kh, kw] = window.kernelShape;
        const options = { ...window, variant };
        const plan = cpu.planCol2imNhwc([n, h, w, c], options);
        assert.deepEqual(plan.colDims, [n * g.outH * g.outW, kh * kw * c]);
        const col = randomFloats(plan.colDims[0] * plan.colDims[1], r);
        const got = new Float32Array(n * h * w * c).fill(NaN);
        plan.run(col, got);
        const want = new Float32Array(got.length);
        refCol2imNhwc(col, want, g);
        assertSameArray(got, want, JSON.stringify([n, h, w, c, options]));
        cases++;
      }
      assert.ok(cases > 300, `only ${cases} cases ran`);
    });

  it('is the adjoint of the NHWC im2col: <im2col(x), col> = <x, col2im(col)>', () => {
    const r = rng(53);
    for (const options of [
      { kernelShape: [3, 3] as const, pads: [1, 1, 1, 1] as const },
      { kernelShape: [3, 2] as const, strides: [2, 1] as const, dilations: [1, 2] as const, pads: [0, 1, 2, 0] as const },
    ]) {
      const dims = [2, 6, 5, 4];
      const x = randomFloats(2 * 6 * 5 * 4, r);
      const im2col = planIm2colNhwc({ type: 'float32', dims }, options);
      const rows = new Float32Array(im2col.dims[0] * im2col.dims[1]);
      im2col.run(x, rows);
      const col = randomFloats(rows.length, r);
      const back = cpu.col2imNhwc(tensor('float32', [...im2col.dims], col), { ...options, imageDims: dims });
      assert.deepEqual(back.dims, dims);
      let lhs = 0, rhs = 0;
      for (let i = 0; i < rows.length; i++) lhs += rows[i] * col[i];
      for (let i = 0; i < x.length; i++) rhs += x[i] * back.data[i];
      assert.ok(Math.abs(lhs - rhs) <= 1e-5 * Math.abs(lhs) + 1e-5, `${lhs} vs ${rhs}`);
    }
  });

  it('validates its shape and options once, then only the arrays', () => {
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4], { kernelShape: [3, 3] }), /imageDims/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, -2], { kernelShape: [3, 3] }), /imageDims\[3\]/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [5, 5] }), /options\.kernelShape/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [3, 3], strides: [0, 1] }), /options\.strides\[0\]/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [3, 3], pads: [1, 1] as never }), /options\.pads/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [3, 3], variant: 'f32-col2im-nope' }), /unknown variant/);
    assert.throws(() => cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [3, 3], variant: 7 as never }), TypeError);
    const plan = cpu.planCol2imNhwc([1, 4, 4, 2], { kernelShape: [3, 3] });
    assert.deepEqual(plan.colDims, [4, 18]);
    assert.throws(() => plan.run(new Float32Array(71), new Float32Array(32)), /col/);
    assert.throws(() => plan.run(new Float64Array(72) as never, new Float32Array(32)), /col/);
    assert.throws(() => plan.run(new Float32Array(72), new Float32Array(31)), /image/);
    const shared = new Float32Array(104);
    assert.throws(() => plan.run(shared.subarray(0, 72), shared.subarray(64, 96)), /image must not overlap col/);
    assert.throws(() => cpu.col2imNhwc(tensor('float32', [4, 17], new Float32Array(68)), { kernelShape: [3, 3], imageDims: [1, 4, 4, 2] }), /col\.dims/);
    assert.throws(() => cpu.col2imNhwc(tensor('float32', [4, 18], new Float32Array(72)), { kernelShape: [3, 3], imageDims: [1, 4, 4] }), /options\.imageDims/);
    assert.throws(() => cpu.col2imNhwc(tensor('float32', [4, 18], new Float32Array(72)), { kernelShape: [3, 3], imageDims: [1, 4, 4, 2], out: new Float32Array(3) }), /options\.out/);
  });

  it('empty images and windows that read only padding', () => {
    // A 1x1 image padded by 2: most taps fall in the padding and are dropped.
    const plan = cpu.planCol2imNhwc([1, 1, 1, 3], { kernelShape: [3, 3], pads: [2, 2, 2, 2] });
    const col = new Float32Array(plan.colDims[0] * plan.colDims[1]).fill(1);
    const image = new Float32Array(3).fill(NaN);
    plan.run(col, image);
    assert.deepEqual([...image], [9, 9, 9]); // each of the 9 outputs' windows holds the pixel once
    const empty = cpu.planCol2imNhwc([0, 4, 4, 2], { kernelShape: [3, 3] });
    assert.deepEqual(empty.colDims, [0, 18]);
    empty.run(new Float32Array(0), new Float32Array(0));
  });
});
