/**
 * After qdq-to-integer the convs of a QDQ model are integer, but the
 * elementwise ops between them still run in float: DQ -> Add/Mul/HardSwish/
 * GlobalAveragePool -> Q. This pass runs each of those on the 8-bit values
 * as one node (ops/qlinear-elementwise.ts), bit for bit the float result:
 *
 *   DQ(a), DQ(b) -> Add | Sub | Mul [-> Relu | Clip] -> Q  =>  QLinearAdd | QLinearSub | QLinearMul (clamp fused)
 *   DQ(x) -> Sigmoid -> Q                                   =>  QLinearSigmoid
 *   DQ(x) -> HardSwish | HardSigmoid | Relu | Clip [-> Relu | Clip] -> Q
 *                                                           =>  QLinearLookup (a 256-entry table)
 *   DQ(x) -> GlobalAveragePool -> Q                         =>  QLinearGlobalAveragePool
 *
 * Every DQ and Q must be per tensor with constant parameters, and a binary
 * op's a, b and result of one type. The op's (and the clamp's) output must
 * have its next node as its only reader; a DQ may have others (the
 * squeeze-excite input feeds the pool and the Mul): the fused node reads
 * the DQ's input, and the DQ goes once nothing reads it.
 */
import type { Graph } from '../graph.js';
import type { AttributeValue, OnnxNode } from '../onnx/model.js';
import { FUSED_MAX, FUSED_MIN } from '../ops/op.js';
import { LOOKUP_OP, LOOKUP_OPSET } from '../ops/qlinear-elementwise.js';
import { constantInput, producer, removeNodes, soleConsumer } from './edit.js';
import { quantizedType, removeDeadNodes } from './qdq-to-integer.js';

const BINARY: Record<string, [string, string]> = { Add: ['com.microsoft', 'QLinearAdd'], Sub: ['sparq', 'QLinearSub'], Mul: ['com.microsoft', 'QLinearMul'] };
const LOOKUP = new Set(['HardSwish', 'HardSigmoid', 'Relu', 'Clip']);
const CLAMPS = new Set(['Relu', 'Clip']);

function isOp(node: OnnxNode | undefined, opType: string): node is OnnxNode {
  return node !== undefined && node.opType === opType && node.domain === '';
}

/** A Q/DQ node's one constant scale and zero point (or none), as the fused node's inputs, with the 8-bit type. */
function perTensor(graph: Graph, node: OnnxNode, type: () => string | undefined): { params: string[]; type: string } | undefined {
  const scale = constantInput(graph, node, 1);
  const omitted = (node.inputs[2] ?? '') === '';
  const zero = omitted ? undefined : constantInput(graph, node, 2);
  if (scale?.type !== 'float32' || scale.data.length !== 1 || (!omitted && zero?.data.length !== 1)) return undefined;
  const t = zero?.type ?? type();
  return t === 'uint8' || t === 'int8' ? { params: [node.inputs[1], node.inputs[2] ?? ''], type: t } : undefined;
}

/** The per-tensor DequantizeLinear producing input `index` of `node`: its input and parameter names. */
function dequantized(graph: Graph, node: OnnxNode, index: number): { inputs: string[]; type: string } | undefined {
  const dq = producer(graph, node.inputs[index] ?? '');
  if (!isOp(dq, 'DequantizeLinear')) return undefined;
  const q = perTensor(graph, dq, () => quantizedType(graph, dq.inputs[0]));
  return q && { inputs: [dq.inputs[0], ...q.params], type: q.type };
}

/** Relu, or Clip with constant bounds (attributes before opset 11), as its [min, max]; undefined for anything else. */
function clampRange(graph: Graph, node: OnnxNode): [number, number] | undefined {
  if (node.domain !== '') return undefined;
  if (node.opType === 'Relu') return [0, Infinity];
  if (node.opType !== 'Clip') return undefined;
  const opset = graph.opsets.get('') ?? 0;
  let lo = -Infinity, hi = Infinity;
  if (opset < 11) {
    const attr = (name: string) => node.attributes.get(name) as AttributeValue | undefined;
    lo = (attr('min')?.value as number | undefined) ?? -3.4028234663852886e38;
    hi = (attr('max')?.value as number | undefined) ?? 3.4028234663852886e38;
  } else {
    for (const [i, set] of [[1, (v: number) => (lo = v)], [2, (v: number) => (hi = v)]] as const) {
      if ((node.inputs[i] ?? '') === '') continue;
      const c = constantInput(graph, node, i);
      if (c?.type !== 'float32' || c.data.length !== 1) return undefined;
      set(c.data[0] as number);
    }
  }
  return Math.fround(lo) <= Math.fround(hi) ? [lo, hi] : undefined;
}

