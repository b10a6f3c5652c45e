/**
 * The nhwc-layout pass alone on small graphs: which nodes move, where the
 * transposes go (one per value, at the region's edges only), how broadcast
 * constants are rewritten, and the graphs it must leave as they are. The
 * conv predicate is injected (every 1x1 conv here), so the structure is
 * checked apart from which convs the NHWC operator runs. Then sessions with
 * option layout 'nhwc' (the real predicate, ops/conv-nhwc.ts) against
 * onnxruntime on the same kinds of graphs, and the option's checks.
 */
import assert from 'node:assert/strict';

import { buildGraph, type Graph } from '../../src/runtime/graph.js';
import type { OnnxNode as GraphNode } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { isNhwc } from '../../src/runtime/ops/nhwc.js';
import { Attributes } from '../../src/runtime/ops/op.js';
import { chooseNhwc, type ConvCostEstimate } from '../../src/runtime/passes/nhwc-choice.js';
import { nhwcLayout, TO_NCHW, TO_NHWC, type NhwcConvPredicate } from '../../src/runtime/passes/nhwc-layout.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { assertClose, randomFloats, rng } from '../helpers.js';
import { compareWithOrt } from './ort-compare.js';

const r = rng(41);
const C = 4;
const f32 = (name: string, dims: number[], data: Float32Array = randomFloats(sizeOf(dims), r)): OnnxTensor => ({ name, type: 'float', dims, data });

/** The stand-in for nhwcConv: 1x1 convs move, others stay. */
const pointwise: NhwcConvPredicate = (node, constants) => constants.get(node.inputs[1])?.dims[2] === 1;

function graphOf(model: OnnxGraph): Graph {
  return buildGraph(readOnnx(encodeOnnxModel(model)));
}

const conv = (name: string, x: string, y: string, k = 1): OnnxNode => ({ opType: 'Conv', name, inputs: [x, k === 1 ? 'w1' : 'w3'], outputs: [y], attributes: k === 1 ? {} : { pads: [1, 1, 1, 1] } });
const weights = () => [f32('w1', [C, C, 1, 1]), f32('w3', [C, C, 3, 3])];
const model = (nodes: OnnxNode[], outputs: string[], initializers: OnnxTensor[] = []): OnnxGraph => ({
  opset: 13,
  nodes,
  initializers: [...weights(), ...initializers],
  inputs: [{ name: 'x', type: 'float', dims: ['n', C, 5, 5] }],
  outputs: outputs.map((name) => ({ name, type: 'float', dims: null })),
});

const node = (g: Graph, name: string): GraphNode => {
  const found = g.nodes.find((n) => n.name === name);
  assert.ok(found, `no node "${name}"`);
  return found;
};
const transposes = (g: Graph) => g.nodes.filter((n) => n.opType === 'Transpose');
const perm = (n: GraphNode) => new Attributes(n).ints('perm');
const moved = (g: Graph) => g.nodes.filter((n) => isNhwc(new Attributes(n))).map((n) => n.name);

/** Every value read is produced before (topological order), and the graph outputs are still produced. */
function assertWellFormed(g: Graph): void {
  const ready = new Set(['', ...g.constants.keys(), ...g.inputs.map((i) => i.name)]);
  for (const n of g.nodes) {
    for (const i of n.inputs) assert.ok(ready.has(i), `node "${n.name}" reads "${i}" before it is produced`);
    for (const o of n.outputs) ready.add(o);
  }
  for (const o of g.outputs) assert.ok(ready.has(o.name), `graph output "${o.name}" is not produced`);
}

