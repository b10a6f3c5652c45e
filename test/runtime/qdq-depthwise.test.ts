/**
 * QDQ depthwise convs (group = C, the MobileNet layers) after
 * qdqToInteger: the QLinearConv runs on qu8s8-dwconv2d (profile label
 * 'qconv-dw'), exactly equal to sparq's reference backend and to
 * onnxruntime where its int8 is exact on this CPU; and a depthwise
 * ConvInteger with uint8 weights around a zero point ('qconv-dw-int32').
 */
import assert from 'node:assert/strict';

import type { Value } from '../../src/runtime/onnx/model.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { randomInts, rng } from '../helpers.js';
import { compareWithOrt, initializer, nodeGraph, ortInt8Case } from './ort-compare.js';

const r = rng(41);
const X_SCALE = 1 / 200;

interface DepthwiseCase {
  kernel: number;
  strides: [number, number];
  pads: [number, number, number, number];
  /** A Relu between the conv and its Q (fused into the QLinearConv as a clamp). */
  relu: boolean;
  outType: 'uint8' | 'int8';
  /** Output channels per channel (default 1). */
  multiplier?: number;
}

/** Q(x) -> DQ -> Conv(group = 8, DQ(w int8 per output channel), DQ(b int32)) [-> Relu] -> Q -> DQ -> y. */
function depthwiseModel(k: DepthwiseCase): OnnxGraph {
  const groups = 8, c = groups * (k.multiplier ?? 1);
  const wDims = [c, 1, k.kernel, k.kernel];
  const wScale = Float32Array.from({ length: c }, () => 0.002 + 0.01 * r());
  const w = randomInts(Int8Array, sizeOf(wDims), -127, 127, r);
  w.fill(-128, 0, k.kernel * k.kernel);
  const yZero: OnnxTensor = k.outType === 'uint8'
    ? { name: 'y.zp', type: 'uint8', dims: [], data: Uint8Array.of(128) }
    : { name: 'y.zp', type: 'int8', dims: [], data: Int8Array.of(-3) };
  const initializers: OnnxTensor[] = [
    { name: 'x.scale', type: 'float', dims: [], data: Float32Array.of(X_SCALE) }, { name: 'x.zp', type: 'uint8', dims: [], data: Uint8Array.of(20) },
    { name: 'w.q', type: 'int8', dims: wDims, data: w },
    { name: 'w.scale', type: 'float', dims: [c], data: wScale }, { name: 'w.zp', type: 'int8', dims: [c], data: new Int8Array(c) },
    { name: 'b.q', type: 'int32', dims: [c], data: randomInts(Int32Array, c, -3000, 3000, r) },
    { name: 'b.scale', type: 'float', dims: [c], data: wScale.map((s) => Math.fround(X_SCALE * s)) }, { name: 'b.zp', type: 'int32', dims: [c], data: new Int32Array(c) },
    { name: 'y.scale', type: 'float', dims: [], data: Float32Array.of(0.03) }, yZero,
  ];
  const nodes: OnnxNode[] = [
    { opType: 'QuantizeLinear', inputs: ['x', 'x.scale', 'x.zp'], outputs: ['x.q'] },
    { opType: 'DequantizeLinear', inputs: ['x.q', 'x.scale', 'x.zp'], outputs: ['x.dq'] },
    { opType: 'DequantizeLinear', inputs: ['w.q', 'w.scale', 'w.zp'], outputs: ['w.dq'], attributes: { axis: 0 } },
    { opType: 'DequantizeLinear', inputs: ['b.q', 'b.scale', 'b.zp'], outputs: ['b.dq'], attributes: { axis: 0 } },
    { opType: 'Conv', name: 'dw', inputs: ['x.dq', 'w.dq', 'b.dq'], outputs: ['o'], attributes: { group: groups, strides: k.strides, pads: k.pads } },
    ...(k.relu ? [{ opType: 'Relu', inputs: ['o'], outputs: ['o.relu'] }] : []),
    { opType: 'QuantizeLinear', inputs: [k.relu ? 'o.relu' : 'o', 'y.scale', 'y.zp'], outputs: ['o.q'] },
    { opType: 'DequantizeLinear', inputs: ['o.q', 'y.scale', 'y.zp'], outputs: ['y'] },
  ];
  return { opset: 13, nodes, initializers, inputs: [{ name: 'x', type: 'float', dims: ['n', groups, 'h', 'w'] }], outputs: [{ name: 'y', type: 'float', dims: null }] };
}

/** Inputs in [-0.1, 1.3): below and above the quantized range, so x saturates at 0 and 255 too. */
const image = (dims: number[]): Value => value('float32', dims, Float32Array.from({ length: sizeOf(dims) }, () => -0.1 + 1.4 * r()));

const CASES: DepthwiseCase[] = [
  { kernel: 3, strides: [1, 1], pads: [1, 1, 1, 1], relu: true, outType: 'uint8' },
  { kernel: 3, strides: [2, 2], pads: [0, 0, 1, 1], relu: false, outType: 'uint8' },
  { kernel: 5, strides: [2, 2], pads: [2, 2, 2, 2], relu: true, outType: 'int8' },
  { kernel: 5, strides: [1, 1], pads: [2, 1, 2, 3], relu: false, outType: 'int8' },
  { kernel: 3, strides: [2, 1], pads: [1, 1, 1, 1], relu: true, outType: 'uint8', multiplier: 2 },
];

describe(`runtime: QDQ depthwise convs on qu8s8-dwconv2d ${ortInt8Case()}`, () => {
  for (const k of CASES) {
    it(`${k.kernel}x${k.kernel} strides [${k.strides}], pads [${k.pads}]${k.multiplier ? `, ${k.multiplier} outputs per channel` : ''}${k.relu ? ', Relu' : ''}, ${k.outType} output: 'qconv-dw', exact`, async () => {
      const model = depthwiseModel(k);
      // Layout 'nchw': the NCHW kernel is the one checked here (layout 'auto' runs a lone depthwise conv NHWC).
      const session = await InferenceSession.create(encodeOnnxModel(model), { layout: 'nchw' });
      const kernels = session.profile().map((p) => `${p.opType}:${p.kernel}`);
      assert.ok(kernels.includes('QLinearConv:qconv-dw'), kernels.join(', '));
      for (const dims of [[1, 8, 13, 11], [3, 8, 20, 17]]) await compareWithOrt(model, { x: image(dims) }, { tolerance: 0, session: { layout: 'nchw' } });
    });
  }

  it("ConvInteger, uint8 weights around their zero point (int8 once it is taken off): 'qconv-dw-int32', exact", async () => {
    const c = 6;
    const w = value('uint8', [c, 1, 3, 3], randomInts(Uint8Array, c * 9, 12, 255, r));
    // onnxruntime's ConvInteger takes a per-tensor weight zero point only.
    const wZero = value('uint8', [], Uint8Array.of(140));
    const x = value('uint8', [2, c, 9, 14], randomInts(Uint8Array, 2 * c * 9 * 14, 0, 255, r));
    const { graph, feeds } = nodeGraph({
      op: 'ConvInteger', opset: 13, attributes: { group: c, strides: [2, 2], pads: [1, 1, 1, 1] },
      inputs: [x, initializer(w), initializer(value('uint8', [], Uint8Array.of(131))), initializer(wZero)], outputs: ['int32'],
    });
    const session = await InferenceSession.create(encodeOnnxModel(graph));
    assert.deepEqual(session.profile().map((p) => p.kernel), ['qconv-dw-int32']);
    await compareWithOrt(graph, feeds);
  });
});
