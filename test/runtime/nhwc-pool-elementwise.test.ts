/**
 * The pools and the elementwise ops in NHWC sessions: which MaxPool and
 * GlobalAveragePool nodes the layout pass moves (nhwcPool), and sessions
 * with layout 'nhwc' running them channels-last (ResNet-18's 3x3 stride-2
 * padded MaxPool, squeeze-excite's GlobalAveragePool -> 1x1 convs -> Mul,
 * per-channel Add/Mul constants) against onnxruntime and the NCHW session.
 */
import assert from 'node:assert/strict';

import { buildGraph } from '../../src/runtime/graph.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { isNhwc } from '../../src/runtime/ops/nhwc.js';
import { Attributes } from '../../src/runtime/ops/op.js';
import { nhwcPool } from '../../src/runtime/ops/pool.js';
import { nhwcLayout } from '../../src/runtime/passes/nhwc-layout.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { assertSameArray, randomFloats, rng } from '../helpers.js';
import { compareWithOrt } from './ort-compare.js';

const r = rng(51);
const C = 12;
const f32 = (name: string, dims: number[], data: Float32Array = randomFloats(sizeOf(dims), r)): OnnxTensor => ({ name, type: 'float', dims, data });
const conv = (name: string, x: string, y: string, w = 'w1'): OnnxNode => ({ opType: 'Conv', name, inputs: [x, w, 'b'], outputs: [y] });
const pool = (name: string, x: string, y: string, attributes: OnnxNode['attributes'] = {}): OnnxNode =>
  ({ opType: 'MaxPool', name, inputs: [x], outputs: [y], attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ...attributes } });
const model = (nodes: OnnxNode[], initializers: OnnxTensor[] = [], hw = 9): OnnxGraph => ({
  opset: 13,
  nodes,
  initializers: [f32('w1', [C, C, 1, 1]), f32('b', [C]), ...initializers],
  inputs: [{ name: 'x', type: 'float', dims: ['n', C, hw, hw] }],
  outputs: [{ name: 'y', type: 'float', dims: null }],
});
const feeds = (hw = 9) => ({ x: value('float32', [2, C, hw, hw], randomFloats(2 * C * hw * hw, r, 3)) });