describe('passes: nhwcLayout', () => {
  it('moves a run of convs and the activations between them, with one transpose in and one out', () => {
    const g = graphOf(model([conv('c1', 'x', 'a'), { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['b'] }, conv('c2', 'b', 'y')], ['y']));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(moved(g), ['c1', 'relu', 'c2']);
    const [into, out] = transposes(g);
    assert.equal(transposes(g).length, 2);
    assert.deepEqual([into.inputs, perm(into)], [['x'], TO_NHWC]);
    assert.deepEqual(node(g, 'c1').inputs[0], into.outputs[0]);
    assert.deepEqual([out.outputs, perm(out)], [['y'], TO_NCHW]);
    assert.deepEqual(out.inputs, node(g, 'c2').outputs);
    // Values whose layout changed have new names; the model's own names keep their NCHW meaning.
    assert.ok(!g.nodes.some((n) => n.outputs.includes('a') || n.outputs.includes('b')));
    assert.deepEqual(g.outputs.map((o) => o.name), ['y']);
    assert.deepEqual(g.inputs.map((i) => i.name), ['x']);
  });

  it('transposes a value read by several moved nodes once, and one read inside and outside once each way', () => {
    const g = graphOf(model([
      conv('c1', 'x', 'a'),
      conv('c2', 'x', 'b'),
      { opType: 'Add', name: 'add', inputs: ['a', 'b'], outputs: ['s'] },
      { opType: 'Flatten', name: 'flat', inputs: ['a'], outputs: ['f'] },
      conv('c3', 's', 'y'),
    ], ['y', 'f', 's']));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(moved(g).sort(), ['add', 'c1', 'c2', 'c3']);
    const t = transposes(g);
    assert.equal(t.filter((n) => n.inputs[0] === 'x').length, 1, 'one transpose of x for both convs');
    assert.equal(node(g, 'c1').inputs[0], node(g, 'c2').inputs[0]);
    // a: read by Flatten (NCHW) and by the moved Add; s: a graph output and read by c3.
    assert.deepEqual(t.map((n) => n.outputs[0]).sort(), ['a', 's', 'y', t.find((n) => n.inputs[0] === 'x')!.outputs[0]].sort());
    assert.deepEqual(node(g, 'flat').inputs, ['a']);
    assert.equal(node(g, 'add').inputs[0], node(g, 'c1').outputs[0]);
    assert.equal(node(g, 'c3').inputs[0], node(g, 'add').outputs[0]);
  });

  it('leaves a graph with no conv the predicate accepts unchanged (3x3 convs, elementwise nodes alone)', () => {
    for (const nodes of [
      [conv('c1', 'x', 'a', 3), { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['y'] }],
      [{ opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['a'] }, { opType: 'Add', name: 'add', inputs: ['a', 'x'], outputs: ['y'] }],
    ] as OnnxNode[][]) {
      const g = graphOf(model(nodes, ['y']));
      const before = structuredClone(g);
      assert.equal(nhwcLayout(g, pointwise), false);
      assert.deepEqual(g, before);
    }
  });

  it('moves a conv whose output is a graph output, which leaves in NCHW under its own name', () => {
    const g = graphOf(model([conv('c1', 'x', 'y')], ['y']));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(g.nodes.map((n) => n.opType), ['Transpose', 'Conv', 'Transpose']);
    assert.deepEqual(g.nodes[2].outputs, ['y']);
  });

  it('keeps NCHW-only nodes and the elementwise runs no seed reaches out, transposing at the boundary', () => {
    const g = graphOf(model([
      { opType: 'Relu', name: 'pre', inputs: ['x'], outputs: ['p'] },
      { opType: 'AveragePool', name: 'pool', inputs: ['p'], outputs: ['q'], attributes: { kernel_shape: [2, 2] } },
      conv('c1', 'q', 'a'),
      { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['b'] },
      { opType: 'Reshape', name: 'reshape', inputs: ['b', 'shape'], outputs: ['r'] },
      conv('c2', 'b', 'c'),
      { opType: 'Add', name: 'add', inputs: ['c', 'r'], outputs: ['y'] },
    ], ['y'], [{ name: 'shape', type: 'int64', dims: [4], data: BigInt64Array.from([0, 0, 0, 0].map(BigInt)) }]));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    // pre: elementwise but only reaches the conv through AveragePool (NCHW only); add: reads a Reshape's output, whose rank is unknown.
    assert.deepEqual(moved(g), ['c1', 'relu', 'c2']);
    assert.deepEqual(node(g, 'reshape').inputs, ['b', 'shape']);
    assert.deepEqual(node(g, 'add').inputs, ['c', 'r']);
    assert.deepEqual(transposes(g).map((t) => t.outputs[0]).sort(), ['b', 'c', node(g, 'c1').inputs[0]].sort());
    assert.deepEqual(transposes(g).find((t) => t.outputs[0] === node(g, 'c1').inputs[0])!.inputs, ['q']);
  });

  it('rewrites broadcast constants to NHWC, leaving the original for NCHW readers', () => {
    const bias = f32('bias', [C, 1, 1]);
    const plane = f32('plane', [1, C, 5, 5]);
    const g = graphOf(model([
      conv('c1', 'x', 'a'),
      { opType: 'Add', name: 'add', inputs: ['a', 'bias'], outputs: ['b'] },
      { opType: 'Mul', name: 'mul', inputs: ['plane', 'b'], outputs: ['c'] },
      { opType: 'Div', name: 'div', inputs: ['c', 'two'], outputs: ['y'] },
      { opType: 'Add', name: 'side', inputs: ['x', 'bias'], outputs: ['z'] },
    ], ['y', 'z'], [bias, plane, f32('two', [], Float32Array.of(2))]));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(moved(g), ['c1', 'add', 'mul', 'div']);
    const newBias = g.constants.get(node(g, 'add').inputs[1])!;
    assert.deepEqual(newBias.dims, [1, 1, 1, C]);
    assert.deepEqual([...newBias.data], [...bias.data]);
    const newPlane = g.constants.get(node(g, 'mul').inputs[0])!;
    assert.deepEqual(newPlane.dims, [1, 5, 5, C]);
    // [1, C, 5, 5] -> [1, 5, 5, C]: element (h, w, c) is plane's (c, h, w).
    for (const [h, w, c] of [[0, 0, 1], [2, 3, 0], [4, 4, 3]]) assert.equal(newPlane.data[(h * 5 + w) * C + c], plane.data[(c * 5 + h) * 5 + w]);
    assert.deepEqual(g.constants.get(node(g, 'div').inputs[1])!.dims, [1, 1, 1, 1]);
    assert.deepEqual(node(g, 'side').inputs, ['x', 'bias']);
    assert.deepEqual(g.constants.get('bias')!.dims, [C, 1, 1]);
  });

  it('moves DequantizeLinear / QuantizeLinear with per-tensor parameters, not per-axis ones', () => {
    const scale = f32('s', [], Float32Array.of(0.05));
    const zero: OnnxTensor = { name: 'z', type: 'uint8', dims: [], data: Uint8Array.of(128) };
    const perAxis = f32('sc', [C], Float32Array.of(0.1, 0.2, 0.3, 0.4));
    const g = graphOf(model([
      conv('c1', 'x', 'a'),
      { opType: 'QuantizeLinear', name: 'q', inputs: ['a', 's', 'z'], outputs: ['qa'] },
      { opType: 'DequantizeLinear', name: 'dq', inputs: ['qa', 's', 'z'], outputs: ['da'] },
      { opType: 'QuantizeLinear', name: 'q2', inputs: ['da', 'sc'], outputs: ['y'], attributes: { axis: 1 } },
    ], ['y'], [scale, zero, perAxis]));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(moved(g), ['c1', 'q', 'dq']);
    assert.deepEqual(node(g, 'q2').inputs, ['da', 'sc']);
  });

  it('moves a residual conv with its residual input', () => {
    const g = graphOf(model([
      conv('c1', 'x', 'a'),
      { opType: 'Conv', name: 'c2', inputs: ['a', 'w1', '', 'x'], outputs: ['y'], attributes: { sparq_residual: 1 } },
    ], ['y']));
    assert.equal(nhwcLayout(g, pointwise), true);
    assertWellFormed(g);
    assert.deepEqual(moved(g), ['c1', 'c2']);
    assert.equal(node(g, 'c2').inputs[3], node(g, 'c1').inputs[0], 'the residual reads the one transpose of x');
    assert.equal(transposes(g).length, 2);
  });
});

