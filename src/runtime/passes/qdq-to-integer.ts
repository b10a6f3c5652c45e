/**
 * QDQ models (onnxruntime's quantization tool, PyTorch and TF exports) wrap
 * every float operator in DequantizeLinear -> op -> QuantizeLinear. These
 * rewrites run them on the integer kernels instead, so an int8 model stays
 * int8 from layer to layer (onnxruntime's QDQ transformer does the same):
 *
 *   DQ(x) -> Conv(DQ(w), DQ(b)) [fused clamp] -> Q   =>  QLinearConv(x, w, b) [clamp]
 *   DQ(x) -> MatMul(DQ(w)) / Gemm(DQ(w), DQ(b)) -> Q =>  QLinearMatMul(x, w [K, N], b) [clamp]
 *   DQ(x) -> MaxPool / Flatten / Reshape / ... -> Q, same scale and zero point
 *                                                    =>  the op on x itself
 *
 * Weights and biases must be constants; the bias must be int32 (the tool
 * quantizes it at scale x_scale * w_scale). A pattern that does not match
 * exactly is left as it is and runs in float. Afterwards nodes whose
 * outputs nothing reads (the DQ/Q pairs the rewrites bypassed) are dropped.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { tensor } from '../../tensor.js';
import type { Graph } from '../graph.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import { Attributes } from '../ops/op.js';
import { value } from '../value.js';
import { addConstant, constantInput, producer, removeNodes, soleConsumer } from './edit.js';

/** Ops that only move or select 8-bit values, so they commute with (de)quantization at equal parameters. */
const PASS_THROUGH = new Set(['MaxPool', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'GlobalMaxPool']);

function isOp(node: OnnxNode | undefined, opType: string): node is OnnxNode {
  return node !== undefined && node.opType === opType && node.domain === '';
}

/** The DequantizeLinear producing input `index` of `node`. */
function dequantized(graph: Graph, node: OnnxNode, index: number): OnnxNode | undefined {
  const name = node.inputs[index];
  const p = name ? producer(graph, name) : undefined;
  return isOp(p, 'DequantizeLinear') ? p : undefined;
}

/** The QuantizeLinear that alone reads `node`'s output. */
function quantizedOutput(graph: Graph, node: OnnxNode): OnnxNode | undefined {
  const q = soleConsumer(graph, node.outputs[0]);
  return isOp(q, 'QuantizeLinear') && q.inputs[0] === node.outputs[0] ? q : undefined;
}

/** [scale, zero point] input names of a Q/DQ node ('' when the zero point is omitted). */
function params(node: OnnxNode): [string, string] {
  return [node.inputs[1], node.inputs[2] ?? ''];
}

/** The element type of `name` when the graph says it (a constant, a typed graph input, a QuantizeLinear's output). */
export function quantizedType(graph: Graph, name: string): string | undefined {
  const c = graph.constants.get(name);
  if (c) return c.type;
  const fed = graph.inputs.find((i) => i.name === name);
  if (fed) return fed.type ?? undefined;
  const q = producer(graph, name);
  if (!isOp(q, 'QuantizeLinear')) return undefined;
  return (q.inputs[2] ?? '') === '' ? 'uint8' : constantInput(graph, q, 2)?.type;
}

/** Whether DQ `a` and Q `b` have equal constant parameters, so b(op(a(x))) is op(x) for an op that only moves values. */
function sameParams(graph: Graph, a: OnnxNode, b: OnnxNode): boolean {
  const get = (n: OnnxNode, i: number) => constantInput(graph, n, i);
  const equal = (x: Value | undefined, y: Value | undefined) =>
    x !== undefined && y !== undefined && x.type === y.type && x.data.length === y.data.length && x.data.every((v, i) => v === y.data[i]);
  // Both zero points omitted: the Q writes uint8, so the DQ must read uint8 too (an int8 x would stay int8).
  const zeroEqual = (a.inputs[2] ?? '') === '' && (b.inputs[2] ?? '') === '' ? quantizedType(graph, a.inputs[0]) === 'uint8' : equal(get(a, 2), get(b, 2));
  return equal(get(a, 1), get(b, 1)) && zeroEqual && new Attributes(a).int('axis', 1) === new Attributes(b).int('axis', 1);
}

/** Whether a Q/DQ node has one constant scale and zero point (or none): QLinearConv/QLinearMatMul take x and y per tensor only. */
function perTensor(graph: Graph, node: OnnxNode): boolean {
  const one = (i: number) => constantInput(graph, node, i)?.data.length === 1;
  return one(1) && ((node.inputs[2] ?? '') === '' || one(2));
}

/** A constant int8/uint8 weight behind a DQ, with its scale/zero-point names. */
function constantWeight(graph: Graph, node: OnnxNode, index: number): { dq: OnnxNode; w: Value } | undefined {
  const dq = dequantized(graph, node, index);
  const w = dq ? constantInput(graph, dq, 0) : undefined;
  return dq && w && (w.type === 'int8' || w.type === 'uint8') ? { dq, w } : undefined;
}

/** Whether a weight DQ is per tensor, or per channel along `axis`. */
function perChannelAlong(graph: Graph, dq: OnnxNode, axis: number): boolean {
  const scale = constantInput(graph, dq, 1);
  return scale !== undefined && (scale.data.length === 1 || new Attributes(dq).int('axis', 1) === axis);
}

