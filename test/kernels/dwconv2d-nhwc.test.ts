import assert from 'node:assert/strict';

import { refDwconv2dNhwc } from '../../src/backends/reference/dwconv2d-nhwc.js';
import type { Dwconv2dNhwcOptions } from '../../src/backends/cpu/dwconv2d-nhwc.js';
import { dwconv2dGeometry } from '../../src/ops/dwconv2d.js';
import { resolveActivation } from '../../src/ops/activation.js';
import { refActivated } from '../../src/backends/reference/elementwise.js';
import { native } from '../../src/native.js';
import { cpu, tensor } from '../../src/index.js';
import { assertClose, nativeVariants, randomFloats, rng } from '../helpers.js';

/** One case: x dims [N, H, W, C], kernel, output channels per input channel, and the options besides bias/variant. */
interface Case {
  x: [number, number, number, number];
  kernel: [number, number];
  multiplier?: number;
  options?: Dwconv2dNhwcOptions;
}

/** The planned call (with `variant`) against the NCHW oracle with transposes around it, with and without a bias. */
function check(c: Case, variant: string | undefined, r: () => number): void {
  const [n, h, w, ch] = c.x;
  const m = c.multiplier ?? 1, oc = ch * m;
  const x = tensor('float32', c.x, randomFloats(n * h * w * ch, r, 4));
  const wt = tensor('float32', [oc, 1, ...c.kernel], randomFloats(oc * c.kernel[0] * c.kernel[1], r));
  for (const bias of [undefined, randomFloats(oc, r)]) {
    const options = { ...c.options, bias, variant };
    const plan = cpu.planDwconv2dNhwc(x, wt, options);
    const g = dwconv2dGeometry([n, ch, h, w], wt.dims, options);
    assert.deepEqual(plan.dims, [n, g.outH, g.outW, oc]);
    const got = new Float32Array(n * g.outH * g.outW * oc).fill(NaN);
    plan.run(x.data, got);
    const act = resolveActivation('activation', options.activation);
    const want = new Float32Array(got.length);
    refDwconv2dNhwc(g, x.data, wt.data, bias, -Infinity, Infinity, want);
    want.forEach((v, i) => { want[i] = refActivated(v, act); });
    assertClose(got, want, 1e-5, 1e-5, `${variant ?? 'best'} ${JSON.stringify({ ...c, bias: bias !== undefined })}`);
  }
}

// Channel counts below, at and around every vector width (4, 8, 16 lanes)
// and MobileNet's widest (960); 3x3 and 5x5 at strides 1 and 2 (the
// tiled paths) with pads 0-2, symmetric or not; multipliers 1 and 2;
// batch 2; maps of 1x1, 2x3 and 7x7, rows of 17-40 pixels; clamps, HardSwish and HardSigmoid
// (with and without a clamp after); and the shapes whose weights
// load per tap (dilation 2, 7x7, 3x5, stride 3, 1x1).
function cases(): Case[] {
  const out: Case[] = [];
  const activations = [undefined, 'relu', 'hardswish', { min: 0, max: 6 }, { kind: 'hardsigmoid', alpha: 0.25, beta: 0.4 }, { min: -0.5, max: 0.25 },
    { kind: 'hardswish', min: -0.2, max: 2 }] as const;
  const maps: [number, number][] = [[7, 7], [2, 3], [1, 1], [9, 6]];
  const padSets = (p: number): [number, number, number, number][] => [[p, p, p, p], [0, 0, 0, 0], [p, 0, 0, p], [0, p, p + 1, 1], [2, 1, 0, 2]];
  let i = 0;
  for (const channels of [1, 3, 7, 8, 9, 15, 16, 17, 33, 96])
    for (const k of [3, 5])
      for (const s of [1, 2]) {
        const [h, w] = maps[i % maps.length];
        const pads = padSets(Math.floor(k / 2))[i % 5];
        // The padded input must hold one window.
        if (h + pads[0] + pads[2] < k) pads[2] = k - h - pads[0];
        if (w + pads[1] + pads[3] < k) pads[3] = k - w - pads[1];
        out.push({ x: [1 + (i % 2), h, w, channels], kernel: [k, k], multiplier: 1 + (i % 3 === 2 ? 1 : 0), options: { strides: [s, s], pads, activation: activations[i++ % activations.length] } });
      }
  out.push(
    { x: [2, 7, 7, 960], kernel: [3, 3], options: { pads: [1, 1, 1, 1], activation: { min: 0, max: 6 } } },
    { x: [1, 14, 14, 960], kernel: [5, 5], options: { strides: [2, 2], pads: [1, 2, 2, 1] } },
    { x: [2, 12, 11, 17], kernel: [3, 3], options: { strides: [2, 1], pads: [0, 1, 1, 1] } },
    // Rows of 8-pixel tiles and every remainder (1-7), with edge tiles at both ends; channel pairs and a masked pair.
    ...[17, 18, 19, 20, 21, 22, 23, 24].map((w, i): Case => ({ x: [1, 4, w, [48, 40, 24, 33][i % 4]], kernel: [i % 2 ? 5 : 3, i % 2 ? 5 : 3],
      options: { strides: [1, 1 + (i >> 2)], pads: [1, 1 + (i % 3), 1, i % 2], activation: activations[i % activations.length] } })),
    { x: [1, 3, 40, 16], kernel: [3, 3], options: { pads: [0, 0, 0, 0] } },
    { x: [1, 9, 13, 24], kernel: [3, 3], multiplier: 2, options: { strides: [1, 2], pads: [2, 1, 2, 0], activation: 'relu' } },
    // Weights loaded per tap: dilation 2, other kernels, stride 3, 1x1.
    { x: [2, 12, 16, 19], kernel: [3, 3], options: { dilations: [2, 2], pads: [2, 2, 2, 2], activation: 'hardswish' } },
    { x: [1, 9, 10, 33], kernel: [3, 3], multiplier: 2, options: { dilations: [2, 1], pads: [1, 0, 2, 1] } },
    { x: [1, 11, 13, 16], kernel: [7, 7], options: { pads: [3, 3, 3, 3] } },
    { x: [2, 9, 10, 9], kernel: [3, 5], options: { pads: [1, 2, 1, 2] } },
    { x: [1, 12, 16, 8], kernel: [3, 3], options: { strides: [3, 3], pads: [1, 1, 1, 1] } },
    { x: [2, 5, 6, 15], kernel: [1, 1], multiplier: 2, options: { strides: [2, 2] } },
  );
  return out;
}

