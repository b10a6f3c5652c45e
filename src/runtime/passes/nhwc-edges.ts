/**
 * nhwc-edges (the end of nhwc-layout): the layout pass brings an NCHW value
 * into its region through a Transpose, and in a QDQ model the first node
 * there is the QuantizeLinear of the float input, so the transpose moves
 * four bytes per element where the quantized value has one. This pass lets
 * those QuantizeLinear nodes read the NCHW value themselves
 * (INPUT_LAYOUT_ATTRIBUTE: the quantize writes NHWC bytes, planQuantizeCall's
 * channelsLast) and drops the transpose. It applies to a [0, 2, 3, 1]
 * Transpose whose output only moved QuantizeLinear nodes read, as their
 * input 0 (not a graph output, no other reader); otherwise it leaves the
 * graph as it is.
 *
 * A float model's stem keeps its transpose: a 3-channel NCHW -> NHWC
 * transpose is a vectorized interleave (x32-transpose), and the NHWC stem
 * after it ran as fast or faster than the stem gathering its windows from
 * the NCHW planes itself (planConv2dNhwc's channelsFirst; MobileNetV2 and
 * MobileNetV3-small profiles at batch 1, 2026-12-03).
 */
import type { Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import { INPUT_LAYOUT_ATTRIBUTE, LAYOUT_ATTRIBUTE, NCHW, NHWC, TO_NHWC } from '../ops/nhwc.js';
import { consumers, isGraphOutput, removeNodes } from './edit.js';

function isToNhwc(node: OnnxNode): boolean {
  const perm = node.attributes.get('perm');
  return node.opType === 'Transpose' && node.domain === '' && perm?.type === 'ints'
    && perm.value.length === 4 && perm.value.every((p, i) => p === TO_NHWC[i]);
}

/** A QuantizeLinear the layout pass moved that reads `input` as its input 0 only. */
function isMovedQuantize(node: OnnxNode, input: string): boolean {
  const layout = node.attributes.get(LAYOUT_ATTRIBUTE);
  return node.opType === 'QuantizeLinear' && node.domain === '' && layout?.type === 'string' && layout.value === NHWC
    && node.inputs[0] === input && !node.inputs.slice(1).includes(input);
}

/** Fuses every entering float transpose into the QuantizeLinear nodes it feeds; returns whether one was fused. */
export function fuseEdgeQuantize(graph: Graph): boolean {
  const dead: OnnxNode[] = [];
  for (const t of graph.nodes) {
    if (!isToNhwc(t) || t.outputs.length !== 1 || isGraphOutput(graph, t.outputs[0])) continue;
    const readers = consumers(graph, t.outputs[0]);
    if (readers.length === 0 || !readers.every((r) => isMovedQuantize(r, t.outputs[0]))) continue;
    for (const r of readers) {
      r.inputs = [t.inputs[0], ...r.inputs.slice(1)];
      r.attributes.set(INPUT_LAYOUT_ATTRIBUTE, { type: 'string', value: NCHW });
    }
    dead.push(t);
  }
  removeNodes(graph, dead);
  return dead.length > 0;
}
