/**
 * The nhwc-edges pass (run at the end of nhwcLayout): an entering
 * [0, 2, 3, 1] Transpose that only moved QuantizeLinear nodes read is folded
 * into them (they read the NCHW value and write NHWC bytes), and every other
 * transpose, a float stem's included, is left alone. Sessions running the
 * fused quantize give the NCHW session's bytes:
 * test/runtime/models.test.ts compares the int8 benchmark models in both
 * layouts exactly. */
import assert from 'node:assert/strict';

import { buildGraph, type Graph } from '../../src/runtime/graph.js';
import type { OnnxNode as GraphNode } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode } from '../../src/runtime/onnx/write.js';
import { INPUT_LAYOUT_ATTRIBUTE, LAYOUT_ATTRIBUTE, NHWC, readsNchw, TO_NCHW, TO_NHWC } from '../../src/runtime/ops/nhwc.js';
import { Attributes } from '../../src/runtime/ops/op.js';
import { fuseEdgeQuantize } from '../../src/runtime/passes/nhwc-edges.js';
import { nhwcLayout, type NhwcConvPredicate } from '../../src/runtime/passes/nhwc-layout.js';

const C = 3;
const pointwise: NhwcConvPredicate = (node, constants) => constants.get(node.inputs[1])?.dims[2] === 1;

function graphOf(nodes: OnnxNode[], outputs: string[]): Graph {
  const model: OnnxGraph = {
    opset: 13,
    nodes,
    initializers: [
      { name: 's', type: 'float', dims: [], data: Float32Array.of(0.05) },
      { name: 'z', type: 'uint8', dims: [], data: Uint8Array.of(128) },
      { name: 'w', type: 'float', dims: [C, C, 1, 1], data: new Float32Array(C * C).fill(0.5) },
      { name: 'stem', type: 'float', dims: [4, C, 3, 3], data: new Float32Array(4 * C * 9).fill(0.25) },
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['n', C, 5, 5] }],
    outputs: outputs.map((name) => ({ name, type: 'float', dims: null })),
  };
  return buildGraph(readOnnx(encodeOnnxModel(model)));
}

const q = (name: string, x: string, y: string): OnnxNode => ({ opType: 'QuantizeLinear', name, inputs: [x, 's', 'z'], outputs: [y] });
const dq = (name: string, x: string, y: string): OnnxNode => ({ opType: 'DequantizeLinear', name, inputs: [x, 's', 'z'], outputs: [y] });
const transpose = (name: string, x: string, y: string, perm: number[]): OnnxNode => ({ opType: 'Transpose', name, inputs: [x], outputs: [y], attributes: { perm } });
const conv = (name: string, x: string, y: string, w = 'w', attributes?: OnnxNode['attributes']): OnnxNode => ({ opType: 'Conv', name, inputs: [x, w], outputs: [y], attributes });

const node = (g: Graph, name: string): GraphNode => g.nodes.find((n) => n.name === name)!;
const transposes = (g: Graph) => g.nodes.filter((n) => n.opType === 'Transpose');
const markNhwc = (n: GraphNode) => n.attributes.set(LAYOUT_ATTRIBUTE, { type: 'string', value: NHWC });