describe('dwconv2dNhwc (f32-dwconv2d-nhwc)', () => {
  for (const variant of [...nativeVariants('f32-dwconv2d-nhwc'), undefined])
    it(`${variant ?? 'the best variant'} equals the NCHW reference transposed: channels around every vector width, 3x3/5x5 at strides 1 and 2, pads, multipliers, tiny maps, and the per-tap shapes`, () => {
      const r = rng(43);
      for (const c of cases()) check(c, variant, r);
    });

  it('dwconv2dNhwc runs the plan once, into options.out when given; the plan keeps copies of w and bias', () => {
    const r = rng(7);
    const x = tensor('float32', [2, 9, 11, 6], randomFloats(1188, r));
    const w = tensor('float32', [12, 1, 3, 3], randomFloats(108, r));
    const options = { strides: [2, 1] as const, pads: [1, 1, 1, 1] as const, bias: randomFloats(12, r), activation: 'relu' as const };
    const plan = cpu.planDwconv2dNhwc(x, w, options);
    assert.deepEqual(plan.dims, [2, 5, 11, 12]);
    const y = new Float32Array(2 * 5 * 11 * 12);
    plan.run(x.data, y);
    const once = cpu.dwconv2dNhwc(x, w, options);
    assert.deepEqual(once.dims, [2, 5, 11, 12]);
    assert.deepEqual(once.data, y);
    const out = new Float32Array(y.length);
    assert.equal(cpu.dwconv2dNhwc(x, w, { ...options, out }).data, out);
    assert.deepEqual(out, y);
    w.data.fill(0);
    options.bias.fill(0);
    const again = new Float32Array(y.length);
    plan.run(x.data, again);
    assert.deepEqual(again, y);
  });

  it('gives empty results without running', () => {
    const w = tensor('float32', [2, 1, 3, 3]);
    assert.deepEqual(cpu.dwconv2dNhwc(tensor('float32', [0, 4, 4, 2]), w).dims, [0, 2, 2, 2]);
    assert.deepEqual(cpu.dwconv2dNhwc(tensor('float32', [1, 4, 4, 0]), tensor('float32', [0, 1, 3, 3])).dims, [1, 2, 2, 0]);
  });

  it('throws TypeError/RangeError naming the bad argument', () => {
    const x = tensor('float32', [1, 4, 4, 2]);
    const w = tensor('float32', [2, 1, 3, 3]);
    assert.throws(() => cpu.planDwconv2dNhwc({ type: 'float32', dims: [1, 4, 4] }, w), /^RangeError: x\.dims must have 4 dimensions/);
    assert.throws(() => cpu.planDwconv2dNhwc({ type: 'uint8', dims: [1, 4, 4, 2] } as never, w), /^TypeError: x must be a tensor of type 'float32'/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, tensor('uint8', [2, 1, 3, 3]) as never), /^TypeError: w must be a tensor of type 'float32'/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, tensor('float32', [2, 2, 3, 3])), /^RangeError: w\.dims .* must be \[OC, C \/ group = 1, KH, KW\]/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, tensor('float32', [3, 1, 3, 3])), /^RangeError: w\.dims .* positive multiple of the 2 groups/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, tensor('float32', [2, 1, 0, 3])), /^RangeError: w\.dims .* empty kernel/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, tensor('float32', [2, 1, 5, 5])), /^RangeError: options\.kernelShape .* larger than the padded input/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { strides: [0, 1] }), /^RangeError: options\.strides\[0\]/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { pads: [1, 1, 1] as never }), /^TypeError: options\.pads/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { dilations: [1, -1] }), /^RangeError: options\.dilations\[1\]/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { bias: new Float32Array(3) }), /^RangeError: options\.bias must have N = 2 values/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { bias: new Int32Array(2) as never }), /^TypeError: options\.bias/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { activation: { min: 2, max: 1 } }), /^RangeError: options\.activation/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { activation: 'gelu' as never }), /^TypeError: options\.activation/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { activation: { kind: 'gelu' } as never }), /^TypeError: options\.activation\.kind/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { activation: { kind: 'hardsigmoid', alpha: NaN } }), /^TypeError: options\.activation\.alpha/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { variant: 3 as never }), /^TypeError: options\.variant/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, { variant: 'f32-dwconv2d-nhwc-nope' }), /^RangeError: unknown variant f32-dwconv2d-nhwc-nope/);
    assert.throws(() => cpu.planDwconv2dNhwc(x, w, null as never), /^TypeError: options must be an object/);
    const plan = cpu.planDwconv2dNhwc(x, w);
    assert.throws(() => plan.run(new Float32Array(31), new Float32Array(8)), /^RangeError: x must be a Float32Array of 32 elements/);
    assert.throws(() => plan.run(new Float32Array(32), new Float32Array(9)), /^RangeError: y must be a Float32Array of 8 elements/);
    assert.throws(() => plan.run(new Int32Array(32) as never, new Float32Array(8)), /^RangeError: x must be a Float32Array/);
    const shared = new Float32Array(40);
    assert.throws(() => plan.run(shared.subarray(0, 32), shared.subarray(30, 38)), /^RangeError: y must not overlap x/);
    assert.throws(() => cpu.dwconv2dNhwc(tensor('float32', [1, 4, 4], new Float32Array(16)) as never, w), /^RangeError: x\.dims must have 4 dimensions/);
    assert.throws(() => cpu.dwconv2dNhwc(x, w, { out: new Float32Array(7) }), /^RangeError: options\.out must have 8 elements/);
    assert.throws(() => cpu.dwconv2dNhwc(x, w, { out: x.data.subarray(0, 8) }), /^RangeError: options\.out must not overlap x\.data/);
  });

  it("the addon re-checks sizes and the plan's array lengths (calls that bypass TypeScript's checks)", () => {
    const a = native()!;
    const valid = {
      variant: null, w: new Float32Array(18), bias: null, batch: 1, channels: 2, multiplier: 1, height: 4, width: 4, kernelH: 3, kernelW: 3,
      strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, outH: 2, outW: 2, post: 'none' as const, alpha: 0.2,
      beta: 0.5, min: -Infinity, max: Infinity,
    };
    const plan = a.planF32Dwconv2dNhwc(valid);
    assert.equal(a.runPlan(plan, new Float32Array(32), new Float32Array(8)), undefined);
    assert.throws(() => a.runPlan(plan, new Float32Array(31), new Float32Array(8)), /^RangeError: x has 31 elements, the plan needs 32/);
    assert.throws(() => a.runPlan(plan, new Float32Array(32), new Float32Array(7)), /^RangeError: y has 7 elements, the plan needs 8/);
    assert.throws(() => a.runPlan(plan, new Float32Array(32), new Int32Array(8)), /^TypeError: y must be a Float32Array/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, w: new Float32Array(17) }), /^RangeError: w has 17 elements/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, bias: new Float32Array(1) }), /^RangeError: bias has 1 elements/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, strideW: 0 }), /^RangeError: kernel, strides and dilations must be >= 1/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, multiplier: 0 }), /^RangeError: multiplier must be >= 1/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, multiplier: 2 }), /^RangeError: w has 18 elements, needs at least 36/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, variant: 'nope' }), /^RangeError: unknown variant nope/);
    assert.throws(() => a.planF32Dwconv2dNhwc({ ...valid, post: 'gelu' as never }), /^RangeError: post must be 'none', 'hardsigmoid' or 'hardswish'/);
    // Windows far outside the input read zeros (the bias), never memory outside x.
    const y = new Float32Array(9 * 9 * 2);
    a.runPlan(a.planF32Dwconv2dNhwc({ ...valid, outH: 9, outW: 9, padTop: 5, padLeft: 7, strideH: 2, strideW: 2 }), new Float32Array(32).fill(1), y);
    assert.ok(y.every((v) => Number.isFinite(v)));
  });
});
