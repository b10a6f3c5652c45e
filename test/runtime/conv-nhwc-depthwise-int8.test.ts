/**
 * Depthwise QLinearConv moved to NHWC (sparq_layout = NHWC, the int8
 * depthwise path of backends/cpu/conv/nhwc.ts: depthwise-nhwc-int8.ts)
 * against the same node run NCHW, the oracle: the NHWC bytes are exactly the
 * transpose of the NCHW ones. Plus `nhwcConv`'s answer for such nodes.
 */
import assert from 'node:assert/strict';

import type { AttributeValue, OnnxNode, Value } from '../../src/runtime/onnx/model.js';
import { CONV_OPS } from '../../src/runtime/ops/conv.js';
import { nhwcConv } from '../../src/runtime/ops/conv-nhwc.js';
import { LAYOUT_ATTRIBUTE, NHWC } from '../../src/runtime/ops/nhwc.js';
import { Attributes, FUSED_MAX, FUSED_MIN, FUSED_POOL_KERNEL } from '../../src/runtime/ops/op.js';
import { assertSameArray, randomInts, rng } from '../helpers.js';

type Attrs = Record<string, AttributeValue>;

const INPUTS = ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'];
const ints = (value: number[]): AttributeValue => ({ type: 'ints', value });
const float = (value: number): AttributeValue => ({ type: 'float', value });

function node(attrs: Attrs): OnnxNode {
  return { name: 'n', opType: 'QLinearConv', domain: '', inputs: INPUTS, outputs: ['y'], attributes: new Map(Object.entries(attrs)) };
}

/** [N, C, H, W] <-> [N, H, W, C]. */
function transposed(x: Value, toNhwc: boolean): Value {
  const [n, a, b, c] = x.dims;
  // Channels-first dims of x: [n, a, b, c] is NCHW when toNhwc, NHWC otherwise.
  const [channels, h, w] = toNhwc ? [a, b, c] : [c, a, b];
  const data = new (x.data.constructor as new (length: number) => Uint8Array)(x.data.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < channels; ch++)
      for (let p = 0; p < h * w; p++) {
        const first = (i * channels + ch) * h * w + p, last = (i * h * w + p) * channels + ch;
        if (toNhwc) data[last] = x.data[first] as number;
        else data[first] = x.data[last] as number;
      }
  return { type: x.type, dims: toNhwc ? [n, h, w, channels] : [n, channels, h, w], data };
}

interface Case {
  x: [number, number, number, number];
  multiplier?: number;
  kernel: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  weight: 'int8' | 'uint8';
  perChannel: boolean;
  out: 'uint8' | 'int8';
  relu6?: boolean;
  xZero: number;
}

// MobileNet's 3x3 stride 1/2 and 5x5 layers, asymmetric pads, dilation,
// channel counts around the vector widths, uint8 weights far from their zero
// point (w - wz outside int8: the NCHW operator's im2col path), a multiplier.
const CASES: Case[] = [
  { x: [1, 32, 9, 9], kernel: [3, 3], pads: [1, 1, 1, 1], weight: 'int8', perChannel: true, out: 'uint8', relu6: true, xZero: 128 },
  { x: [2, 17, 8, 7], kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], weight: 'int8', perChannel: false, out: 'int8', xZero: 3 },
  { x: [1, 40, 7, 7], kernel: [5, 5], pads: [2, 2, 2, 2], weight: 'uint8', perChannel: true, out: 'uint8', xZero: 0 },
  { x: [1, 3, 6, 6], kernel: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], weight: 'uint8', perChannel: false, out: 'uint8', xZero: 255 },
  { x: [1, 96, 4, 4], kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], weight: 'int8', perChannel: true, out: 'int8', relu6: true, xZero: 100 },
  { x: [1, 5, 5, 5], multiplier: 2, kernel: [3, 3], pads: [1, 1, 1, 1], weight: 'int8', perChannel: true, out: 'uint8', xZero: 7 },
];

