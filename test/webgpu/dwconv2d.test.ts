import assert from 'node:assert/strict';

import { refDwconv2d } from '../../src/backends/reference/dwconv2d.js';
import { refGemm } from '../../src/backends/reference/gemm.js';
import { refIm2col } from '../../src/backends/reference/im2col.js';
import type { GpuDwconv2dOptions } from '../../src/backends/webgpu/dwconv2d.js';
import { tensor } from '../../src/index.js';
import { activationRange } from '../../src/ops/activation.js';
import { dwconv2dGeometry } from '../../src/ops/dwconv2d.js';
import { convGeometry } from '../../src/ops/im2col.js';
import { assertClose, randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/**
 * The reference conv: refIm2col's rows of each group times that group's
 * weights on refGemm (double sums, one rounding), back to NCHW.
 */
function referenceConv(xDims: number[], x: Float32Array, wDims: number[], w: Float32Array, options: GpuDwconv2dOptions): Float32Array {
  const [oc, cpg, kh, kw] = wDims;
  const g = convGeometry(xDims, { ...options, kernelShape: [kh, kw], group: options.group ?? xDims[1] });
  const rows = g.batch * g.outH * g.outW, k = cpg * kh * kw, ocpg = oc / g.groups;
  const col = new Float32Array(g.groups * rows * k);
  refIm2col(x, col, g, 0);
  const { min, max } = { min: -Infinity, max: Infinity, ...(typeof options.activation === 'object' ? options.activation : {}) };
  const y = new Float32Array(g.batch * oc * g.outH * g.outW);
  for (let gr = 0; gr < g.groups; gr++) {
    // B[k][j] = w[gr * ocpg + j][k]: the group's weights transposed.
    const b = new Float32Array(k * ocpg);
    for (let j = 0; j < ocpg; j++) for (let p = 0; p < k; p++) b[p * ocpg + j] = w[(gr * ocpg + j) * k + p];
    const bias = options.bias?.subarray(gr * ocpg, (gr + 1) * ocpg);
    const c = refGemm({ m: rows, n: ocpg, k, a: col.subarray(gr * rows * k, (gr + 1) * rows * k), b, bias, min, max });
    for (let r = 0; r < rows; r++) {
      const n = Math.floor(r / (g.outH * g.outW)), pixel = r % (g.outH * g.outW);
      for (let j = 0; j < ocpg; j++) y[(n * oc + gr * ocpg + j) * g.outH * g.outW + pixel] = c[r * ocpg + j];
    }
  }
  return y;
}

/**
 * [x dims, w dims, options] (group defaults to C): depthwise 3x3 and 5x5,
 * stride 2, asymmetric pads, dilation, channel multiplier, grouped.
 */
const CASES: [number[], number[], GpuDwconv2dOptions][] = [
  [[1, 8, 7, 7], [8, 1, 3, 3], { pads: [1, 1, 1, 1] }],
  [[2, 6, 9, 8], [6, 1, 3, 3], { strides: [2, 2], pads: [0, 1, 1, 0] }],
  [[1, 5, 11, 10], [5, 1, 5, 5], { strides: [2, 2], pads: [2, 2, 2, 2] }],
  [[1, 4, 6, 9], [4, 1, 5, 5], { pads: [2, 1, 0, 3] }],
  [[1, 3, 8, 8], [3, 1, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }],
  [[2, 3, 5, 6], [6, 1, 3, 2], { strides: [1, 2], pads: [1, 0, 1, 1] }],
  [[1, 12, 7, 5], [8, 3, 3, 3], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }],
  [[2, 6, 4, 4], [9, 2, 1, 1], { group: 3 }],
  [[1, 4, 1, 1], [4, 1, 3, 3], { pads: [1, 1, 1, 1] }],
];

