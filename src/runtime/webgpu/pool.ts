/**
 * MaxPool on the GPU (float32, uint8, int8), undilated windows; dilated ones
 * run on the CPU. The CPU handler (ops/pool.ts) has checked the attributes.
 */
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { pooledSize } from '../../kernels/maxpool.js';
import { as4d, im2colOptions, outputDims, windowAttributes } from '../ops/conv-attributes.js';
import { ModelError } from '../ops/op.js';
import { gpuInput0, shaped, type GpuOpHandler } from './kernel.js';

/** pooledSize, with ops/pool.ts's error when the window does not fit. */
function outSize(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const out = pooledSize(size, kernel, stride, 1, padBegin, padEnd, ceil);
  if (out === 0) throw new ModelError(`the window (${kernel}) is larger than the padded input (${size + padBegin + padEnd})`);
  return out;
}

export const gpuMaxPool: GpuOpHandler = (ctx, gpu) => {
  const win = windowAttributes(ctx.attributes, ctx.attributes.ints('kernel_shape')!);
  if (win.dilations.some((d) => d !== 1)) return undefined;
  const ceil = ctx.attributes.int('ceil_mode', 0) !== 0;
  return {
    label: 'gpu:maxpool',
    run: async (xIn) => {
      const x = gpuInput0(xIn, ['float32', 'uint8', 'int8']);
      const dims = as4d(x.dims, win);
      const [n, c, h, w] = dims;
      const pads = im2colOptions(win, h, w).pads;
      const oh = outSize(h, win.kernel[0], win.strides[0], pads[0], pads[2], ceil);
      const ow = outSize(w, win.kernel[1], win.strides[1], pads[1], pads[3], ceil);
      const y = await gpu.maxPool(shaped(x, dims) as GpuTensor<'float32'>, { kernelShape: win.kernel, strides: win.strides, pads, ceilMode: ceil });
      return y.view(outputDims(win, n, c, oh, ow));
    },
  };
};
