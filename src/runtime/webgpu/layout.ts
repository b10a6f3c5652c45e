/**
 * Transpose on the GPU where it is one batched 2-D transpose: with size-1
 * axes dropped and neighbouring input axes that stay neighbours merged (as
 * the CPU's transposeValue does), a permutation that reads as
 * [outer, A, B] -> [outer, B, A] (NCHW <-> NHWC, the last two axes) runs on
 * gpu.transpose, and one that keeps the order of the elements ([N, C, 1, 1]
 * -> [N, 1, 1, C] at N = 1) copies them as the transpose of [1, size, 1].
 * Other permutations, and int64/bool values, run on the CPU.
 */
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { sizeOf } from '../../tensor.js';
import { shaped, type GpuInput, type GpuOpHandler } from './node-run.js';

/** [outer, rows, cols] of the batched transpose that `perm` is on `dims`, or undefined where it is none. */
export function batchedTranspose(dims: readonly number[], perm: readonly number[]): [number, number, number] | undefined {
  const groups: number[][] = [];
  for (const p of perm.filter((a) => dims[a] !== 1)) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === p - 1) last.push(p);
    else groups.push([p]);
  }
  const size = (g: number[]) => sizeOf(g.map((a) => dims[a]));
  // Output order [x, y, z]; every group is a maximal run, so two groups are [B, A] of input [A, B].
  const [x, y, z] = groups;
  if (groups.length <= 1) return [1, sizeOf(dims), 1];
  if (groups.length === 2) return [1, size(y), size(x)];
  if (groups.length === 3 && x[0] < z[0] && z[0] < y[0]) return [size(x), size(z), size(y)];
  return undefined;
}

const TYPES = ['float32', 'int32', 'uint8', 'int8'];

export const gpuTranspose: GpuOpHandler = (ctx, gpu) => {
  const declared = ctx.attributes.ints('perm');
  // The default reverses the axes.
  const permOf = (x: GpuInput) => declared ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  return {
    label: 'gpu:transpose',
    takes: ([x]) => x !== undefined && TYPES.includes(x.type) && permOf(x).length === x.dims.length && batchedTranspose(x.dims, permOf(x)) !== undefined,
    run: async ([xIn]) => {
      const x = xIn!;
      const perm = permOf(x);
      const y = await gpu.transpose(shaped(x, batchedTranspose(x.dims, perm)!) as GpuTensor);
      return y.view(perm.map((p) => x.dims[p]));
    },
  };
};