describe('webgpu f32-dwconv2d-wgsl', () => {
  after(releaseGpu);

  it('equals the reference (im2col + gemm per group) for depthwise and grouped convs, with bias and clamp', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(711);
    for (const [xDims, wDims, rest] of CASES) {
      for (const fused of [false, true]) {
        const x = randomFloats(xDims.reduce((a, b) => a * b), r), w = randomFloats(wDims.reduce((a, b) => a * b), r);
        const options: GpuDwconv2dOptions = { ...rest };
        if (fused) Object.assign(options, { bias: randomFloats(wDims[0], r), activation: { min: Math.fround(-0.3), max: 6 } });
        const y = await gpu.dwconv2d(tensor('float32', xDims, x), tensor('float32', wDims, w), options);
        const got = await gpu.download(y);
        y.dispose();
        const g = convGeometry(xDims, { ...options, kernelShape: [wDims[2], wDims[3]], group: options.group ?? xDims[1] });
        assert.deepEqual(got.dims, [xDims[0], wDims[0], g.outH, g.outW]);
        const k = wDims[1] * wDims[2] * wDims[3];
        const what = `x [${xDims}] w [${wDims}] ${JSON.stringify(options)}`;
        assertClose(got.data, referenceConv(xDims, x, wDims, w, options), 1e-5, 1e-6 * (k + 1), what);
        if (wDims[1] === 1) {
          // Depthwise: also cpu.dwconv2d's oracle, on the same options.
          const want = new Float32Array(got.data.length);
          const { min, max } = activationRange('activation', options.activation);
          refDwconv2d(dwconv2dGeometry(xDims, wDims, options), x, w, options.bias, min, max, want);
          assertClose(got.data, want, 1e-5, 1e-6 * (k + 1), `${what} (refDwconv2d)`);
        }
      }
    }
  });

  it('chains on the GPU with weights uploaded once', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(712);
    const x = randomFloats(2 * 4 * 6 * 6, r), w = randomFloats(4 * 9, r);
    const weights = gpu.upload(tensor('float32', [4, 1, 3, 3], w));
    const options: GpuDwconv2dOptions = { pads: [1, 1, 1, 1] };
    const first = await gpu.dwconv2d(tensor('float32', [2, 4, 6, 6], x), weights, options);
    const second = await gpu.dwconv2d(first, weights, { ...options, strides: [2, 2] });
    const got = await gpu.download(second);
    [first, second, weights].forEach((t) => t.dispose());
    const once = referenceConv([2, 4, 6, 6], x, [4, 1, 3, 3], w, options);
    assertClose(got.data, referenceConv([2, 4, 6, 6], once, [4, 1, 3, 3], w, { ...options, strides: [2, 2] }), 1e-5, 1e-4, 'two convs');
  });

  it('rejects bad arguments, naming them', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [1, 4, 5, 5]);
    const w = tensor('float32', [4, 1, 3, 3]);
    const base: GpuDwconv2dOptions = { pads: [1, 1, 1, 1] };
    for (const [xv, wv, options, pattern] of [
      [x, tensor('float32', [4, 2, 3, 3]), base, /^RangeError: w\.dims \[4, 2, 3, 3\] must be \[OC, C \/ group = 1, KH, KW\]/],
      [x, tensor('float32', [4, 1, 0, 3]), base, /^RangeError: w\.dims \[4, 1, 0, 3\] have an empty kernel/],
      [x, tensor('float32', [6, 1, 3, 3]), base, /^RangeError: w\.dims .* a positive multiple of the 4 groups/],
      [x, tensor('float32', [4, 2, 3, 3]), { ...base, group: 3 }, /^RangeError: options\.group \(3\) must divide the 4 input channels/],
      [x, tensor('float32', [4, 1, 9, 9]), base, /^RangeError: options\.kernelShape \(dilated 9x9\) is larger than the padded input 7x7/],
      [x, w, { ...base, strides: [0, 1] }, /^RangeError: options\.strides\[0\] must be an integer/],
      [x, w, { ...base, bias: new Float32Array(3) }, /^RangeError: options\.bias must have N = 4 values/],
      [x, w, { ...base, activation: 'tanh' }, /^TypeError: options\.activation/],
      [tensor('int32', [1, 4, 5, 5]), w, base, /^TypeError: x must be a tensor of type 'float32'/],
      [x, tensor('float32', [4, 9]), base, /^RangeError: w\.dims must have 4 dimensions/],
    ] as [unknown, unknown, GpuDwconv2dOptions, RegExp][])
      await assert.rejects(gpu.dwconv2d(xv as typeof x, wv as typeof w, options), (e: Error) => pattern.test(`${e.name}: ${e.message}`), String(pattern));
  });
});
