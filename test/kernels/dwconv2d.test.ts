import assert from 'node:assert/strict';

import { refDwconv2d } from '../../src/backends/reference/dwconv2d.js';
import type { Dwconv2dOptions } from '../../src/backends/cpu/dwconv2d.js';
import { dwconv2dGeometry } from '../../src/ops/dwconv2d.js';
import { activationRange } from '../../src/ops/activation.js';
import { native } from '../../src/native.js';
import { cpu, tensor } from '../../src/index.js';
import { assertClose, nativeVariants, randomFloats, rng } from '../helpers.js';

type Dims = [number, number, number, number];

/** One case: x dims, kernel, output channels per group, and the options besides bias/variant (options.group default: depthwise). */
interface Case {
  x: Dims;
  kernel: [number, number];
  multiplier?: number;
  options?: Dwconv2dOptions;
}

/** cpu.dwconv2d (with `variant`) against the reference, with and without a bias. */
function check(c: Case, variant: string | undefined, r: () => number): void {
  const [n, ch, h, w] = c.x;
  const m = c.multiplier ?? 1, group = c.options?.group ?? ch, oc = group * m, cg = ch / group;
  const x = tensor('float32', c.x, randomFloats(n * ch * h * w, r, 4));
  const wt = tensor('float32', [oc, cg, ...c.kernel], randomFloats(oc * cg * c.kernel[0] * c.kernel[1], r));
  for (const bias of [undefined, randomFloats(oc, r)]) {
    const options = { ...c.options, bias, variant };
    const got = cpu.dwconv2d(x, wt, options);
    const g = dwconv2dGeometry(c.x, wt.dims, options);
    assert.deepEqual(got.dims, [n, oc, g.outH, g.outW]);
    const { min, max } = activationRange('activation', options.activation);
    const want = new Float32Array(got.data.length);
    refDwconv2d(g, x.data, wt.data, bias, min, max, want);
    assertClose(got.data, want, 1e-5, 1e-5, `${variant ?? 'best'} ${JSON.stringify({ ...c, bias: bias !== undefined })}`);
  }
}

// The fast shapes (3x3 and 5x5 at stride_w 1 and 2) across widths below,
// at and above every vector length (1-41: every tail of 4, 8 and 16), odd
// widths, asymmetric pads, 1x1 maps, batches, and the shapes the variants
// leave to the portable plane (other kernels, stride 3, dilation).
function cases(): Case[] {
  const out: Case[] = [];
  const activations = [undefined, 'relu', { min: 0, max: 6 }, { min: -0.5, max: 0.25 }] as const;
  let i = 0;
  for (const k of [3, 5])
    for (const s of [1, 2])
      for (let w = 1; w <= 41; w += w < 20 ? 1 : 7) {
        const p = Math.floor(k / 2);
        const pads: [number, number, number, number] = i % 3 === 0 ? [p, p, p, p] : i % 3 === 1 ? [0, p, p + 1, 0] : [p, 0, 0, p + 1];
        if (w + pads[1] + pads[3] < k) pads[3] = k - w - pads[1];
        out.push({ x: [1 + (i % 2), 2 + (i % 3), 3 + (i % 5) + (k === 5 ? 2 : 0), w], kernel: [k, k], options: { strides: [s, s], pads, activation: activations[i++ % 4] } });
      }
  out.push(
    { x: [2, 3, 1, 1], kernel: [3, 3], options: { pads: [1, 1, 1, 1] } },
    { x: [1, 4, 1, 1], kernel: [5, 5], options: { pads: [2, 2, 2, 2], activation: 'relu' } },
    { x: [3, 5, 7, 7], kernel: [3, 3], options: { strides: [2, 2], pads: [1, 1, 1, 1], activation: { min: 0, max: 6 } } },
    { x: [2, 3, 14, 14], kernel: [5, 5], options: { strides: [2, 2], pads: [1, 2, 2, 1] } },
    { x: [1, 2, 9, 30], kernel: [3, 3], options: { strides: [2, 1], pads: [0, 1, 1, 1] } },
    { x: [1, 2, 9, 30], kernel: [3, 3], options: { strides: [1, 2], dilations: [2, 1], pads: [2, 1, 2, 1] } },
    { x: [2, 3, 6, 5], kernel: [3, 3], multiplier: 2, options: { pads: [1, 1, 1, 1] } },
    { x: [1, 2, 17, 19], kernel: [5, 5], multiplier: 3, options: { strides: [2, 2], pads: [2, 2, 2, 2], activation: 'relu' } },
    // The portable plane: other kernels, stride 3, dilation, 1x1.
    { x: [1, 3, 11, 13], kernel: [7, 7], options: { pads: [3, 3, 3, 3] } },
    { x: [2, 2, 9, 10], kernel: [3, 5], options: { pads: [1, 2, 1, 2] } },
    { x: [1, 3, 12, 16], kernel: [3, 3], options: { strides: [3, 3], pads: [1, 1, 1, 1] } },
    { x: [1, 2, 12, 16], kernel: [3, 3], options: { dilations: [2, 2], pads: [2, 2, 2, 2], activation: 'relu' } },
    { x: [2, 4, 5, 6], kernel: [1, 1], multiplier: 2, options: { strides: [2, 2] } },
    // Grouped: 2, 3 and 4 input channels per group, one or more outputs per group.
    { x: [2, 6, 9, 19], kernel: [3, 3], options: { group: 3, pads: [1, 1, 1, 1], activation: { min: 0, max: 6 } } },
    { x: [1, 6, 10, 23], kernel: [3, 3], multiplier: 2, options: { group: 2, strides: [2, 2], pads: [1, 0, 1, 1] } },
    { x: [1, 8, 8, 17], kernel: [5, 5], multiplier: 3, options: { group: 2, pads: [2, 2, 2, 2], activation: 'relu' } },
    { x: [1, 4, 6, 7], kernel: [2, 3], options: { group: 2, dilations: [2, 1], pads: [1, 1, 1, 1] } },
  );
  return out;
}

