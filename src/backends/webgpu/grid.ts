/** The dispatch grid of the one-invocation-per-word kernels (quantize, im2col, transpose, max pooling, dwconv2d: one per output). */
import type { Dispatch, GpuContext } from './context.js';

/** Invocations per workgroup of those kernels (their WORKGROUP_SIZE override's default). */
export const WORD_WORKGROUP = 64;

/** Workgroups for `words` invocations: along x up to the adapter's limit, the rest folded into y (the shaders unfold it). */
export function wordGrid(gpu: GpuContext, words: number): Dispatch['workgroups'] {
  const groups = Math.ceil(words / WORD_WORKGROUP);
  const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
  return [Math.min(groups, limit), Math.ceil(groups / limit)];
}

/** Output words of a tensor of `count` elements of `bytes` each (whole words: byte tensors pack 4 per word). */
export function wordsOf(count: number, bytes: 1 | 4): number {
  return Math.ceil((count * bytes) / 4);
}
