/**
 * nhwc-edges (the end of nhwc-layout): the layout pass brings an NCHW value
 * into its region through a Transpose. In a QDQ model the first node there
 * is the QuantizeLinear of the float input, so the transpose moves four
 * bytes per element where the quantized value has one; in a float model it
 * is the stem conv, a 3x3/2 over 3 channels say, which gathers its windows
 * into a buffer anyway and can gather them from the NCHW planes as well
 * (a 3-channel transpose is a slow one). This pass lets those nodes read the
 * NCHW value themselves (INPUT_LAYOUT_ATTRIBUTE: the quantize writes NHWC
 * bytes, planQuantizeCall's channelsLast; the conv writes NHWC floats,
 * backends/cpu/conv/stem-nhwc.ts) and drops the transpose. It applies to a
 * [0, 2, 3, 1] Transpose whose output only such moved nodes read, as their
 * input 0 (not a graph output, no other reader); otherwise it leaves the
 * graph as it is.
 */
import type { Graph } from '../graph.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import { Attributes } from '../ops/op.js';
import { INPUT_LAYOUT_ATTRIBUTE, LAYOUT_ATTRIBUTE, NCHW, NHWC, TO_NHWC } from '../ops/nhwc.js';
import { consumers, isGraphOutput, removeNodes } from './edit.js';

function isToNhwc(node: OnnxNode): boolean {
  const perm = node.attributes.get('perm');
  return node.opType === 'Transpose' && node.domain === '' && perm?.type === 'ints'
    && perm.value.length === 4 && perm.value.every((p, i) => p === TO_NHWC[i]);
}

/** A node the layout pass moved that reads `input` as its input 0 only. */
function readsMoved(node: OnnxNode, input: string): boolean {
  const layout = node.attributes.get(LAYOUT_ATTRIBUTE);
  return node.domain === '' && layout?.type === 'string' && layout.value === NHWC && node.inputs[0] === input && !node.inputs.slice(1).includes(input);
}

/**
 * The most values of K (C*KH*KW) a stem may have: f32-conv2d-nhwc gathers
 * windows up to this size (its kKcMax) in NHWC too, so from NCHW it is the
 * same gather; a wider conv reads NHWC windows in place, and stays behind
 * the transpose.
 */
const STEM_MAX_K = 512;

/**
 * A float group-1 Conv on constant 4-D weights of a gathered window: what the
 * channels-first stem runs. A 1x1 is not one: in NHWC it is a GEMM on the
 * image as it lies, with no gather to take the NCHW planes in, so it keeps
 * the (vectorized) transpose.
 */
function isStem(node: OnnxNode, constants: ReadonlyMap<string, Value>): boolean {
  const w = constants.get(node.inputs[1] ?? '');
  return node.opType === 'Conv' && w?.type === 'float32' && w.dims.length === 4 && new Attributes(node).int('group', 1) === 1
    && w.dims[2] * w.dims[3] > 1 && w.dims[1] * w.dims[2] * w.dims[3] <= STEM_MAX_K;
}

/** Fuses every entering float transpose into the QuantizeLinear and stem Conv nodes it feeds; returns whether one was fused. */
export function fuseEdgeTransposes(graph: Graph): boolean {
  const dead: OnnxNode[] = [];
  for (const t of graph.nodes) {
    if (!isToNhwc(t) || t.outputs.length !== 1 || isGraphOutput(graph, t.outputs[0])) continue;
    const readers = consumers(graph, t.outputs[0]);
    const fusable = (r: OnnxNode) => readsMoved(r, t.outputs[0]) && (r.opType === 'QuantizeLinear' || isStem(r, graph.constants));
    if (readers.length === 0 || !readers.every(fusable)) continue;
    for (const r of readers) {
      r.inputs = [t.inputs[0], ...r.inputs.slice(1)];
      r.attributes.set(INPUT_LAYOUT_ATTRIBUTE, { type: 'string', value: NCHW });
    }
    dead.push(t);
  }
  removeNodes(graph, dead);
  return dead.length > 0;
}