function inputsOf(k: Case, seed: number): Value[] {
  const r = rng(seed);
  const [n, c, h, w] = k.x;
  const oc = c * (k.multiplier ?? 1), taps = k.kernel[0] * k.kernel[1];
  const channels = k.perChannel ? oc : 1;
  const scalar = (type: Value['type'], v: number): Value => ({ type, dims: [], data: type === 'float32' ? Float32Array.of(v) : type === 'int8' ? Int8Array.of(v) : Uint8Array.of(v) });
  return [
    { type: 'uint8', dims: [n, c, h, w], data: randomInts(Uint8Array, n * c * h * w, 0, 255, r) },
    scalar('float32', 0.02), scalar('uint8', k.xZero),
    { type: k.weight, dims: [oc, 1, ...k.kernel], data: k.weight === 'int8' ? randomInts(Int8Array, oc * taps, -127, 127, r) : randomInts(Uint8Array, oc * taps, 0, 255, r) },
    { type: 'float32', dims: [channels], data: Float32Array.from({ length: channels }, () => 0.002 + 0.01 * r()) },
    { type: k.weight, dims: [channels], data: k.weight === 'int8' ? randomInts(Int8Array, channels, -20, 20, r) : randomInts(Uint8Array, channels, 0, 255, r) },
    scalar('float32', 0.05), scalar(k.out, k.out === 'uint8' ? 120 : -5),
    { type: 'int32', dims: [oc], data: randomInts(Int32Array, oc, -3000, 3000, r) },
  ];
}

function attrsOf(k: Case): Attrs {
  const c = k.x[1];
  return {
    group: { type: 'int', value: c },
    ...(k.strides ? { strides: ints(k.strides) } : {}),
    ...(k.pads ? { pads: ints(k.pads) } : {}),
    ...(k.dilations ? { dilations: ints(k.dilations) } : {}),
    ...(k.relu6 ? { [FUSED_MIN]: float(0), [FUSED_MAX]: float(6) } : {}),
  };
}

function run(attrs: Attrs, inputs: Value[]): { label: string; y: Value } {
  const n = node(attrs);
  const kernel = CONV_OPS.QLinearConv({ node: n, opset: 13, constants: inputs.map((v, i) => (i >= 3 ? v : undefined)), attributes: new Attributes(n), policy: { sparse: false } });
  return { label: kernel.label, y: kernel.run(inputs)[0] };
}

describe('runtime: depthwise QLinearConv in NHWC', () => {
  it('equals the NCHW node exactly (3x3/5x5, strides 1/2, pads, dilation, int8/uint8 weights, per tensor/channel, uint8/int8 results, multiplier)', () => {
    CASES.forEach((k, i) => {
      const inputs = inputsOf(k, 60 + i);
      const attrs = attrsOf(k);
      const nchw = run(attrs, inputs).y;
      const nhwc = run({ ...attrs, [LAYOUT_ATTRIBUTE]: { type: 'string', value: NHWC } }, [transposed(inputs[0], true), ...inputs.slice(1)]);
      assert.equal(nhwc.label, 'qconv-dw-nhwc');
      assert.equal(nhwc.y.type, k.out);
      assert.deepEqual(nhwc.y.dims, [nchw.dims[0], nchw.dims[2], nchw.dims[3], nchw.dims[1]]);
      assertSameArray(transposed(nhwc.y, false).data as Uint8Array, nchw.data as Uint8Array, JSON.stringify(k));
    });
  });

  it('nhwcConv takes quantized depthwise nodes of any window, with a fused max pool too (the operator pools its result)', () => {
    const k = CASES[0];
    const constants = new Map(inputsOf(k, 1).map((v, i) => [INPUTS[i], v] as const).filter(([name]) => !['x', 'xs', 'xz'].includes(name)));
    assert.equal(nhwcConv(node(attrsOf(k)), constants), true);
    assert.equal(nhwcConv(node({ ...attrsOf(k), strides: ints([2, 2]), dilations: ints([2, 2]) }), constants), true);
    assert.equal(nhwcConv(node({ ...attrsOf(k), [FUSED_POOL_KERNEL]: ints([2, 2]) }), constants), true, 'fused pool');
  });
});
