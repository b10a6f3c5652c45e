/**
 * Float32 depthwise Conv nodes moved to NHWC (sparq_layout = NHWC, run on
 * f32-dwconv2d-nhwc) against the same node run NCHW (f32-dwconv2d), the
 * oracle: the NHWC result is the NCHW one transposed, within 1e-5 of the
 * output's largest magnitude. Plus `nhwcConv`'s answer for depthwise nodes.
 */
import assert from 'node:assert/strict';

import type { AttributeValue, OnnxNode, Value } from '../../src/runtime/onnx/model.js';
import { CONV_OPS } from '../../src/runtime/ops/conv.js';
import { nhwcConv } from '../../src/runtime/ops/conv-nhwc.js';
import { LAYOUT_ATTRIBUTE, NHWC } from '../../src/runtime/ops/nhwc.js';
import { Attributes, FUSED_MAX, FUSED_MIN, FUSED_POOL_KERNEL } from '../../src/runtime/ops/op.js';
import { FUSED_KIND, FUSED_RESIDUAL } from '../../src/runtime/ops/post-op.js';
import { assertClose, randomFloats, rng } from '../helpers.js';

type Attrs = Record<string, AttributeValue>;

const ints = (value: number[]): AttributeValue => ({ type: 'ints', value });
const float = (value: number): AttributeValue => ({ type: 'float', value });

function node(inputs: string[], attrs: Attrs): OnnxNode {
  return { name: 'dw', opType: 'Conv', domain: '', inputs, outputs: ['y'], attributes: new Map(Object.entries(attrs)) };
}

/** Float32 [N, C, H, W] as [N, H, W, C] (toNhwc) or back. */
function relayout(x: Value, toNhwc: boolean): Value {
  const [n, a, b, c] = x.dims;
  const [ch, h, w] = toNhwc ? [a, b, c] : [c, a, b];
  const src = x.data as Float32Array, data = new Float32Array(src.length);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < ch; k++)
      for (let p = 0; p < h * w; p++) {
        const nchw = (i * ch + k) * h * w + p, nhwc = (i * h * w + p) * ch + k;
        if (toNhwc) data[nhwc] = src[nchw];
        else data[nchw] = src[nhwc];
      }
  return { type: 'float32', dims: toNhwc ? [n, h, w, ch] : [n, ch, h, w], data };
}

interface Case {
  x: [number, number, number, number];
  kernel: [number, number];
  multiplier?: number;
  attrs?: Attrs;
  residual?: boolean;
}

