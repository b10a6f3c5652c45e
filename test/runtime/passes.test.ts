/**
 * Every graph pass on its own small graphs (DESIGN: "a pass is a match, then
 * rewrite unit that leaves the graph untouched when it does not apply").
 * Structure: the pass is called directly on a built Graph and the node list,
 * op types and attributes are checked; when it must not apply, the graph
 * (nodes, constants, inputs, outputs) must deep-equal a copy taken before.
 * Numbers: the same model runs in a full InferenceSession (all passes on)
 * and in onnxruntime-node, which applies the same fusions itself.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { buildGraph, type Graph } from '../../src/runtime/graph.js';
import type { Value } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { FUSED_MAX, FUSED_MIN, FUSED_POOL_KERNEL, FUSED_POOL_STRIDES } from '../../src/runtime/ops/op.js';
import { foldConstantNodes } from '../../src/runtime/passes/constant-nodes.js';
import { foldBatchNorm } from '../../src/runtime/passes/fold-batch-norm.js';
import { fuseActivation } from '../../src/runtime/passes/fuse-activation.js';
import { fuseMaxPool } from '../../src/runtime/passes/fuse-maxpool.js';
import { fusePostOp } from '../../src/runtime/passes/fuse-post-op.js';
import { hardSwishForms } from '../../src/runtime/passes/hardswish-forms.js';
import { FUSED_ALPHA, FUSED_BETA, FUSED_KIND, FUSED_RESIDUAL } from '../../src/runtime/ops/post-op.js';
import { qdqToInteger, removeDeadNodes } from '../../src/runtime/passes/qdq-to-integer.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { assertClose, randomFloats, randomInts, rng } from '../helpers.js';
import { compareWithOrt } from './ort-compare.js';

const r = rng(23);
const f32 = (name: string, dims: number[], data: Float32Array = randomFloats(sizeOf(dims), r)): OnnxTensor => ({ name, type: 'float', dims, data });
const feed = (dims: number[], scale = 1): Value => value('float32', dims, randomFloats(sizeOf(dims), r, scale));
/** Non-negative feeds: the QDQ graphs quantize x to uint8 with zero point 0. */
const image = (dims: number[]): Value => value('float32', dims, Float32Array.from({ length: sizeOf(dims) }, () => r()));

function graphOf(model: OnnxGraph): Graph {
  return buildGraph(readOnnx(encodeOnnxModel(model)));
}

/** Asserts `pass` reports no change and leaves every part of the graph as it was. */
function assertUntouched(model: OnnxGraph, pass: (g: Graph) => boolean | void): Graph {
  const g = graphOf(model);
  const before = structuredClone(g);
  const changed = pass(g);
  assert.ok(changed === undefined || changed === false, 'the pass reported a change');
  assert.deepStrictEqual(g, before);
  return g;
}

const opTypes = (g: Graph) => g.nodes.map((n) => n.opType);
const attr = (g: Graph, index: number, name: string) => g.nodes[index].attributes.get(name)?.value;

// ---------------------------------------------------------------------------
// foldBatchNorm

interface ConvBnOptions {
  bias?: boolean;
  group?: number;
  /** BN parameters as Constant nodes (Paddle) instead of initializers: not constants while the passes run. */
  constantNodes?: boolean;
  /** The conv output also goes to a second reader. */
  secondReader?: boolean;
}

function convBn({ bias = true, group = 1, constantNodes = false, secondReader = false }: ConvBnOptions = {}): OnnxGraph {
  const c = 4;
  const initializers = [f32('w', [c, c / group, 3, 3])];
  if (bias) initializers.push(f32('b', [c]));
  const bnParams = [f32('scale', [c]), f32('shift', [c]), f32('mean', [c]), f32('var', [c], Float32Array.from({ length: c }, () => 0.5 + r()))];
  const nodes: OnnxNode[] = [];
  if (constantNodes) for (const t of bnParams) nodes.push({ opType: 'Constant', inputs: [], outputs: [t.name], attributes: { value: t } });
  else initializers.push(...bnParams);
  nodes.push(
    { opType: 'Conv', name: 'conv', inputs: ['x', 'w', bias ? 'b' : ''], outputs: ['c'], attributes: { pads: [1, 1, 1, 1], group } },
    { opType: 'BatchNormalization', name: 'bn', inputs: ['c', 'scale', 'shift', 'mean', 'var'], outputs: ['y'], attributes: { epsilon: 1e-3 }, floatAttributes: ['epsilon'] },
  );
  const outputs = [{ name: 'y', type: 'float' as const, dims: null }];
  if (secondReader) {
    nodes.push({ opType: 'Relu', name: 'side', inputs: ['c'], outputs: ['side'] });
    outputs.push({ name: 'side', type: 'float', dims: null });
  }
  return { opset: 13, nodes, initializers, inputs: [{ name: 'x', type: 'float', dims: ['n', c, 6, 6] }], outputs };
}