describe('nhwcPool: the pools the layout pass may move', () => {
  const node = (opType: string, attributes: OnnxNode['attributes'] = {}, outputs = ['y']) =>
    buildGraph(readOnnx(encodeOnnxModel({ ...model([{ opType, name: 'p', inputs: ['x'], outputs, attributes }]), outputs: outputs.filter((o) => o).map((name) => ({ name, type: 'float', dims: null })) }))).nodes[0];

  it('accepts GlobalAveragePool and 2-D undilated MaxPool (any kernel, stride, pads, ceil mode, auto_pad)', () => {
    assert.ok(nhwcPool(node('GlobalAveragePool')));
    assert.ok(nhwcPool(node('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })));
    assert.ok(nhwcPool(node('MaxPool', { kernel_shape: [2, 3], ceil_mode: 1, auto_pad: 'SAME_UPPER' })));
    assert.ok(nhwcPool(node('MaxPool', { kernel_shape: [2, 2], dilations: [1, 1] })));
  });

  it('refuses 1-D and dilated MaxPool, its Indices output, storage_order 1, and the other pools', () => {
    assert.ok(!nhwcPool(node('MaxPool', { kernel_shape: [3] })));
    assert.ok(!nhwcPool(node('MaxPool', { kernel_shape: [3, 3], dilations: [2, 2] })));
    assert.ok(!nhwcPool(node('MaxPool', { kernel_shape: [2, 2] }, ['y', 'i'])));
    assert.ok(!nhwcPool(node('MaxPool', { kernel_shape: [2, 2], storage_order: 1 })));
    assert.ok(!nhwcPool(node('MaxPool', { kernel_shape: 2 as never })), 'a malformed attribute is a refusal, not a throw');
    for (const op of ['AveragePool', 'GlobalMaxPool']) assert.ok(!nhwcPool(node(op, { kernel_shape: [2, 2] })));
  });

  it('lets the pass move a MaxPool and a GlobalAveragePool between moved convs, and keep a dilated MaxPool NCHW', () => {
    const g = buildGraph(readOnnx(encodeOnnxModel(model([
      conv('c1', 'x', 'a'), pool('mp', 'a', 'p'), { opType: 'GlobalAveragePool', name: 'gap', inputs: ['p'], outputs: ['s'] },
      conv('c2', 's', 't'), pool('dil', 't', 'y', { kernel_shape: [1, 1], pads: [0, 0, 0, 0], dilations: [2, 2] }),
    ]))));
    assert.ok(nhwcLayout(g, () => true));
    assert.deepEqual(g.nodes.filter((n) => isNhwc(new Attributes(n))).map((n) => n.name), ['c1', 'mp', 'gap', 'c2']);
  });
});

describe("sessions with layout 'nhwc': pools and elementwise ops channels-last", () => {
  const kernels = async (m: OnnxGraph) => {
    const session = await InferenceSession.create(encodeOnnxModel(m), { layout: 'nhwc' });
    const labels = session.profile().map((p) => `${p.opType}:${p.kernel}`);
    await session.release();
    return labels;
  };

  it("runs ResNet-18's stem pool (3x3, stride 2, pad 1) NHWC between convs, as onnxruntime does", async () => {
    for (const hw of [9, 8]) {
      const m = model([conv('c1', 'x', 'a'), { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['r'] }, pool('mp', 'r', 'p'), conv('c2', 'p', 'y')], [], hw);
      await compareWithOrt(m, feeds(hw), { tolerance: 1e-5, atol: 1e-6, session: { layout: 'nhwc' } });
    }
    const labels = await kernels(model([conv('c1', 'x', 'a'), pool('mp', 'a', 'p'), conv('c2', 'p', 'y')]));
    assert.ok(labels.includes('MaxPool:maxpool-nhwc'), labels.join(', '));
  });

  it('runs squeeze-excite (GlobalAveragePool -> 1x1 convs -> HardSigmoid -> Mul) and per-channel constants NHWC, as onnxruntime does', async () => {
    const m = model([
      conv('c1', 'x', 'a'),
      { opType: 'GlobalAveragePool', name: 'gap', inputs: ['a'], outputs: ['s'] },
      conv('fc1', 's', 's1'), { opType: 'Relu', name: 'relu', inputs: ['s1'], outputs: ['s2'] },
      conv('fc2', 's2', 's3'), { opType: 'HardSigmoid', name: 'hsig', inputs: ['s3'], outputs: ['s4'] },
      { opType: 'Mul', name: 'se', inputs: ['a', 's4'], outputs: ['m'] },
      { opType: 'Add', name: 'bias', inputs: ['m', 'beta'], outputs: ['n'] },
      { opType: 'Mul', name: 'scale', inputs: ['gamma', 'n'], outputs: ['o'] },
      conv('c2', 'o', 'y'),
    ], [f32('beta', [C, 1, 1]), f32('gamma', [1, C, 1, 1])]);
    await compareWithOrt(m, feeds(), { tolerance: 1e-5, atol: 1e-6, session: { layout: 'nhwc' } });
    const labels = await kernels(m);
    assert.ok(labels.includes('GlobalAveragePool:globalavgpool-nhwc'), labels.join(', '));
    assert.equal(labels.filter((l) => l.startsWith('Transpose')).length, 2, labels.join(', '));
  });

  it("gives the NCHW pools' results bit for bit (max and the mean's summation order do not depend on the layout)", async () => {
    const base = model([pool('mp', 'x', 'p'), conv('c1', 'p', 'a'), { opType: 'GlobalAveragePool', name: 'gap', inputs: ['a'], outputs: ['y'] }]);
    // a is a graph output too, so the NHWC session returns it (transposed back) beside y.
    const m = { ...base, outputs: [...base.outputs, { name: 'a', type: 'float', dims: null }] } as OnnxGraph;
    const nhwc = await InferenceSession.create(encodeOnnxModel(m), { layout: 'nhwc' });
    const gap = await InferenceSession.create(encodeOnnxModel(model([{ opType: 'GlobalAveragePool', name: 'gap', inputs: ['x'], outputs: ['y'] }], [], 5)), { layout: 'nchw' });
    const got = nhwc.runSync(feeds());
    assert.ok(nhwc.profile().some((p) => p.kernel === 'globalavgpool-nhwc'));
    assert.deepEqual(got.y.dims, [2, C, 1, 1]);
    assertSameArray(got.y.data as Float32Array, gap.runSync({ x: got.a }).y.data as Float32Array, 'NHWC GAP = NCHW GAP of the same values');
    await Promise.all([nhwc.release(), gap.release()]);
  });
});
