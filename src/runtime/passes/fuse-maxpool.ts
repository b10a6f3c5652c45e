/**
 * Conv / QLinearConv -> MaxPool  =>  the conv with the pool fused (the
 * FUSED_POOL_* attributes), when nothing else reads the conv's output: the
 * direct conv kernel pools each output channel while it is still in cache,
 * so the full-size map is never written and read back (4x the pooled one
 * for 2x2 windows). Only what the kernel pools: 2-D windows without
 * padding, dilation, ceil_mode, storage_order or the Indices output.
 */
import type { Graph } from '../graph.js';
import type { OnnxNode } from '../onnx/model.js';
import { Attributes, FUSED_POOL_KERNEL, FUSED_POOL_STRIDES } from '../ops/op.js';
import { removeNodes, soleConsumer } from './edit.js';

const PRODUCERS = new Set(['Conv', 'QLinearConv']);

/** [kernel, strides] of a MaxPool the conv kernels can fuse, else undefined. */
function fusablePool(node: OnnxNode): [number[], number[]] | undefined {
  if (node.opType !== 'MaxPool' || node.domain !== '' || (node.outputs[1] ?? '') !== '') return undefined;
  const a = new Attributes(node);
  const kernel = a.ints('kernel_shape');
  if (!kernel || kernel.length !== 2 || kernel.some((k) => !Number.isSafeInteger(k) || k < 1)) return undefined;
  const strides = a.ints('strides') ?? [1, 1];
  const autoPad = a.string('auto_pad', 'NOTSET');
  const plain = (autoPad === 'NOTSET' || autoPad === 'VALID') && (a.ints('pads') ?? [0]).every((p) => p === 0) &&
    (a.ints('dilations') ?? [1]).every((d) => d === 1) && a.int('ceil_mode', 0) === 0 && a.int('storage_order', 0) === 0;
  if (!plain || strides.length !== 2 || strides.some((s) => !Number.isSafeInteger(s) || s < 1)) return undefined;
  return [kernel, strides];
}

export function fuseMaxPool(graph: Graph): boolean {
  let changed = false;
  for (const node of [...graph.nodes]) {
    if (!PRODUCERS.has(node.opType) || node.domain !== '' || node.attributes.has(FUSED_POOL_KERNEL)) continue;
    const next = soleConsumer(graph, node.outputs[0]);
    if (!next || next.inputs[0] !== node.outputs[0]) continue;
    const pool = fusablePool(next);
    if (!pool) continue;
    node.attributes.set(FUSED_POOL_KERNEL, { type: 'ints', value: pool[0] });
    node.attributes.set(FUSED_POOL_STRIDES, { type: 'ints', value: pool[1] });
    node.outputs = [next.outputs[0]];
    removeNodes(graph, [next]);
    changed = true;
  }
  return changed;
}