/** The QuantizeLinear that alone reads `node`'s output, through at most one Relu/Clip (returned as a clamp). */
function quantizedOutput(graph: Graph, node: OnnxNode): { q: OnnxNode; clamp?: OnnxNode; range?: [number, number] } | undefined {
  if (node.outputs.length !== 1) return undefined;
  let next = soleConsumer(graph, node.outputs[0]);
  let clamp: OnnxNode | undefined, range: [number, number] | undefined;
  if (next && CLAMPS.has(next.opType) && next.inputs[0] === node.outputs[0]) {
    range = clampRange(graph, next);
    if (!range) return undefined;
    clamp = next;
    next = soleConsumer(graph, next.outputs[0]);
  }
  const from = clamp ?? node;
  return isOp(next, 'QuantizeLinear') && next.inputs[0] === from.outputs[0] ? { q: next, clamp, range } : undefined;
}

function clampAttributes(range: [number, number] | undefined): [string, AttributeValue][] {
  return range ? [[FUSED_MIN, { type: 'float', value: range[0] }], [FUSED_MAX, { type: 'float', value: range[1] }]] : [];
}

function fused(node: OnnxNode, domain: string, opType: string, inputs: string[], q: OnnxNode, attributes: [string, AttributeValue][]): OnnxNode {
  return { name: `${node.name}_quant`, opType, domain, inputs, outputs: [q.outputs[0]], attributes: new Map(attributes) };
}

function rewrite(graph: Graph, node: OnnxNode): { node: OnnxNode; dead: OnnxNode[] } | undefined {
  if (node.domain !== '') return undefined;
  const isBinary = node.opType in BINARY;
  const isUnary = LOOKUP.has(node.opType) || node.opType === 'Sigmoid' || node.opType === 'GlobalAveragePool';
  if (!isBinary && !isUnary) return undefined;
  const a = dequantized(graph, node, 0);
  const out = quantizedOutput(graph, node);
  if (!a || !out) return undefined;
  const y = perTensor(graph, out.q, () => 'uint8');
  if (!y) return undefined;
  const dead = [out.q, ...(out.clamp ? [out.clamp] : [])];
  if (isBinary) {
    const b = dequantized(graph, node, 1);
    if (!b || b.type !== a.type || y.type !== a.type) return undefined;
    const [domain, opType] = BINARY[node.opType];
    return { node: fused(node, domain, opType, [...a.inputs, ...b.inputs, ...y.params], out.q, clampAttributes(out.range)), dead };
  }
  if (node.opType === 'GlobalAveragePool') {
    if (out.clamp) return undefined;
    return { node: fused(node, 'com.microsoft', 'QLinearGlobalAveragePool', [...a.inputs, ...y.params], out.q, [['channels_last', { type: 'int', value: 0 }]]), dead };
  }
  if (node.opType === 'Sigmoid' && !out.clamp) return { node: fused(node, 'com.microsoft', 'QLinearSigmoid', [...a.inputs, ...y.params], out.q, []), dead };
  // The table is made by the float op's handler: its extra inputs (Clip's bounds) must be constants.
  const extra = node.inputs.slice(1);
  if (extra.some((name) => name !== '' && !graph.constants.has(name))) return undefined;
  const attributes: [string, AttributeValue][] = [
    ...node.attributes, [LOOKUP_OP, { type: 'string', value: node.opType }], [LOOKUP_OPSET, { type: 'int', value: graph.opsets.get('') ?? 0 }], ...clampAttributes(out.range),
  ];
  return { node: fused(node, 'sparq', 'QLinearLookup', [...a.inputs, ...y.params, ...extra], out.q, attributes), dead };
}

export function fuseQuantizedElementwise(graph: Graph): boolean {
  let changed = false;
  for (const node of [...graph.nodes]) {
    const r = rewrite(graph, node);
    if (!r) continue;
    graph.nodes[graph.nodes.indexOf(node)] = r.node;
    removeNodes(graph, r.dead);
    changed = true;
  }
  if (changed) removeDeadNodes(graph);
  return changed;
}
