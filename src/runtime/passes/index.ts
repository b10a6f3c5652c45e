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

/**
 * Passes whose nodes only the CPU runs: a WebGPU session keeps the float
 * nodes its GPU kernels run (DequantizeLinear, Add, ... on the GPU) rather
 * than move them to the CPU.
 */
const CPU_ONLY = new Set(['fuse-quantized-elementwise']);

/** Runs every pass once, in order (for a `backend` session); returns the names of those that changed the graph. */
export function runPasses(graph: Graph, backend: 'cpu' | 'webgpu' = 'cpu'): string[] {
  return PASSES.filter(([name, pass]) => (backend === 'cpu' || !CPU_ONLY.has(name)) && pass(graph)).map(([name]) => name);
}