describe('passes: foldBatchNorm', () => {
  for (const options of [{}, { bias: false }, { group: 4 }] as ConvBnOptions[])
    it(`folds BN into the Conv before it (${JSON.stringify(options)}) and keeps onnxruntime's results`, async () => {
      const model = convBn(options);
      const g = graphOf(model);
      const w = g.constants.get('w')!;
      assert.equal(foldBatchNorm(g), true);
      assert.deepEqual(opTypes(g), ['Conv']);
      const conv = g.nodes[0];
      assert.deepEqual(conv.outputs, ['y']);
      assert.equal(conv.inputs[0], 'x');
      // New weight and bias constants; the original weight is left for anything else that reads it.
      assert.notEqual(conv.inputs[1], 'w');
      assert.deepEqual(g.constants.get(conv.inputs[1])!.dims, w.dims);
      assert.deepEqual(g.constants.get(conv.inputs[2])!.dims, [4]);
      assert.equal(g.constants.get('w'), w);
      await compareWithOrt(model, { x: feed([2, 4, 6, 6]) }, { tolerance: 1e-5, atol: 1e-6 });
    });

  it('leaves a BN alone when the Conv output has a second reader', async () => {
    const model = convBn({ secondReader: true });
    assertUntouched(model, foldBatchNorm);
    await compareWithOrt(model, { x: feed([1, 4, 6, 6]) }, { tolerance: 1e-5, atol: 1e-6 });
  });

  it('leaves a BN alone when its parameters are not constants at pass time (Constant nodes not yet folded, a graph input)', async () => {
    const model = convBn({ constantNodes: true });
    assertUntouched(model, foldBatchNorm);
    // After foldConstantNodes (which runs first in a session) the same BN folds.
    const g = graphOf(model);
    assert.equal(foldConstantNodes(g), true);
    assert.equal(foldBatchNorm(g), true);
    assert.deepEqual(opTypes(g), ['Conv']);
    await compareWithOrt(model, { x: feed([1, 4, 6, 6]) }, { tolerance: 1e-5, atol: 1e-6 });
    const fed = convBn();
    const asInput: OnnxGraph = { ...fed, initializers: fed.initializers!.filter((t) => t.name !== 'mean'), inputs: [...fed.inputs, { name: 'mean', type: 'float', dims: [4] }] };
    assertUntouched(asInput, foldBatchNorm);
  });

  it('leaves a BN alone when the Conv output is a graph output, or its weight is fed at run time', () => {
    const model = convBn();
    assertUntouched({ ...model, outputs: [...model.outputs, { name: 'c', type: 'float', dims: null }] }, foldBatchNorm);
    assertUntouched({ ...model, initializers: model.initializers!.filter((t) => t.name !== 'w'), inputs: [...model.inputs, { name: 'w', type: 'float', dims: [4, 4, 3, 3] }] }, foldBatchNorm);
  });
});

// ---------------------------------------------------------------------------
// fuseActivation

/** x -> producer -> activation -> y. */
function withActivation(producer: 'Conv' | 'Gemm' | 'MatMul', activation: OnnxNode, opset = 13, extra: OnnxTensor[] = []): OnnxGraph {
  const conv = producer === 'Conv';
  const initializers = conv ? [f32('w', [3, 2, 3, 3]), f32('b', [3])] : producer === 'Gemm' ? [f32('w', [5, 6]), f32('b', [5])] : [f32('w', [6, 5])];
  const inputs = producer === 'MatMul' ? ['x', 'w'] : ['x', 'w', 'b'];
  return {
    opset,
    nodes: [{ opType: producer, name: 'producer', inputs, outputs: ['p'], attributes: producer === 'Gemm' ? { transB: 1 } : {} }, { ...activation, name: 'act' }],
    initializers: [...initializers, ...extra],
    inputs: [{ name: 'x', type: 'float', dims: conv ? [1, 2, 5, 5] : [3, 6] }, ...activation.inputs.filter((i) => i === 'runtime_min').map((name) => ({ name, type: 'float' as const, dims: [] }))],
    outputs: [{ name: 'y', type: 'float', dims: null }],
  };
}

const scalarF32 = (name: string, v: number): OnnxTensor => ({ name, type: 'float', dims: [], data: Float32Array.of(v) });
const relu: OnnxNode = { opType: 'Relu', inputs: ['p'], outputs: ['y'] };
const clip11 = (min: string, max: string): OnnxNode => ({ opType: 'Clip', inputs: ['p', min, max], outputs: ['y'] });

describe('passes: fuseActivation', () => {
  const cases: [string, OnnxGraph, [number, number]][] = [
    ['Conv + Relu', withActivation('Conv', relu), [0, Infinity]],
    ['Gemm + Relu', withActivation('Gemm', relu), [0, Infinity]],
    ['MatMul + Relu', withActivation('MatMul', relu), [0, Infinity]],
    ['Conv + Clip(0, 6) with constant inputs (opset 11+)', withActivation('Conv', clip11('lo', 'hi'), 13, [scalarF32('lo', 0), scalarF32('hi', 6)]), [0, 6]],
    ['Gemm + Clip with min omitted', withActivation('Gemm', clip11('', 'hi'), 13, [scalarF32('hi', 0.25)]), [-Infinity, 0.25]],
    ['Conv + opset-9 Clip with min/max attributes', withActivation('Conv', { opType: 'Clip', inputs: ['p'], outputs: ['y'], attributes: { min: -0.5, max: 1 }, floatAttributes: ['min', 'max'] }, 9), [-0.5, 1]],
    ['Conv + opset-9 Clip with only max', withActivation('Conv', { opType: 'Clip', inputs: ['p'], outputs: ['y'], attributes: { max: 6 }, floatAttributes: ['max'] }, 9), [-Infinity, 6]],
  ];
  for (const [what, model, [min, max]] of cases)
    it(`fuses ${what} and keeps onnxruntime's results`, async () => {
      const g = graphOf(model);
      const producer = g.nodes[0].opType;
      assert.equal(fuseActivation(g), true);
      assert.deepEqual(opTypes(g), [producer]);
      assert.deepEqual(g.nodes[0].outputs, ['y']);
      assert.equal(attr(g, 0, FUSED_MIN), min);
      assert.equal(attr(g, 0, FUSED_MAX), max);
      const x = g.inputs[0].dims as number[];
      await compareWithOrt(model, { x: feed(x.map((d) => (typeof d === 'number' ? d : 1)), 2) }, { tolerance: 1e-5, atol: 1e-6 });
    });

  it('leaves Conv + Relu alone when the Conv output is also a graph output', async () => {
    const base = withActivation('Conv', relu);
    const model = { ...base, outputs: [{ name: 'p', type: 'float' as const, dims: null }, ...base.outputs] };
    assertUntouched(model, fuseActivation);
    await compareWithOrt(model, { x: feed([1, 2, 5, 5], 2) }, { tolerance: 1e-5, atol: 1e-6 });
  });

  it('leaves a Clip with a non-constant min alone', async () => {
    const model = withActivation('Conv', clip11('runtime_min', 'hi'), 13, [scalarF32('hi', 6)]);
    assertUntouched(model, fuseActivation);
    await compareWithOrt(model, { x: feed([1, 2, 5, 5], 2), runtime_min: value('float32', [], Float32Array.of(-0.25)) }, { tolerance: 1e-5, atol: 1e-6 });
  });

  it('leaves alone a Relu that is not the only reader, and a MatMul whose weight is fed at run time', () => {
    const base = withActivation('Conv', relu);
    assertUntouched({ ...base, nodes: [...base.nodes, { opType: 'Sigmoid', inputs: ['p'], outputs: ['s'] }], outputs: [...base.outputs, { name: 's', type: 'float', dims: null }] }, fuseActivation);
    const mm = withActivation('MatMul', relu);
    assertUntouched({ ...mm, initializers: [], inputs: [...mm.inputs, { name: 'w', type: 'float', dims: [6, 5] }] }, fuseActivation);
  });
});

