/**
 * The exporters' decomposed HardSwish  =>  one HardSwish node (the native
 * f32-elementwise kernel, and a producer fuse-post-op can fuse it into):
 *
 *   torch, opset 13:   Mul(x, HardSigmoid(x, alpha 1/6, beta 0.5))   exact:
 *                      the same float32 operations in the same order
 *   Paddle2ONNX:       Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6), or the Mul
 *                      by a constant 1/6: x * clamp(x / 6 + 0.5, 0, 1) in
 *                      float32 differs from it by a few ulps (other roundings)
 *
 * Matched only when every intermediate is read by the next node alone and
 * is no graph output; operands in either order.
 */
import type { Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import { Attributes } from '../ops/op.js';
import { clampOf } from './fuse-activation.js';
import { constantInput, producer, removeNodes, soleConsumer } from './edit.js';

const SIXTH = Math.fround(1 / 6);

/** The value of a one-element float32 constant input, else undefined. */
function scalarInput(graph: Graph, node: OnnxNode, index: number): number | undefined {
  const v = constantInput(graph, node, index);
  return v && v.type === 'float32' && v.data.length === 1 ? (v.data[0] as number) : undefined;
}

/** The other input of a two-input node that reads `name`, with its index. */
function otherInput(node: OnnxNode, name: string): [string, number] | undefined {
  if (node.inputs.length !== 2) return undefined;
  if (node.inputs[0] === name) return [node.inputs[1], 1];
  if (node.inputs[1] === name) return [node.inputs[0], 0];
  return undefined;
}

const plain = (node: OnnxNode | undefined, opType: string): node is OnnxNode => node !== undefined && node.opType === opType && node.domain === '';

/** `name` is read by `node` alone and is no graph output. */
const onlyFeeds = (graph: Graph, name: string, node: OnnxNode) => soleConsumer(graph, name) === node;

/** The nodes of x * HardSigmoid(x, 1/6, 0.5) ending in `mul`, with x; else undefined. */
function torchForm(graph: Graph, mul: OnnxNode): { x: string; dead: OnnxNode[] } | undefined {
  for (const i of [0, 1]) {
    const hs = producer(graph, mul.inputs[i]);
    if (!plain(hs, 'HardSigmoid') || !onlyFeeds(graph, hs.outputs[0], mul)) continue;
    const a = new Attributes(hs);
    if (Math.fround(a.float('alpha', 0.2)) !== SIXTH || a.float('beta', 0.5) !== 0.5) continue;
    if (mul.inputs[1 - i] !== hs.inputs[0]) continue;
    return { x: hs.inputs[0], dead: [hs] };
  }
  return undefined;
}

/** The nodes of x * Clip(x + 3, 0, 6) ending in `mul`, with x; else undefined. */
function paddleProduct(graph: Graph, mul: OnnxNode, opset: number): { x: string; dead: OnnxNode[] } | undefined {
  for (const i of [0, 1]) {
    const clip = producer(graph, mul.inputs[i]);
    if (!plain(clip, 'Clip') || !onlyFeeds(graph, clip.outputs[0], mul)) continue;
    const bounds = clampOf(graph, clip, opset);
    if (!bounds || bounds[0] !== 0 || bounds[1] !== 6) continue;
    const add = producer(graph, clip.inputs[0]);
    if (!plain(add, 'Add') || !onlyFeeds(graph, add.outputs[0], clip)) continue;
    const x = mul.inputs[1 - i];
    const other = otherInput(add, x);
    if (!other || scalarInput(graph, add, other[1]) !== 3) continue;
    return { x, dead: [clip, add] };
  }
  return undefined;
}

/** The nodes of (x * Clip(x + 3, 0, 6)) / 6, or * (1/6), ending in `last`; else undefined. */
function paddleForm(graph: Graph, last: OnnxNode, opset: number): { x: string; dead: OnnxNode[] } | undefined {
  const divides = last.opType === 'Div' && scalarInput(graph, last, 1) === 6;
  const scales = last.opType === 'Mul' && [0, 1].some((i) => scalarInput(graph, last, i) === SIXTH);
  if (!divides && !scales) return undefined;
  const productIndex = divides ? 0 : scalarInput(graph, last, 1) === SIXTH ? 0 : 1;
  const mul = producer(graph, last.inputs[productIndex]);
  if (!plain(mul, 'Mul') || !onlyFeeds(graph, mul.outputs[0], last)) return undefined;
  const product = paddleProduct(graph, mul, opset);
  return product && { x: product.x, dead: [mul, ...product.dead] };
}

export function hardSwishForms(graph: Graph): boolean {
  const opset = graph.opsets.get('') ?? 0;
  let changed = false;
  for (const node of [...graph.nodes]) {
    if (!graph.nodes.includes(node) || node.domain !== '' || (node.opType !== 'Mul' && node.opType !== 'Div')) continue;
    const form = (node.opType === 'Mul' ? torchForm(graph, node) : undefined) ?? paddleForm(graph, node, opset);
    if (!form) continue;
    // x itself must be a value the graph computes or is fed (not one of the removed nodes' outputs).
    if (form.dead.some((d) => d.outputs.includes(form.x))) continue;
    removeNodes(graph, form.dead);
    node.opType = 'HardSwish';
    node.inputs = [form.x];
    node.attributes = new Map();
    changed = true;
  }
  return changed;
}