/** Runs the depthwise node NCHW, then marked NHWC on the transposed input (and residual), and compares. */
function check(c: Case, seed: number): void {
  const r = rng(seed);
  const [n, ch, h, w] = c.x;
  const oc = ch * (c.multiplier ?? 1);
  const x: Value = { type: 'float32', dims: [...c.x], data: randomFloats(n * ch * h * w, r, 2) };
  const weight: Value = { type: 'float32', dims: [oc, 1, ...c.kernel], data: randomFloats(oc * c.kernel[0] * c.kernel[1], r) };
  const bias: Value = { type: 'float32', dims: [oc], data: randomFloats(oc, r) };
  const attrs: Attrs = { group: { type: 'int', value: ch }, kernel_shape: ints(c.kernel), ...c.attrs };
  const run = (extra: Attrs, inputs: Value[]) => {
    const m = node(['x', 'w', 'b', 'r'].slice(0, inputs.length), { ...attrs, ...extra });
    const kernel = CONV_OPS.Conv({ node: m, opset: 13, constants: [undefined, weight, bias], attributes: new Attributes(m), policy: { sparse: false } });
    return { label: kernel.label, y: kernel.run(inputs)[0] };
  };
  // The residual has the conv's result shape: a plain conv (no post-ops) tells it.
  const probe = c.residual && run({ [FUSED_RESIDUAL]: { type: 'int', value: 0 } }, [x, weight, bias]).y;
  const residual = probe ? { type: 'float32', dims: [...probe.dims], data: randomFloats(probe.data.length, r) } as Value : undefined;
  const want = run({}, [x, weight, bias, ...(residual ? [residual] : [])]).y;
  const got = run({ [LAYOUT_ATTRIBUTE]: { type: 'string', value: NHWC } }, [relayout(x, true), weight, bias, ...(residual ? [relayout(residual, true)] : [])]);
  assert.equal(got.label, 'conv-depthwise-nhwc');
  assert.deepEqual(got.y.dims, [want.dims[0], want.dims[2], want.dims[3], want.dims[1]]);
  const scale = (want.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assertClose(relayout(got.y, false).data as Float32Array, want.data as Float32Array, 1e-5, 1e-5 * scale, JSON.stringify(c));
}

const pads = (p: [number, number, number, number]): Attrs => ({ pads: ints(p) });
const strides = (s: number): Attrs => ({ strides: ints([s, s]) });

describe('runtime: depthwise Conv in NHWC (f32-dwconv2d-nhwc)', () => {
  it('3x3 and 5x5 at strides 1 and 2, asymmetric pads, dilation 2, multiplier 2, channel counts around the vector widths', () => {
    const cases: Case[] = [
      { x: [1, 32, 14, 14], kernel: [3, 3], attrs: pads([1, 1, 1, 1]) },
      { x: [2, 17, 9, 8], kernel: [3, 3], attrs: { ...strides(2), ...pads([0, 0, 1, 1]) } },
      { x: [1, 24, 7, 7], kernel: [5, 5], attrs: pads([2, 2, 2, 2]) },
      { x: [1, 9, 11, 10], kernel: [5, 5], attrs: { ...strides(2), ...pads([1, 2, 2, 1]) } },
      { x: [1, 16, 10, 12], kernel: [3, 3], attrs: { dilations: ints([2, 2]), ...pads([2, 2, 2, 2]) } },
      { x: [2, 7, 6, 5], kernel: [3, 3], multiplier: 2, attrs: pads([1, 1, 1, 1]) },
      { x: [1, 3, 1, 1], kernel: [3, 3], attrs: pads([1, 1, 1, 1]) },
      { x: [1, 8, 5, 5], kernel: [3, 3], attrs: { auto_pad: { type: 'string', value: 'SAME_UPPER' }, ...strides(2) } },
    ];
    cases.forEach((c, i) => check(c, 60 + i));
  });

  it('with the fused clamp, HardSwish, HardSigmoid and a residual + ReLU', () => {
    const base: Case = { x: [1, 20, 9, 9], kernel: [3, 3], attrs: pads([1, 1, 1, 1]) };
    check({ ...base, attrs: { ...base.attrs, [FUSED_MIN]: float(0), [FUSED_MAX]: float(6) } }, 70);
    check({ ...base, attrs: { ...base.attrs, [FUSED_KIND]: { type: 'string', value: 'hardswish' } } }, 71);
    check({ ...base, attrs: { ...base.attrs, [FUSED_KIND]: { type: 'string', value: 'hardsigmoid' } } }, 72);
    check({ ...base, residual: true, attrs: { ...base.attrs, [FUSED_RESIDUAL]: { type: 'int', value: 1 }, [FUSED_MIN]: float(0) } }, 73);
  });

  it('nhwcConv takes float32 depthwise convs of any window, a fused max pool too (the operator pools its result), not weights at run time', () => {
    const w: Value = { type: 'float32', dims: [16, 1, 3, 3], data: new Float32Array(144) };
    const constants = new Map<string, Value>([['w', w]]);
    const dw = (attrs: Attrs) => node(['x', 'w'], { group: { type: 'int', value: 16 }, ...attrs });
    assert.equal(nhwcConv(dw({ ...strides(2), ...pads([0, 0, 1, 1]) }), constants), true);
    assert.equal(nhwcConv(dw({ [FUSED_KIND]: { type: 'string', value: 'hardswish' } }), constants), true);
    assert.equal(nhwcConv(dw({ [FUSED_POOL_KERNEL]: ints([2, 2]) }), constants), true, 'fused pool');
    assert.equal(nhwcConv(dw({}), new Map()), false, 'weights at run time');
    const grouped = new Map<string, Value>([['w', { type: 'float32', dims: [16, 2, 3, 3], data: new Float32Array(288) }]]);
    assert.equal(nhwcConv(node(['x', 'w'], { group: { type: 'int', value: 8 } }), grouped), false, 'two channels per group');
  });
});
