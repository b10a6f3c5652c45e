/**
 * Float Conv or Gemm -> HardSwish / HardSigmoid  =>  the producer with the
 * activation as its post-op; Conv -> Add(residual) [-> Relu / Clip / HardSwish /
 * HardSigmoid]  =>  the Conv with the residual as its input 3 and the
 * activation after the add (ops/post-op.ts: y = act(conv(x) + bias + r)).
 * The Conv's output must be read by the next node alone, and the Conv must
 * carry no fused clamp or pool yet: both apply before an add, and a pool
 * before any activation. Runs after qdq-to-integer, so only the convs that
 * stay float are matched. The nodes are re-sorted after a residual fusion,
 * since the residual's producer may have come after the Conv.
 */
import { topologicalOrder, type Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import { Attributes, FUSED_MAX, FUSED_MIN, FUSED_POOL_KERNEL } from '../ops/op.js';
import { FUSED_ALPHA, FUSED_BETA, FUSED_KIND, FUSED_RESIDUAL, RESIDUAL_INPUT } from '../ops/post-op.js';
import { removeNodes, soleConsumer } from './edit.js';
import { clampOf } from './fuse-activation.js';

const FUSED = [FUSED_MIN, FUSED_MAX, FUSED_POOL_KERNEL, FUSED_KIND, FUSED_RESIDUAL];

/** Sets on `conv` the activation `node` applies, when it is one the post-op runs; returns whether it was. */
function fuseActivationNode(graph: Graph, conv: OnnxNode, node: OnnxNode, opset: number): boolean {
  if (node.domain !== '') return false;
  if (node.opType === 'HardSwish' || node.opType === 'HardSigmoid') {
    conv.attributes.set(FUSED_KIND, { type: 'string', value: node.opType === 'HardSwish' ? 'hardswish' : 'hardsigmoid' });
    if (node.opType === 'HardSigmoid') {
      const a = new Attributes(node);
      conv.attributes.set(FUSED_ALPHA, { type: 'float', value: a.float('alpha', 0.2) });
      conv.attributes.set(FUSED_BETA, { type: 'float', value: a.float('beta', 0.5) });
    }
    return true;
  }
  const clamp = clampOf(graph, node, opset);
  if (!clamp) return false;
  conv.attributes.set(FUSED_MIN, { type: 'float', value: clamp[0] });
  conv.attributes.set(FUSED_MAX, { type: 'float', value: clamp[1] });
  return true;
}

/** The activation node reading `name` alone, as its first input. */
function activationAfter(graph: Graph, name: string): OnnxNode | undefined {
  const next = soleConsumer(graph, name);
  return next && next.inputs[0] === name ? next : undefined;
}

export function fusePostOp(graph: Graph): boolean {
  const opset = graph.opsets.get('') ?? 0;
  let changed = false, residuals = false;
  for (const conv of [...graph.nodes]) {
    if ((conv.opType !== 'Conv' && conv.opType !== 'Gemm') || conv.domain !== '' || FUSED.some((name) => conv.attributes.has(name))) continue;
    const next = soleConsumer(graph, conv.outputs[0]);
    if (!next || next.domain !== '') continue;
    if (conv.opType === 'Conv' && next.opType === 'Add' && next.inputs.length === 2) {
      const r = next.inputs[next.inputs[0] === conv.outputs[0] ? 1 : 0];
      if (r === conv.outputs[0]) continue;
      conv.inputs = [...conv.inputs, ...new Array<string>(RESIDUAL_INPUT - conv.inputs.length).fill(''), r];
      conv.attributes.set(FUSED_RESIDUAL, { type: 'int', value: 1 });
      const dead = [next];
      const act = activationAfter(graph, next.outputs[0]);
      if (act && fuseActivationNode(graph, conv, act, opset)) dead.push(act);
      conv.outputs = [dead.at(-1)!.outputs[0]];
      removeNodes(graph, dead);
      changed = residuals = true;
    } else if ((next.opType === 'HardSwish' || next.opType === 'HardSigmoid') && next.inputs[0] === conv.outputs[0]) {
      fuseActivationNode(graph, conv, next, opset);
      conv.outputs = [next.outputs[0]];
      removeNodes(graph, [next]);
      changed = true;
    }
  }
  if (residuals) graph.nodes = topologicalOrder(graph);
  return changed;
}
