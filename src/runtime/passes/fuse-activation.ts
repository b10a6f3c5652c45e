/**
 * Conv / Gemm / MatMul / QLinearConv / QLinearMatMul -> Relu or Clip
 * (constant bounds)  =>  the producer with the clamp in its epilogue
 * (the FUSED_MIN / FUSED_MAX attributes the kernels read), when nothing else
 * reads the producer's output.
 */
import type { Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import { Attributes, FUSED_MAX, FUSED_MIN } from '../ops/op.js';
import { constantInput, removeNodes, soleConsumer } from './edit.js';

const PRODUCERS = new Set(['Conv', 'Gemm', 'MatMul']);

/** The [min, max] clamp `node` applies, when it is a Relu or a Clip with constant bounds. */
export function clampOf(graph: Graph, node: OnnxNode, opset: number): [number, number] | undefined {
  if (node.domain !== '') return undefined;
  if (node.opType === 'Relu') return [0, Infinity];
  if (node.opType !== 'Clip') return undefined;
  if (opset < 11) {
    const a = new Attributes(node);
    return [a.float('min', -Infinity), a.float('max', Infinity)];
  }
  const bound = (i: number, fallback: number): number | undefined => {
    if ((node.inputs[i] ?? '') === '') return fallback;
    const v = constantInput(graph, node, i);
    return v && v.type === 'float32' && v.data.length === 1 ? (v.data[0] as number) : undefined;
  };
  const [min, max] = [bound(1, -Infinity), bound(2, Infinity)];
  return min === undefined || max === undefined ? undefined : [min, max];
}

export function fuseActivation(graph: Graph): boolean {
  const opset = graph.opsets.get('') ?? 0;
  let changed = false;
  for (const node of [...graph.nodes]) {
    if (!PRODUCERS.has(node.opType) || node.domain !== '' || node.attributes.has(FUSED_MIN) || node.attributes.has(FUSED_MAX)) continue;
    // A MatMul of a non-constant or batched weight runs without an epilogue.
    if (node.opType === 'MatMul' && constantInput(graph, node, 1)?.dims.length !== 2) continue;
    const next = soleConsumer(graph, node.outputs[0]);
    if (!next || next.inputs[0] !== node.outputs[0]) continue;
    const clamp = clampOf(graph, next, opset);
    if (!clamp) continue;
    node.attributes.set(FUSED_MIN, { type: 'float', value: clamp[0] });
    node.attributes.set(FUSED_MAX, { type: 'float', value: clamp[1] });
    node.outputs = [next.outputs[0]];
    removeNodes(graph, [next]);
    changed = true;
  }
  return changed;
}
