/**
 * The graph passes, in the order they run. Each matches a pattern and
 * rewrites it, or leaves the graph as it was; each is tested on its own.
 */
import type { Graph } from '../graph.js';
import { foldConstantNodes } from './constant-nodes.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseMaxPool } from './fuse-maxpool.js';
import { fusePostOp } from './fuse-post-op.js';
import { fuseQuantizedElementwise } from './fuse-quantized-elementwise.js';
import { hardSwishForms } from './hardswish-forms.js';
import { qdqToInteger } from './qdq-to-integer.js';

export const PASSES: readonly [string, (graph: Graph) => boolean][] = [
  ['constant-nodes', foldConstantNodes],
  ['fold-batch-norm', foldBatchNorm],
  ['hardswish-forms', hardSwishForms],
  ['fuse-activation', fuseActivation],
  ['qdq-to-integer', qdqToInteger],
  ['fuse-quantized-elementwise', fuseQuantizedElementwise],
  ['fuse-maxpool', fuseMaxPool],
  ['fuse-post-op', fusePostOp],
];

/** Runs every pass once, in order; returns the names of those that changed the graph. */
export function runPasses(graph: Graph): string[] {
  return PASSES.filter(([, pass]) => pass(graph)).map(([name]) => name);
}
