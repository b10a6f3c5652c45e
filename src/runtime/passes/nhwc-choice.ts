/**
 * Session option layout 'auto': whether a CPU session runs a model's convs
 * channels-last. A starting rule, tuned from `npm run bench:models --
 * --layout both` (which times both layouts against onnxruntime):
 *
 * - some conv that moves is 1x1 or depthwise, where channels-last pays (one
 *   GEMM on the image as it lies; depthwise vectorized across channels), and
 * - the region costs at most one transpose inside the model: each conv
 *   left NCHW between moved ones costs two full-image transposes per run,
 *   which outweigh what a moved 1x1 conv saves. Transposes of graph inputs
 *   and outputs are not counted (the model's edges pay them in either
 *   layout), nor one out of a global pool (a view); the one allowed is for
 *   a conv left NCHW at one end of the region, such as a stem conv with a
 *   fused max pool.
 */
import type { Graph } from '../graph.js';
import { nhwcRegion, regionEdges, type NhwcConvPredicate } from './nhwc-layout.js';

/** Transposes the region may cost inside the model. */
const INNER_TRANSPOSES = 1;
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'QLinearGlobalAveragePool']);

export function prefersNhwc(graph: Graph, nhwcConv: NhwcConvPredicate): boolean {
  const moved = nhwcRegion(graph, nhwcConv);
  const pays = [...moved.keys()].some((n) => {
    if (n.opType !== 'Conv' && n.opType !== 'QLinearConv') return false;
    const w = graph.constants.get(n.inputs[n.opType === 'QLinearConv' ? 3 : 1]);
    const group = n.attributes.get('group');
    const depthwise = group?.type === 'int' && group.value > 1 && w?.dims[1] === 1;
    return depthwise || (w !== undefined && w.dims.slice(2).every((k) => k === 1));
  });
  if (!pays) return false;
  const { entering, leaving } = regionEdges(graph, moved);
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const pooled = new Set([...moved.keys()].filter((n) => GLOBAL_POOLS.has(n.opType)).map((n) => n.outputs[0]));
  const inner = [...entering].filter((v) => !inputs.has(v)).length + [...leaving].filter((v) => !outputs.has(v) && !pooled.has(v)).length;
  return inner <= INNER_TRANSPOSES;
}