/** The int32 bias behind a DQ (input `index`), '' when the node has none, or undefined when it does not fit. */
function constantBias(graph: Graph, node: OnnxNode, index: number): string | undefined {
  if ((node.inputs[index] ?? '') === '') return '';
  const dq = dequantized(graph, node, index);
  const b = dq ? constantInput(graph, dq, 0) : undefined;
  return dq && b?.type === 'int32' ? dq.inputs[0] : undefined;
}

function fusedAttributes(node: OnnxNode): OnnxNode['attributes'] {
  return new Map([...node.attributes].filter(([k]) => k.startsWith('sparq_')));
}

function rewriteConv(graph: Graph, conv: OnnxNode): OnnxNode | undefined {
  const x = dequantized(graph, conv, 0);
  const weight = constantWeight(graph, conv, 1);
  const bias = constantBias(graph, conv, 2);
  const q = quantizedOutput(graph, conv);
  if (!x || !weight || bias === undefined || !q || !perTensor(graph, x) || !perTensor(graph, q) || !perChannelAlong(graph, weight.dq, 0)) return undefined;
  const attributes = new Map([...conv.attributes]);
  return {
    name: `${conv.name}_quant`, opType: 'QLinearConv', domain: '', attributes, outputs: [q.outputs[0]],
    inputs: [x.inputs[0], ...params(x), weight.dq.inputs[0], ...params(weight.dq), ...params(q), bias],
  };
}

function rewriteMatMul(graph: Graph, node: OnnxNode): OnnxNode | undefined {
  const x = dequantized(graph, node, 0);
  const weight = constantWeight(graph, node, 1);
  const q = quantizedOutput(graph, node);
  if (!x || !weight || !q || !perTensor(graph, x) || !perTensor(graph, q) || weight.w.dims.length !== 2) return undefined;
  let wName = weight.dq.inputs[0];
  let bias = '';
  if (node.opType === 'Gemm') {
    const a = new Attributes(node);
    if (a.int('transA', 0) !== 0 || a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1) return undefined;
    const b = constantBias(graph, node, 2);
    if (b === undefined || (b !== '' && constantInput(graph, producer(graph, node.inputs[2])!, 0)!.dims.length !== 1)) return undefined;
    bias = b;
    if (a.int('transB', 0) !== 0) {
      // [N, K] -> [K, N]; its per-channel scales (axis 0 of [N, K]) become per column.
      const [n, k] = weight.w.dims;
      if (!perChannelAlong(graph, weight.dq, 0)) return undefined;
      const t = cpu.transpose(tensor(weight.w.type as 'int8' | 'uint8', [n, k], weight.w.data as Int8Array)).data;
      wName = addConstant(graph, `${wName}_t`, value(weight.w.type, [k, n], t));
    } else if (!perChannelAlong(graph, weight.dq, 1)) return undefined;
  } else if (!perChannelAlong(graph, weight.dq, 1)) return undefined;
  return {
    name: `${node.name}_quant`, opType: 'QLinearMatMul', domain: '', attributes: fusedAttributes(node), outputs: [q.outputs[0]],
    inputs: [x.inputs[0], ...params(x), wName, ...params(weight.dq), ...params(q), bias],
  };
}

/** DQ -> op -> Q with equal parameters: the op reads the quantized value and writes the Q's output. */
function rewritePassThrough(graph: Graph, node: OnnxNode): OnnxNode | undefined {
  const x = dequantized(graph, node, 0);
  const q = quantizedOutput(graph, node);
  if (!x || !q || !sameParams(graph, x, q) || node.outputs.length > 1) return undefined;
  return { ...node, name: `${node.name}_quant`, inputs: [x.inputs[0], ...node.inputs.slice(1)], outputs: [q.outputs[0]] };
}

export function qdqToInteger(graph: Graph): boolean {
  let changed = false;
  for (const node of [...graph.nodes]) {
    if (node.domain !== '') continue;
    const rewritten =
      node.opType === 'Conv' ? rewriteConv(graph, node)
        : node.opType === 'MatMul' || node.opType === 'Gemm' ? rewriteMatMul(graph, node)
          : PASS_THROUGH.has(node.opType) ? rewritePassThrough(graph, node) : undefined;
    if (!rewritten) continue;
    const q = quantizedOutput(graph, node)!;
    graph.nodes[graph.nodes.indexOf(node)] = rewritten;
    removeNodes(graph, [q]);
    changed = true;
  }
  if (changed) removeDeadNodes(graph);
  return changed;
}

/** Drops nodes none of whose outputs is read by a node or is a graph output, until none is left. */
export function removeDeadNodes(graph: Graph): void {
  for (;;) {
    const read = new Set(graph.outputs.map((o) => o.name));
    for (const n of graph.nodes) for (const i of n.inputs) read.add(i);
    // '' is an omitted optional input or output, not a value: it keeps nothing alive.
    read.delete('');
    const dead = graph.nodes.filter((n) => n.outputs.every((o) => !read.has(o)));
    if (dead.length === 0) return;
    removeNodes(graph, dead);
  }
}