describe('dwconv2d (f32-dwconv2d)', () => {
  for (const variant of [...nativeVariants('f32-dwconv2d'), undefined])
    it(`${variant ?? 'the best variant'} equals the reference: 3x3/5x5 at strides 1 and 2, any width, pads, multiplier, clamps, and the portable shapes`, () => {
      const r = rng(41);
      for (const c of cases()) check(c, variant, r);
    });

  it('planDwconv2d runs the same as dwconv2d, checking only the lengths per run', () => {
    const r = rng(4);
    const x = tensor('float32', [2, 6, 9, 11], randomFloats(1188, r));
    const w = tensor('float32', [6, 2, 3, 3], randomFloats(108, r));
    const options = { group: 3, strides: [2, 1] as const, pads: [1, 1, 1, 1] as const, bias: randomFloats(6, r), activation: 'relu' as const };
    const plan = cpu.planDwconv2d(x, w, options);
    assert.deepEqual(plan.dims, [2, 6, 5, 11]);
    const y = new Float32Array(2 * 6 * 5 * 11);
    plan.run(x.data, y);
    assert.deepEqual(y, cpu.dwconv2d(x, w, options).data);
    assert.throws(() => plan.run(x.data.subarray(1), y), /^RangeError: x must be a Float32Array of 1188 elements/);
    assert.throws(() => plan.run(x.data, new Float32Array(3)), /^RangeError: y must be a Float32Array of 660 elements/);
    assert.throws(() => cpu.planDwconv2d({ type: 'float32', dims: [1, 5, 4, 4] }, w, options), /^RangeError: options\.group \(3\) must divide the 5 input channels/);
  });

  it('runs the same asynchronously', async () => {
    const r = rng(5);
    const x = tensor('float32', [2, 3, 10, 11], randomFloats(660, r));
    const w = tensor('float32', [3, 1, 3, 3], randomFloats(27, r));
    const options = { strides: [2, 2] as const, pads: [1, 1, 1, 1] as const, bias: randomFloats(3, r) };
    assert.deepEqual((await cpu.dwconv2dAsync(x, w, options)).data, cpu.dwconv2d(x, w, options).data);
  });

  it('writes into options.out, and gives empty results without running', () => {
    const r = rng(6);
    const x = tensor('float32', [1, 2, 4, 4], randomFloats(32, r));
    const w = tensor('float32', [2, 1, 3, 3], randomFloats(18, r));
    const out = new Float32Array(8);
    assert.equal(cpu.dwconv2d(x, w, { out }).data, out);
    assert.deepEqual(out, cpu.dwconv2d(x, w).data);
    assert.deepEqual(cpu.dwconv2d(tensor('float32', [0, 2, 4, 4]), w).dims, [0, 2, 2, 2]);
    assert.deepEqual(cpu.dwconv2d(tensor('float32', [1, 0, 4, 4]), tensor('float32', [0, 1, 3, 3])).dims, [1, 0, 2, 2]);
  });

  it('throws TypeError/RangeError naming the bad argument', () => {
    const x = tensor('float32', [1, 2, 4, 4]);
    const w = tensor('float32', [2, 1, 3, 3]);
    assert.throws(() => cpu.dwconv2d({ type: 'float32', dims: [1, 2, 4], data: new Float32Array(8) } as never, w), /^RangeError: x\.dims must have 4 dimensions/);
    assert.throws(() => cpu.dwconv2d(tensor('uint8', [1, 2, 4, 4]) as never, w), /^TypeError: x must be a tensor of type 'float32'/);
    assert.throws(() => cpu.dwconv2d(x, tensor('float32', [2, 2, 3, 3])), /^RangeError: w\.dims .* must be \[OC, C \/ group = 1, KH, KW\]/);
    assert.throws(() => cpu.dwconv2d(x, tensor('float32', [3, 1, 3, 3])), /^RangeError: w\.dims .* positive multiple of the 2 groups/);
    assert.throws(() => cpu.dwconv2d(x, w, { group: 0 }), /^RangeError: options\.group/);
    assert.throws(() => cpu.dwconv2d(x, w, { group: 3 }), /^RangeError: options\.group \(3\) must divide/);
    assert.throws(() => cpu.dwconv2d(x, tensor('float32', [2, 1, 0, 3])), /^RangeError: w\.dims .* empty kernel/);
    assert.throws(() => cpu.dwconv2d(x, tensor('float32', [2, 1, 5, 5])), /^RangeError: options\.kernelShape .* larger than the padded input/);
    assert.throws(() => cpu.dwconv2d(x, w, { strides: [0, 1] }), /^RangeError: options\.strides\[0\]/);
    assert.throws(() => cpu.dwconv2d(x, w, { pads: [1, 1, 1] as never }), /^TypeError: options\.pads/);
    assert.throws(() => cpu.dwconv2d(x, w, { dilations: [1, -1] }), /^RangeError: options\.dilations\[1\]/);
    assert.throws(() => cpu.dwconv2d(x, w, { bias: new Float32Array(3) }), /^RangeError: options\.bias must have N = 2 values/);
    assert.throws(() => cpu.dwconv2d(x, w, { bias: new Int32Array(2) as never }), /^TypeError: options\.bias/);
    assert.throws(() => cpu.dwconv2d(x, w, { activation: { min: 2, max: 1 } }), /^RangeError: options\.activation/);
    assert.throws(() => cpu.dwconv2d(x, w, { activation: 'gelu' as never }), /^TypeError: options\.activation/);
    assert.throws(() => cpu.dwconv2d(x, w, { out: new Float32Array(7) }), /^RangeError: options\.out must have 8 elements/);
    assert.throws(() => cpu.dwconv2d(x, w, { out: x.data.subarray(0, 8) }), /^RangeError: options\.out must not overlap x\.data/);
    assert.throws(() => cpu.dwconv2d(x, w, { variant: 'f32-dwconv2d-nope' }), /^RangeError: unknown variant f32-dwconv2d-nope/);
    assert.throws(() => cpu.dwconv2d(x, w, null as never), /^TypeError: options must be an object/);
  });

  it("the addon re-checks array lengths and sizes (a call that bypasses TypeScript's checks)", () => {
    const a = native()!;
    const valid = {
      variant: null, x: new Float32Array(32), w: new Float32Array(18), bias: null, y: new Float32Array(8), batch: 1, channels: 2,
      groupChannels: 1, multiplier: 1, height: 4, width: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0,
      padLeft: 0, outH: 2, outW: 2, min: -Infinity, max: Infinity, async: false,
    };
    assert.equal(a.f32Dwconv2d(valid), undefined);
    assert.throws(() => a.f32Dwconv2d({ ...valid, x: new Float32Array(31) }), /^RangeError: x has 31 elements, needs at least 32/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, w: new Float32Array(17) }), /^RangeError: w has 17 elements/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, y: new Float32Array(7) }), /^RangeError: y has 7 elements/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, bias: new Float32Array(1) }), /^RangeError: bias has 1 elements/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, strideW: 0 }), /^RangeError: kernel, strides and dilations must be >= 1/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, multiplier: 0 }), /^RangeError: multiplier must be >= 1/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, groupChannels: 3 }), /^RangeError: groupChannels must be >= 1 and divide channels/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, groupChannels: 2, multiplier: 2 }), /^RangeError: w has 18 elements, needs at least 36/);
    assert.throws(() => a.f32Dwconv2d({ ...valid, y: new Int32Array(8) as never }), /^TypeError: y must be a Float32Array/);
    // Windows far outside the input read zeros (the bias), never memory outside x.
    const y = new Float32Array(2 * 9 * 9);
    a.f32Dwconv2d({ ...valid, y, outH: 9, outW: 9, padTop: 5, padLeft: 7, strideH: 2, strideW: 2 });
    assert.ok(y.every((v) => Number.isFinite(v)));
  });
});