// ---------------------------------------------------------------------------
// fuseMaxPool

/** Conv(3x3, pads 1) -> MaxPool(pool attributes) on a [2, 3, 9, 9] input. */
function convPool(pool: Record<string, number | number[]>, extra: Partial<OnnxGraph> = {}, outputs = 1): OnnxGraph {
  return {
    opset: 13,
    nodes: [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1] } },
      { opType: 'MaxPool', name: 'pool', inputs: ['c'], outputs: outputs === 1 ? ['y'] : ['y', 'indices'], attributes: pool },
      ...(extra.nodes ?? []),
    ],
    initializers: [f32('w', [4, 3, 3, 3]), f32('b', [4])],
    inputs: [{ name: 'x', type: 'float', dims: [2, 3, 9, 9] }],
    outputs: [{ name: 'y', type: 'float', dims: null }, ...(extra.outputs ?? [])],
  };
}

describe('passes: fuseMaxPool', () => {
  for (const [what, pool] of [['2x2 stride 2', { kernel_shape: [2, 2], strides: [2, 2] }], ['3x3 stride 2 (floor)', { kernel_shape: [3, 3], strides: [2, 2] }], ['2x3 stride 1 (default strides)', { kernel_shape: [2, 3] }]] as const)
    it(`fuses a ${what} MaxPool into the Conv before it and keeps onnxruntime's results`, async () => {
      const model = convPool(pool as unknown as Record<string, number[]>);
      const g = graphOf(model);
      assert.equal(fuseMaxPool(g), true);
      assert.deepEqual(opTypes(g), ['Conv']);
      assert.deepEqual(g.nodes[0].outputs, ['y']);
      assert.deepEqual(attr(g, 0, FUSED_POOL_KERNEL), pool.kernel_shape);
      assert.deepEqual(attr(g, 0, FUSED_POOL_STRIDES), 'strides' in pool ? pool.strides : [1, 1]);
      await compareWithOrt(model, { x: feed([2, 3, 9, 9], 2) }, { tolerance: 1e-5, atol: 1e-6 });
    });

  const untouched: [string, OnnxGraph][] = [
    ['pads', convPool({ kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 0, 0] })],
    ['ceil_mode', convPool({ kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })],
    ['dilations', convPool({ kernel_shape: [2, 2], dilations: [2, 2] })],
    ['auto_pad SAME_UPPER', convPool({ kernel_shape: [2, 2] })],
    ['the Indices output', convPool({ kernel_shape: [2, 2], strides: [2, 2] }, {}, 2)],
    ['a second reader of the conv output', convPool({ kernel_shape: [2, 2], strides: [2, 2] }, { nodes: [{ opType: 'Relu', inputs: ['c'], outputs: ['r'] }], outputs: [{ name: 'r', type: 'float', dims: null }] })],
  ];
  for (const [what, model] of untouched)
    it(`leaves a MaxPool with ${what} alone`, async () => {
      if (what.startsWith('auto_pad')) (model.nodes[1].attributes as Record<string, unknown>).auto_pad = 'SAME_UPPER';
      assertUntouched(model, fuseMaxPool);
      if (what !== 'the Indices output') await compareWithOrt(model, { x: feed([2, 3, 9, 9], 2) }, { tolerance: 1e-5, atol: 1e-6 });
    });

  it('fuses the MaxPool after a QLinearConv (the QDQ CNN after qdqToInteger), exactly equal to onnxruntime', async () => {
    const model = qdqModel({ pool: true });
    const g = graphOf(model);
    qdqToInteger(g);
    assert.equal(fuseMaxPool(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QLinearConv', 'DequantizeLinear']);
    assert.deepEqual(attr(g, 1, FUSED_POOL_KERNEL), [2, 2]);
    await compareWithOrt(model, { x: image([2, 4, 6, 6]) }, { tolerance: 0 });
  });
});

// ---------------------------------------------------------------------------
// qdqToInteger

const X_SCALE = 1 / 255;
const u8 = (name: string, v: number): OnnxTensor => ({ name, type: 'uint8', dims: [], data: Uint8Array.of(v) });

interface QdqOptions {
  /** 'int32': DQ of an int32 bias at x_scale * w_scale (what the tool writes); 'float': a plain float initializer. */
  bias?: 'int32' | 'float' | 'none';
  /** The DQ axis of the per-channel weight scales (0 = output channels for Conv, [N, K] Gemm). */
  weightAxis?: number;
  gemm?: { transA?: number; transB?: number; alpha?: number };
  matmul?: boolean;
  /** A 2x2/2 MaxPool on the conv's uint8 output. */
  pool?: boolean;
}

/**
 * Q(x) -> DQ -> Conv/Gemm/MatMul(DQ(w int8 per channel), DQ(b)) -> Q -> DQ -> y.
 * Conv: x [n, 4, 6, 6], w [4, 4, 3, 3] (in = out channels, so axis 1 is a
 * valid but wrong per-channel axis). Gemm/MatMul: x [n, 8], 8 -> 6 units.
 */
function qdqModel({ bias = 'int32', weightAxis, gemm, matmul = false, pool = false }: QdqOptions = {}): OnnxGraph {
  const conv = !gemm && !matmul;
  const transB = gemm?.transB ?? 0;
  const wDims = conv ? [4, 4, 3, 3] : matmul || !transB ? [8, 6] : [6, 8];
  const axis = weightAxis ?? (conv || transB ? 0 : 1);
  const channels = wDims[axis];
  const outputs = conv ? 4 : 6;
  const wScale = Float32Array.from({ length: channels }, () => 0.005 + 0.01 * r());
  const initializers: OnnxTensor[] = [
    { name: 'x.scale', type: 'float', dims: [], data: Float32Array.of(X_SCALE) }, u8('x.zp', 0),
    { name: 'w.q', type: 'int8', dims: wDims, data: randomInts(Int8Array, sizeOf(wDims), -127, 127, r) },
    { name: 'w.scale', type: 'float', dims: [channels], data: wScale }, { name: 'w.zp', type: 'int8', dims: [channels], data: new Int8Array(channels) },
    { name: 'y.scale', type: 'float', dims: [], data: Float32Array.of(conv ? 0.04 : 0.02) }, u8('y.zp', 128),
  ];
  const nodes: OnnxNode[] = [
    { opType: 'QuantizeLinear', inputs: ['x', 'x.scale', 'x.zp'], outputs: ['x.q'] },
    { opType: 'DequantizeLinear', inputs: ['x.q', 'x.scale', 'x.zp'], outputs: ['x.dq'] },
    { opType: 'DequantizeLinear', inputs: ['w.q', 'w.scale', 'w.zp'], outputs: ['w.dq'], attributes: { axis } },
  ];
  let b = '';
  if (bias === 'int32') {
    // Per output channel at x_scale * w_scale, the scale the quantization tool gives a bias.
    const bScale = Float32Array.from({ length: outputs }, (_, i) => Math.fround(X_SCALE * wScale[channels === outputs ? i : 0]));
    initializers.push({ name: 'b.q', type: 'int32', dims: [outputs], data: randomInts(Int32Array, outputs, -2000, 2000, r) },
      { name: 'b.scale', type: 'float', dims: [outputs], data: bScale }, { name: 'b.zp', type: 'int32', dims: [outputs], data: new Int32Array(outputs) });
    nodes.push({ opType: 'DequantizeLinear', inputs: ['b.q', 'b.scale', 'b.zp'], outputs: ['b.dq'], attributes: { axis: 0 } });
    b = 'b.dq';
  } else if (bias === 'float') {
    initializers.push(f32('b', [outputs], randomFloats(outputs, r, 0.1)));
    b = 'b';
  }
  const op = conv ? 'Conv' : matmul ? 'MatMul' : 'Gemm';
  const attributes: OnnxNode['attributes'] = conv ? { pads: [1, 1, 1, 1] } : gemm ? { ...gemm } : {};
  nodes.push(
    { opType: op, name: 'op', inputs: matmul ? ['x.dq', 'w.dq'] : ['x.dq', 'w.dq', b], outputs: ['o'], attributes, floatAttributes: ['alpha'] },
    { opType: 'QuantizeLinear', inputs: ['o', 'y.scale', 'y.zp'], outputs: ['o.q'] },
    // A MaxPool on the uint8 values (the form qdqToInteger leaves of DQ -> MaxPool -> Q).
    ...(pool ? [{ opType: 'MaxPool', inputs: ['o.q'], outputs: ['p.q'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } }] : []),
    { opType: 'DequantizeLinear', inputs: [pool ? 'p.q' : 'o.q', 'y.scale', 'y.zp'], outputs: ['y'] },
  );
  const x = conv ? ['n', 4, 6, 6] : gemm?.transA ? [8, 'n'] : ['n', 8];
  return { opset: 13, nodes, initializers, inputs: [{ name: 'x', type: 'float', dims: x }], outputs: [{ name: 'y', type: 'float', dims: null }] };
}

/** x -> Q -> DQ -> MaxPool -> Q -> DQ -> y, the output Q at `outScale`. */
function qdqMaxPool(outScale: number): OnnxGraph {
  return {
    opset: 13,
    nodes: [
      { opType: 'QuantizeLinear', inputs: ['x', 'x.scale', 'x.zp'], outputs: ['x.q'] },
      { opType: 'DequantizeLinear', inputs: ['x.q', 'x.scale', 'x.zp'], outputs: ['x.dq'] },
      { opType: 'MaxPool', name: 'pool', inputs: ['x.dq'], outputs: ['p'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'QuantizeLinear', inputs: ['p', 'p.scale', 'x.zp'], outputs: ['p.q'] },
      { opType: 'DequantizeLinear', inputs: ['p.q', 'p.scale', 'x.zp'], outputs: ['y'] },
    ],
    initializers: [{ name: 'x.scale', type: 'float', dims: [], data: Float32Array.of(X_SCALE) }, { name: 'p.scale', type: 'float', dims: [], data: Float32Array.of(outScale) }, u8('x.zp', 0)],
    inputs: [{ name: 'x', type: 'float', dims: ['n', 3, 6, 6] }],
    outputs: [{ name: 'y', type: 'float', dims: null }],
  };
}

/** `model` on x in sparq (all passes) and in onnxruntime with its graph optimizations off, y within `atol`. */
async function compareWithUnoptimizedOrt(model: OnnxGraph, x: Value, atol: number): Promise<void> {
  const bytes = encodeOnnxModel(model);
  const reference = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  const expected = (await reference.run({ x: new ort.Tensor('float32', x.data, x.dims) })).y.data as Float32Array;
  const actual = (await (await InferenceSession.create(bytes)).run({ x })).y.data as Float32Array;
  assertClose(actual, expected, 0, atol, 'y');
}

/** The float path and onnxruntime's may round an output to neighbouring quantization steps: one output scale of slack. */
const ONE_STEP = (model: OnnxGraph) => ({ tolerance: 0, atol: (model.initializers!.find((t) => t.name === 'y.scale' || t.name === 'p.scale')!.data[0] as number) * 1.0001 });

describe('passes: qdqToInteger', () => {
  it('turns DQ -> Conv(DQ w per channel, DQ int32 b) -> Q into one QLinearConv, equal to onnxruntime exactly', async () => {
    const model = qdqModel();
    const g = graphOf(model);
    assert.equal(qdqToInteger(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QLinearConv', 'DequantizeLinear']);
    assert.deepEqual(g.nodes[1].inputs, ['x.q', 'x.scale', 'x.zp', 'w.q', 'w.scale', 'w.zp', 'y.scale', 'y.zp', 'b.q']);
    assert.deepEqual(attr(g, 1, 'pads'), [1, 1, 1, 1]);
    await compareWithOrt(model, { x: image([2, 4, 6, 6]) }, { tolerance: 0 });
  });

  it('turns a QDQ MatMul (per-column weight scales) into QLinearMatMul, equal to onnxruntime exactly', async () => {
    const model = qdqModel({ matmul: true });
    const g = graphOf(model);
    assert.equal(qdqToInteger(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QLinearMatMul', 'DequantizeLinear']);
    assert.deepEqual(g.nodes[1].inputs, ['x.q', 'x.scale', 'x.zp', 'w.q', 'w.scale', 'w.zp', 'y.scale', 'y.zp', '']);
    await compareWithOrt(model, { x: image([3, 8]) }, { tolerance: 0 });
  });

  it('turns a QDQ Gemm with transB = 1 and per-channel [N, K] weights into QLinearMatMul on W^T, equal to onnxruntime exactly', async () => {
    const model = qdqModel({ gemm: { transB: 1 } });
    const g = graphOf(model);
    const w = g.constants.get('w.q')!;
    assert.equal(qdqToInteger(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'QLinearMatMul', 'DequantizeLinear']);
    const q = g.nodes[1];
    assert.deepEqual(q.inputs.filter((_, i) => i !== 3), ['x.q', 'x.scale', 'x.zp', 'w.scale', 'w.zp', 'y.scale', 'y.zp', 'b.q']);
    assert.equal(q.attributes.has('transB'), false);
    const t = g.constants.get(q.inputs[3])!;
    assert.deepEqual(t.dims, [8, 6]);
    for (let n = 0; n < 6; n++) for (let k = 0; k < 8; k++) assert.equal(t.data[k * 6 + n], w.data[n * 8 + k]);
    await compareWithOrt(model, { x: image([3, 8]) }, { tolerance: 0 });
  });

  it('runs DQ -> MaxPool -> Q with equal parameters on the 8-bit values, exactly', async () => {
    const model = qdqMaxPool(X_SCALE);
    const g = graphOf(model);
    assert.equal(qdqToInteger(g), true);
    assert.deepEqual(opTypes(g), ['QuantizeLinear', 'MaxPool', 'DequantizeLinear']);
    assert.deepEqual(g.nodes[1].inputs, ['x.q']);
    assert.deepEqual(g.nodes[1].outputs, ['p.q']);
    await compareWithOrt(model, { x: image([2, 3, 6, 6]) }, { tolerance: 0 });
  });

  const untouched: [string, OnnxGraph, number[]][] = [
    ['a QDQ Conv with a float (non-DQ) bias', qdqModel({ bias: 'float' }), [1, 4, 6, 6]],
    ['DQ -> MaxPool -> Q with a different output scale', qdqMaxPool(2 * X_SCALE), [1, 3, 6, 6]],
    ['a QDQ Gemm with transA = 1', qdqModel({ gemm: { transA: 1 } }), [8, 2]],
    ['a QDQ Gemm with alpha = 0.5', qdqModel({ gemm: { alpha: 0.5 } }), [2, 8]],
    ['a QDQ Gemm with transB = 1 and weight scales along K (axis 1)', qdqModel({ gemm: { transB: 1 }, weightAxis: 1 }), [2, 8]],
  ];
  for (const [what, model, dims] of untouched)
    it(`leaves ${what} in float, within one output step of onnxruntime`, async () => {
      assertUntouched(model, qdqToInteger);
      await compareWithOrt(model, { x: image(dims) }, ONE_STEP(model));
    });

  // onnxruntime 1.23 (optimization level 'all') mishandles these two: it
  // fuses axis-1 weight scales into QLinearConv as if they ran along the
  // output channels (results off by several steps), and fuses a per-channel
  // output Q into a QLinearConv that then rejects its zero point. sparq keeps
  // the DQ/Q semantics, so the reference is onnxruntime with its graph
  // optimizations off.
  it('leaves a QDQ Conv whose per-channel weight scales run along axis 1 in float, as unoptimized onnxruntime computes it', async () => {
    const model = qdqModel({ weightAxis: 1 });
    assertUntouched(model, qdqToInteger);
    await compareWithUnoptimizedOrt(model, image([2, 4, 6, 6]), ONE_STEP(model).atol);
  });

  it('leaves a QDQ Conv whose output Q is per channel in float (QLinearConv quantizes y per tensor only)', async () => {
    const base = qdqModel();
    const perChannel = (t: OnnxTensor): OnnxTensor =>
      t.name === 'y.scale' ? { ...t, dims: [4], data: Float32Array.of(0.04, 0.03, 0.05, 0.04) } : t.name === 'y.zp' ? { ...t, dims: [4], data: new Uint8Array(4).fill(128) } : t;
    const model: OnnxGraph = { ...base, initializers: base.initializers!.map(perChannel), nodes: base.nodes.map((n) => (n.inputs[1] === 'y.scale' ? { ...n, attributes: { axis: 1 } } : n)) };
    assertUntouched(model, qdqToInteger);
    await compareWithUnoptimizedOrt(model, image([2, 4, 6, 6]), 0.05 * 1.0001);
  });

  it('leaves DQ(int8 x, no zero point) -> MaxPool -> Q(no zero point, so uint8) alone, which must still write uint8', async () => {
    const model: OnnxGraph = {
      opset: 13,
      nodes: [
        { opType: 'DequantizeLinear', inputs: ['xq', 's'], outputs: ['x'] },
        { opType: 'MaxPool', inputs: ['x'], outputs: ['p'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
        { opType: 'QuantizeLinear', inputs: ['p', 's'], outputs: ['y'] },
      ],
      initializers: [scalarF32('s', 0.1)],
      inputs: [{ name: 'xq', type: 'int8', dims: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', type: 'uint8', dims: null }],
    };
    assertUntouched(model, qdqToInteger);
    await compareWithOrt(model, { xq: value('int8', [1, 2, 4, 4], randomInts(Int8Array, 32, -128, 127, r)) });
  });
});

// ---------------------------------------------------------------------------
// foldConstantNodes

describe('passes: foldConstantNodes', () => {
  const model = (nodes: OnnxNode[], outputs = ['y']): OnnxGraph => ({
    opset: 13, nodes, inputs: [{ name: 'x', type: 'float', dims: [2, 3] }],
    outputs: outputs.map((name) => ({ name, type: 'float' as const, dims: null })),
  });
  const k = f32('k', [3]);
  const add: OnnxNode = { opType: 'Add', name: 'add', inputs: ['x', 'k'], outputs: ['y'] };

  it('turns Constant(value = tensor) into a graph constant and keeps onnxruntime\'s results', async () => {
    const m = model([{ opType: 'Constant', name: 'c', inputs: [], outputs: ['k'], attributes: { value: k } }, add]);
    const g = graphOf(m);
    assert.equal(foldConstantNodes(g), true);
    assert.deepEqual(opTypes(g), ['Add']);
    assert.deepEqual(g.constants.get('k'), value('float32', [3], k.data as Float32Array));
    await compareWithOrt(m, { x: feed([2, 3]) }, { tolerance: 0 });
  });

  it('leaves other Constant forms (value_floats) and a Constant that is a graph output to the operator', async () => {
    assertUntouched(model([{ opType: 'Constant', name: 'c', inputs: [], outputs: ['k'], attributes: { value_floats: [1.5, 2, 3] }, floatAttributes: ['value_floats'] }, add]), foldConstantNodes);
    assertUntouched(model([{ opType: 'Constant', name: 'c', inputs: [], outputs: ['k'], attributes: { value: k } }, add], ['y', 'k']), foldConstantNodes);
  });
});

// ---------------------------------------------------------------------------
// removeDeadNodes

describe('passes: removeDeadNodes', () => {
  const graph = (nodes: OnnxNode[], outputs = ['y']): OnnxGraph => ({
    opset: 13, nodes, initializers: [scalarF32('six', 6)],
    inputs: [{ name: 'x', type: 'float', dims: [2, 3] }],
    outputs: outputs.map((name) => ({ name, type: 'float' as const, dims: null })),
  });
  const live: OnnxNode = { opType: 'Sigmoid', name: 'live', inputs: ['x'], outputs: ['y'] };

  it('drops a chain of nodes nothing reads, back to the first', () => {
    const g = graphOf(graph([{ opType: 'Relu', name: 'a', inputs: ['x'], outputs: ['a'] }, { opType: 'Neg', name: 'b', inputs: ['a'], outputs: ['b'] }, live]));
    removeDeadNodes(g);
    assert.deepEqual(g.nodes.map((n) => n.name), ['live']);
  });

  it('keeps a node with one read output among several, and graph outputs', () => {
    const split: OnnxNode = { opType: 'Dropout', name: 'd', inputs: ['x'], outputs: ['d', 'mask'] };
    assertUntouched(graph([split, { ...live, inputs: ['d'] }]), removeDeadNodes);
    assertUntouched(graph([{ opType: 'Relu', name: 'r', inputs: ['x'], outputs: ['r'] }, live], ['y', 'r']), removeDeadNodes);
  });

  // An omitted optional output is '' like an omitted optional input; the one must not keep the other's node alive.
  it('drops an unread node whose other output is omitted, even when some node omits an input', () => {
    const g = graphOf(graph([
      { opType: 'Dropout', name: 'dead', inputs: ['x'], outputs: ['d', ''] },
      { opType: 'Clip', name: 'clip', inputs: ['x', '', 'six'], outputs: ['y'] },
    ]));
    removeDeadNodes(g);
    assert.deepEqual(g.nodes.map((n) => n.name), ['clip']);
  });
});

// ---------------------------------------------------------------------------
// hardSwishForms

/** x [2, 3, 5, 5] -> `nodes` -> y, with float scalars as initializers. */
function elementwiseModel(nodes: OnnxNode[], scalars: [string, number][], opset = 13, extraOutputs: string[] = []): OnnxGraph {
  return {
    opset,
    nodes,
    initializers: scalars.map(([name, v]) => scalarF32(name, v)),
    inputs: [{ name: 'x', type: 'float', dims: [2, 3, 5, 5] }],
    outputs: ['y', ...extraOutputs].map((name) => ({ name, type: 'float' as const, dims: null })),
  };
}

const hardSigmoid = (alpha: number): OnnxNode => ({ opType: 'HardSigmoid', inputs: ['x'], outputs: ['h'], attributes: { alpha, beta: 0.5 }, floatAttributes: ['alpha', 'beta'] });
/** Paddle's x * Clip(x + offset, lo, hi), then `last` (Div by 6 or Mul by 1/6) to y. */
function paddleHardSwish(last: OnnxNode, { offset = 3, hi = 6, opset = 11 } = {}): OnnxGraph {
  const clip: OnnxNode = opset >= 11 ? { opType: 'Clip', inputs: ['s', 'lo', 'hi'], outputs: ['c'] } : { opType: 'Clip', inputs: ['s'], outputs: ['c'], attributes: { min: 0, max: hi }, floatAttributes: ['min', 'max'] };
  return elementwiseModel([
    { opType: 'Add', inputs: ['x', 'three'], outputs: ['s'] }, clip, { opType: 'Mul', inputs: ['c', 'x'], outputs: ['m'] }, last,
  ], [['three', offset], ['lo', 0], ['hi', hi], ['six', 6], ['sixth', 1 / 6]], opset);
}

describe('passes: hardSwishForms', () => {
  const x = () => ({ x: feed([2, 3, 5, 5], 5) });
  const cases: [string, OnnxGraph, number][] = [
    // The same float32 operations in the same order as HardSwish: equal to onnxruntime's results bit for bit.
    ['torch opset 13: x * HardSigmoid(x, 1/6, 0.5)', elementwiseModel([hardSigmoid(1 / 6), { opType: 'Mul', inputs: ['x', 'h'], outputs: ['y'] }], []), 0],
    ['torch with the operands swapped', elementwiseModel([hardSigmoid(1 / 6), { opType: 'Mul', inputs: ['h', 'x'], outputs: ['y'] }], []), 0],
    // Other roundings (x + 3, then / 6): a few float32 ulps.
    ['Paddle x * Clip(x + 3, 0, 6) / 6 (opset 11 Clip inputs)', paddleHardSwish({ opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }), 1e-6],
    ['Paddle with Clip attributes (opset 9)', paddleHardSwish({ opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }, { opset: 9 }), 1e-6],
    ['Paddle times a constant 1/6', paddleHardSwish({ opType: 'Mul', inputs: ['sixth', 'm'], outputs: ['y'] }), 1e-6],
  ];
  for (const [what, model, tolerance] of cases)
    it(`rewrites ${what} to one HardSwish and keeps onnxruntime's results`, async () => {
      const g = graphOf(model);
      assert.equal(hardSwishForms(g), true);
      assert.deepEqual(opTypes(g), ['HardSwish']);
      assert.deepEqual([g.nodes[0].inputs, g.nodes[0].outputs], [['x'], ['y']]);
      await compareWithOrt(model, x(), { tolerance, atol: tolerance });
    });

  it('leaves alone other slopes, offsets and bounds, and intermediates read elsewhere', async () => {
    assertUntouched(elementwiseModel([hardSigmoid(0.2), { opType: 'Mul', inputs: ['x', 'h'], outputs: ['y'] }], []), hardSwishForms);
    assertUntouched(elementwiseModel([hardSigmoid(1 / 6), { opType: 'Mul', inputs: ['h', 'h'], outputs: ['y'] }], []), hardSwishForms);
    assertUntouched(paddleHardSwish({ opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }, { offset: 2 }), hardSwishForms);
    assertUntouched(paddleHardSwish({ opType: 'Div', inputs: ['m', 'six'], outputs: ['y'] }, { hi: 5 }), hardSwishForms);
    assertUntouched(paddleHardSwish({ opType: 'Div', inputs: ['six', 'm'], outputs: ['y'] }), hardSwishForms);
    const exposed = elementwiseModel([hardSigmoid(1 / 6), { opType: 'Mul', inputs: ['x', 'h'], outputs: ['y'] }], [], 13, ['h']);
    assertUntouched(exposed, hardSwishForms);
    await compareWithOrt(exposed, x(), { tolerance: 0 });
  });
});

// ---------------------------------------------------------------------------
// fusePostOp

/** x [2, 3, 6, 6] -> Conv 3x3 pads 1 (c) -> `tail` -> y; `r` [2, 4, 6, 6] a second input for residuals. */
function convTail(tail: OnnxNode[], { bias = true, extraOutputs = [] as string[], residualFirst = false } = {}): OnnxGraph {
  const conv: OnnxNode = { opType: 'Conv', name: 'conv', inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['c'], attributes: { pads: [1, 1, 1, 1] } };
  // A residual computed after the conv in node order: the pass must re-sort the nodes.
  const rNode: OnnxNode = { opType: 'Relu', name: 'r', inputs: ['r_in'], outputs: ['r'] };
  return {
    opset: 14,
    nodes: residualFirst ? [rNode, conv, ...tail] : [conv, rNode, ...tail],
    initializers: [f32('w', [4, 3, 3, 3]), f32('b', [4])],
    inputs: [{ name: 'x', type: 'float', dims: [2, 3, 6, 6] }, { name: 'r_in', type: 'float', dims: [2, 4, 6, 6] }],
    outputs: ['y', ...extraOutputs].map((name) => ({ name, type: 'float' as const, dims: null })),
  };
}

describe('passes: fusePostOp', () => {
  const feeds = () => ({ x: feed([2, 3, 6, 6], 2), r_in: feed([2, 4, 6, 6], 2) });
  const hs = (input: string): OnnxNode => ({ opType: 'HardSwish', inputs: [input], outputs: ['y'] });

  it('fuses Conv + HardSwish and Conv + HardSigmoid(alpha, beta)', async () => {
    const model = convTail([hs('c')]);
    const g = graphOf(model);
    assert.equal(fusePostOp(g), true);
    assert.deepEqual(opTypes(g), ['Conv', 'Relu']);
    assert.equal(g.nodes[0].attributes.get(FUSED_KIND)?.value, 'hardswish');
    assert.deepEqual(g.nodes[0].outputs, ['y']);
    await compareWithOrt(model, feeds(), { tolerance: 1e-5, atol: 1e-6 });
    const sigmoid = convTail([{ opType: 'HardSigmoid', inputs: ['c'], outputs: ['y'], attributes: { alpha: 0.25, beta: 0.4 }, floatAttributes: ['alpha', 'beta'] }]);
    const g2 = graphOf(sigmoid);
    assert.equal(fusePostOp(g2), true);
    assert.deepEqual([attr(g2, 0, FUSED_KIND), attr(g2, 0, FUSED_ALPHA), attr(g2, 0, FUSED_BETA)], ['hardsigmoid', Math.fround(0.25), Math.fround(0.4)]);
    await compareWithOrt(sigmoid, feeds(), { tolerance: 1e-5, atol: 1e-6 });
  });

  it('fuses Gemm + HardSwish, and leaves a MatMul + HardSwish alone', async () => {
    const model = withActivation('Gemm', { opType: 'HardSwish', inputs: ['p'], outputs: ['y'] }, 14);
    const g = graphOf(model);
    assert.equal(fusePostOp(g), true);
    assert.deepEqual(opTypes(g), ['Gemm']);
    assert.equal(attr(g, 0, FUSED_KIND), 'hardswish');
    await compareWithOrt(model, { x: feed([3, 6], 4) }, { tolerance: 1e-5, atol: 1e-6 });
    assertUntouched(withActivation('MatMul', { opType: 'HardSwish', inputs: ['p'], outputs: ['y'] }, 14), fusePostOp);
  });

  const residuals: [string, OnnxGraph, string | undefined][] = [
    ['Conv + Add(residual) + Relu, the residual produced after the conv', convTail([{ opType: 'Add', inputs: ['c', 'r'], outputs: ['s'] }, { opType: 'Relu', inputs: ['s'], outputs: ['y'] }]), 'relu'],
    ['Conv without bias + Add(residual first) + HardSwish', convTail([{ opType: 'Add', inputs: ['r', 'c'], outputs: ['s'] }, hs('s')], { bias: false, residualFirst: true }), 'hardswish'],
    ['Conv + Add(residual), no activation', convTail([{ opType: 'Add', inputs: ['c', 'r'], outputs: ['y'] }]), undefined],
  ];
  for (const [what, model, act] of residuals)
    it(`fuses ${what} into the conv's call`, async () => {
      const g = graphOf(model);
      assert.equal(fusePostOp(g), true);
      assert.deepEqual(opTypes(g), ['Relu', 'Conv']);
      const conv = g.nodes[1];
      assert.equal(conv.inputs[3], 'r');
      assert.equal(conv.inputs[2], model.nodes.find((n) => n.opType === 'Conv')!.inputs[2] ?? '');
      assert.equal(conv.attributes.get(FUSED_RESIDUAL)?.value, 1);
      assert.deepEqual(conv.outputs, ['y']);
      if (act === 'relu') assert.deepEqual([conv.attributes.get(FUSED_MIN)?.value, conv.attributes.get(FUSED_MAX)?.value], [0, Infinity]);
      if (act === 'hardswish') assert.equal(conv.attributes.get(FUSED_KIND)?.value, 'hardswish');
      await compareWithOrt(model, feeds(), { tolerance: 1e-5, atol: 1e-6 });
    });

  it('adds a per-channel residual ([1, C, 1, 1]) without materializing the broadcast', async () => {
    const base = convTail([{ opType: 'Add', inputs: ['c', 'bias2'], outputs: ['y'] }]);
    const model = { ...base, initializers: [...base.initializers!, f32('bias2', [1, 4, 1, 1])] };
    const g = graphOf(model);
    assert.equal(fusePostOp(g), true);
    await compareWithOrt(model, feeds(), { tolerance: 1e-5, atol: 1e-6 });
  });

  it('leaves alone a conv with a fused clamp (it would run before the add), a conv output read twice, Add(c, c) and other activations', async () => {
    const clamped = convTail([{ opType: 'Relu', inputs: ['c'], outputs: ['a'] }, { opType: 'Add', inputs: ['a', 'r'], outputs: ['y'] }]);
    const g = graphOf(clamped);
    fuseActivation(g);
    const before = structuredClone(g);
    assert.equal(fusePostOp(g), false);
    assert.deepStrictEqual(g, before);
    await compareWithOrt(clamped, feeds(), { tolerance: 1e-5, atol: 1e-6 });
    assertUntouched(convTail([hs('c')], { extraOutputs: ['c'] }), fusePostOp);
    assertUntouched(convTail([{ opType: 'Add', inputs: ['c', 'c'], outputs: ['y'] }]), fusePostOp);
    assertUntouched(convTail([{ opType: 'Sigmoid', inputs: ['c'], outputs: ['y'] }]), fusePostOp);
  });
});