describe("passes: chooseNhwc (layout 'auto')", () => {
  const any: NhwcConvPredicate = () => true;
  // Dense models: no conv the estimate calls sparse, the structural rule decides.
  const dense: ConvCostEstimate = () => undefined;
  const head = (x: string): OnnxNode[] => [
    { opType: 'GlobalAveragePool', name: 'gap', inputs: [x], outputs: ['g'] },
    { opType: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['y'] },
  ];

  it('does not count a global pool leaving the region (a view): a stem left NCHW, then 1x1 convs and the pool', () => {
    const g = graphOf(model([conv('c1', 'x', 'a', 3), conv('c2', 'a', 'b'), conv('c3', 'b', 'c'), ...head('c')], ['y']));
    assert.equal(chooseNhwc(g, pointwise, dense), pointwise);
  });

  it('takes one conv left NCHW at an end of the region (a stem), not one between moved convs', () => {
    assert.equal(chooseNhwc(graphOf(model([conv('c1', 'x', 'a', 3), conv('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y'])), pointwise, dense), pointwise);
    assert.equal(chooseNhwc(graphOf(model([conv('c1', 'x', 'a'), conv('c2', 'a', 'b', 3), conv('c3', 'b', 'y')], ['y'])), pointwise, dense), undefined);
  });

  it('moves dense models of 3x3 convs alone (the shifted GEMM pays too), and leaves a model with no conv that moves NCHW', () => {
    assert.equal(chooseNhwc(graphOf(model([conv('c1', 'x', 'a', 3), conv('c2', 'a', 'y', 3)], ['y'])), any, dense), any);
    assert.equal(chooseNhwc(graphOf(model([conv('c1', 'x', 'a', 3), ...head('a')], ['y'])), pointwise, dense), undefined);
  });

  // Pruned models: ns per output pixel of each conv (C = 4 channels in and out, 25 pixels), 0.5 ns per value transposed.
  const estimate = (table: Record<string, [nchw: number, nhwc: number, nchwPerImage?: number]>): ConvCostEstimate => (n) =>
    table[n.name] && { nchw: table[n.name][0], nhwc: table[n.name][1], nchwPerImage: table[n.name][2] ?? 0, channels: C, outChannels: C, sparse: true };
  const chain = () => graphOf(model([conv('c1', 'x', 'a'), conv('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y']));

  it('moves a pruned conv that NHWC slows by less than the two transposes leaving it NCHW would cost, when the savings pay the edges', () => {
    const g = chain();
    // c1 and c3 lose 2 ns a pixel in NHWC (under the 4 of their transposes), c2 saves 20: 16 x 25 against the edges' 2 x 4 x 25 x 0.5.
    const moving = chooseNhwc(g, any, estimate({ c1: [10, 12], c2: [30, 10], c3: [10, 12] }));
    assert.ok(moving);
    assert.deepEqual(g.nodes.filter((n) => moving(n, g.constants)).map((n) => n.name), ['c1', 'c2', 'c3']);
  });

  it('leaves a pruned conv that NHWC slows by more than its transposes NCHW, and takes NHWC only if the rest still saves more than the transposes', () => {
    const g = chain();
    const moving = chooseNhwc(g, any, estimate({ c1: [10, 100], c2: [30, 10], c3: [10, 100] }));
    assert.ok(moving, 'c2 saves 20 x 25 ns, its two transposes cost 2 x 4 x 25 x 0.5');
    assert.deepEqual(g.nodes.filter((n) => moving(n, g.constants)).map((n) => n.name), ['c2']);
    assert.equal(chooseNhwc(g, any, estimate({ c1: [10, 100], c2: [12, 10], c3: [10, 100] })), undefined, 'c2 saves 2 x 25, less than its transposes');
  });

  it('weighs each conv by its pixels: a stride-2 conv\'s savings count a quarter', () => {
    const strided = (name: string, x: string, y: string): OnnxNode => ({ ...conv(name, x, y), attributes: { strides: [2, 2] } });
    const g = graphOf(model([conv('c1', 'x', 'a'), strided('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y']));
    // c2 alone moves (c1, c3 lose more than their transposes): 25 / 4 output pixels, its transposes 4 x 25 x 0.5 in and 4 x 25 / 4 x 0.5 out.
    assert.equal(chooseNhwc(g, any, estimate({ c1: [10, 100], c2: [20, 10], c3: [10, 100] })), undefined, 'saves 10 x 25 / 4 = 62.5, as much as its transposes');
    assert.ok(chooseNhwc(g, any, estimate({ c1: [10, 100], c2: [21, 10], c3: [10, 100] })), 'saves 11 x 25 / 4');
  });

  it("spreads a conv's NCHW per-image cost over its output pixels per image, where the input's size is known", () => {
    const g = chain();
    // c3 costs 10 + 2500 / 25 = 110 ns a pixel NCHW: NHWC's 100 is cheaper, so it moves with c2.
    const moving = chooseNhwc(g, any, estimate({ c1: [10, 100], c2: [30, 10], c3: [10, 100, 2500] }));
    assert.ok(moving);
    assert.deepEqual(g.nodes.filter((n) => moving(n, g.constants)).map((n) => n.name), ['c2', 'c3']);
    // An input of unknown size: pixels are relative, so the per-image cost has nothing to spread over and counts nothing.
    const unsized = graphOf({ ...model([conv('c1', 'x', 'a'), conv('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y']), inputs: [{ name: 'x', type: 'float', dims: ['n', C, 'h', 'w'] }] });
    const kept = chooseNhwc(unsized, any, estimate({ c1: [10, 100], c2: [30, 10], c3: [10, 100, 2500] }));
    assert.ok(kept);
    assert.deepEqual(unsized.nodes.filter((n) => kept(n, unsized.constants)).map((n) => n.name), ['c2']);
  });
});

describe("sessions: option layout", () => {
  const feeds = () => ({ x: value('float32', [2, C, 5, 5], randomFloats(2 * C * 25, r)) });
  const opTypes = async (m: OnnxGraph, layout?: 'auto' | 'nchw' | 'nhwc', optimize?: boolean) => {
    const session = await InferenceSession.create(encodeOnnxModel(m), { layout, optimize });
    const ops = session.profile().map((p) => p.opType);
    await session.release();
    return ops;
  };
  const relu = (x: string, y: string): OnnxNode => ({ opType: 'Relu', name: `relu_${y}`, inputs: [x], outputs: [y] });
  /** A conv the NHWC operator leaves NCHW: 2 groups of 2 channels (grouped, not depthwise). */
  const grouped = (name: string, x: string, y: string): OnnxNode => ({ opType: 'Conv', name, inputs: [x, 'wg'], outputs: [y], attributes: { group: 2, pads: [1, 1, 1, 1] } });
  const wg = () => f32('wg', [C, C / 2, 3, 3]);
  /** 1x1 convs with a residual Add, a per-channel scale, ReLU6, and a value also read by an NCHW node. */
  const pointwiseNet = () => model([
    conv('c1', 'x', 'a'),
    relu('a', 'b'),
    conv('c2', 'b', 'c'),
    { opType: 'Add', name: 'res', inputs: ['c', 'x'], outputs: ['d'] },
    { opType: 'Mul', name: 'scale', inputs: ['d', 'gamma'], outputs: ['e'] },
    { opType: 'Clip', name: 'relu6', inputs: ['e', 'lo', 'hi'], outputs: ['y'] },
    { opType: 'Flatten', name: 'flat', inputs: ['b'], outputs: ['f'] },
  ], ['y', 'f'], [f32('gamma', [C, 1, 1]), f32('lo', [], Float32Array.of(0)), f32('hi', [], Float32Array.of(0.5))]);

  it("runs a graph of 1x1 convs with layout 'nhwc' as onnxruntime does, its transposes at the edges", async () => {
    await compareWithOrt(pointwiseNet(), feeds(), { tolerance: 1e-5, atol: 1e-6, session: { layout: 'nhwc' } });
    const ops = await opTypes(pointwiseNet(), 'nhwc');
    // x in (read by c1 and the residual), b out (for Flatten), y out.
    assert.equal(ops.filter((o) => o === 'Transpose').length, 3, ops.join(', '));
  });

  it("transposes around the convs the NHWC operator does not run (a grouped one here), whatever they sit between", async () => {
    const m = model([conv('c1', 'x', 'a'), relu('a', 'b'), grouped('c2', 'b', 'c'), conv('c3', 'c', 'y')], ['y'], [wg()]);
    await compareWithOrt(m, feeds(), { tolerance: 1e-5, atol: 1e-6, session: { layout: 'nhwc' } });
    assert.equal((await opTypes(m, 'nhwc')).filter((o) => o === 'Transpose').length, 4);
  });

  it("'auto' moves a model needing at most one transpose inside it, not one with a conv left NCHW between moved ones, nor with the passes off; 'nchw' never", async () => {
    const between = model([conv('c1', 'x', 'a'), grouped('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y'], [wg()]);
    const stem = model([grouped('c1', 'x', 'a'), conv('c2', 'a', 'b'), conv('c3', 'b', 'y')], ['y'], [wg()]);
    assert.ok((await opTypes(pointwiseNet())).includes('Transpose'));
    assert.ok((await opTypes(stem)).includes('Transpose'));
    assert.ok(!(await opTypes(between)).includes('Transpose'));
    assert.ok(!(await opTypes(pointwiseNet(), 'auto', false)).includes('Transpose'));
    assert.ok(!(await opTypes(pointwiseNet(), 'nchw')).includes('Transpose'));
  });

  it('keeps model names meaning NCHW: a value read outside the region is fetched NCHW, one inside is no value of the session', async () => {
    const bytes = encodeOnnxModel(pointwiseNet());
    const [nchw, nhwc] = await Promise.all((['nchw', 'nhwc'] as const).map((layout) => InferenceSession.create(bytes, { layout })));
    const x = feeds();
    const expected = nchw.runSync(x, ['b']).b;
    const actual = nhwc.runSync(x, ['b']).b;
    assert.deepEqual(actual.dims, [2, C, 5, 5]);
    // Float sums in another order (the NHWC GEMM against the NCHW direct kernel, at every ISA cap): close, not equal.
    assertClose(actual.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-6, 'b fetched from the NHWC session');
    assert.ok(!nhwc.valueNames().includes('a'));
    assert.throws(() => nhwc.runSync(x, ['a']), TypeError);
    await nchw.release();
    await nhwc.release();
  });

  it('rejects a layout it does not know (RangeError, as for options.sparsity) and nhwc on a webgpu session (TypeError), naming options.layout', async () => {
    const bytes = encodeOnnxModel(pointwiseNet());
    await assert.rejects(InferenceSession.create(bytes, { layout: 'NHWC' as 'nhwc' }), (e: Error) => e instanceof RangeError && e.message.includes('options.layout'));
    await assert.rejects(InferenceSession.create(bytes, { layout: 'nhwc', backend: 'webgpu' }), (e: Error) => e instanceof TypeError && e.message.includes('options.layout'));
  });
});