describe('passes: nhwc-edges (fuseEdgeQuantize)', () => {
  it('nhwcLayout leaves a float model\'s stem conv behind its transpose (the NHWC stem after a vectorized interleave is as fast)', () => {
    const g = graphOf([conv('stem', 'x', 'a', 'stem', { strides: [2, 2], pads: [1, 1, 1, 1] }), { opType: 'Relu', name: 'relu', inputs: ['a'], outputs: ['y'] }], ['y']);
    assert.equal(nhwcLayout(g, () => true), true);
    const stem = node(g, 'stem');
    assert.equal(readsNchw(new Attributes(stem)), false);
    assert.deepEqual(transposes(g).map((t) => new Attributes(t).ints('perm')), [TO_NHWC, TO_NCHW]);
    assert.equal(stem.inputs[0], transposes(g)[0].outputs[0]);
  });

  it('nhwcLayout lets the QuantizeLinear of a QDQ model\'s float input read it NCHW, with no transpose into the region', () => {
    const g = graphOf([q('q', 'x', 'xq'), dq('dq', 'xq', 'xd'), conv('c', 'xd', 'y')], ['y']);
    assert.equal(nhwcLayout(g, pointwise), true);
    const quantize = node(g, 'q');
    assert.deepEqual(quantize.inputs, ['x', 's', 'z']);
    assert.equal(readsNchw(new Attributes(quantize)), true);
    // Only the transpose out remains.
    assert.deepEqual(transposes(g).map((t) => new Attributes(t).ints('perm')), [TO_NCHW]);
  });

  it('fuses one transpose into every moved QuantizeLinear that reads it', () => {
    const g = graphOf([transpose('t', 'x', 'xt', TO_NHWC), q('q1', 'xt', 'a'), q('q2', 'xt', 'b'), dq('d1', 'a', 'y1'), dq('d2', 'b', 'y2')], ['y1', 'y2']);
    for (const n of ['q1', 'q2']) markNhwc(node(g, n));
    assert.equal(fuseEdgeQuantize(g), true);
    assert.equal(transposes(g).length, 0);
    for (const n of ['q1', 'q2']) {
      assert.equal(node(g, n).inputs[0], 'x');
      assert.equal(new Attributes(node(g, n)).string(INPUT_LAYOUT_ATTRIBUTE, ''), 'NCHW');
    }
  });

  const unchanged = (g: Graph) => {
    const before = JSON.stringify(g.nodes.map((n) => [n.name, n.inputs, [...n.attributes.keys()]]));
    assert.equal(fuseEdgeQuantize(g), false);
    assert.equal(JSON.stringify(g.nodes.map((n) => [n.name, n.inputs, [...n.attributes.keys()]])), before);
  };

  it('leaves a transpose another node also reads', () => {
    const g = graphOf([transpose('t', 'x', 'xt', TO_NHWC), q('q', 'xt', 'a'), { opType: 'Relu', name: 'relu', inputs: ['xt'], outputs: ['r'] }, dq('d', 'a', 'y')], ['y', 'r']);
    markNhwc(node(g, 'q'));
    unchanged(g);
  });

  it('leaves a transpose that is a graph output, one of another perm, and one into a QuantizeLinear that did not move', () => {
    const output = graphOf([transpose('t', 'x', 'xt', TO_NHWC), q('q', 'xt', 'a'), dq('d', 'a', 'y')], ['y', 'xt']);
    markNhwc(node(output, 'q'));
    unchanged(output);
    const otherPerm = graphOf([transpose('t', 'x', 'xt', TO_NCHW), q('q', 'xt', 'a'), dq('d', 'a', 'y')], ['y']);
    markNhwc(node(otherPerm, 'q'));
    unchanged(otherPerm);
    unchanged(graphOf([transpose('t', 'x', 'xt', TO_NHWC), q('q', 'xt', 'a'), dq('d', 'a', 'y')], ['y']));
  });

  it('leaves a transpose a moved conv reads, alone or beside a moved QuantizeLinear', () => {
    const alone = graphOf([transpose('t', 'x', 'xt', TO_NHWC), conv('c', 'xt', 'y', 'stem')], ['y']);
    markNhwc(node(alone, 'c'));
    unchanged(alone);
    const beside = graphOf([transpose('t', 'x', 'xt', TO_NHWC), conv('c', 'xt', 'a', 'stem'), q('q', 'xt', 'b'), dq('d', 'b', 'y2')], ['a', 'y2']);
    for (const n of ['c', 'q']) markNhwc(node(beside, n));
    unchanged(beside);
  });

  it('leaves a QuantizeLinear that reads the transposed value as its scale too', () => {
    const g = graphOf([transpose('t', 'x', 'xt', TO_NHWC), { opType: 'QuantizeLinear', name: 'q', inputs: ['xt', 'xt', 'z'], outputs: ['a'] }, dq('d', 'a', 'y')], ['y']);
    markNhwc(node(g, 'q'));
    unchanged(g);
  });
});
