/**
 * MaxPool on the GPU (float32, uint8, int8), undilated windows; dilated ones
 * run on the CPU. The CPU handler (ops/pool.ts) has checked the attributes.
 * GlobalAveragePool (float32) too.
 */
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { as4d, im2colOptions, outputDims, windowAttributes } from '../ops/conv-attributes.js';
import { checkPoolInput, poolOutSize } from '../ops/pool.js';
import { gpuInput0, shaped, type GpuOpHandler } from './node-run.js';

export const gpuMaxPool: GpuOpHandler = (ctx, gpu) => {
  const win = windowAttributes(ctx.attributes, ctx.attributes.ints('kernel_shape')!);
  if (win.dilations.some((d) => d !== 1)) return undefined;
  const ceil = ctx.attributes.int('ceil_mode', 0) !== 0;
  return {
    label: 'gpu:maxpool',
    run: async ([xIn]) => {
      const x = gpuInput0(xIn, ['float32', 'uint8', 'int8']);
      const dims = as4d(x.dims, win);
      const [n, c, h, w] = dims;
      checkPoolInput(x.dims);
      const pads = im2colOptions(win, h, w).pads;
      const oh = poolOutSize(h, win.kernel[0], win.strides[0], 1, pads[0], pads[2], ceil);
      const ow = poolOutSize(w, win.kernel[1], win.strides[1], 1, pads[1], pads[3], ceil);
      const y = await gpu.maxPool(shaped(x, dims) as GpuTensor<'float32'>, { kernelShape: win.kernel, strides: win.strides, pads, ceilMode: ceil });
      return y.view(outputDims(win, n, c, oh, ow));
    },
  };
};

/** GlobalAveragePool of float32 input with non-empty planes (the rest on the CPU). */
export const gpuGlobalAveragePool: GpuOpHandler = (_ctx, gpu) => ({
  label: 'gpu:globalavgpool',
  takes: ([x]) => x?.type === 'float32' && x.dims.length >= 3 && x.dims.slice(2).every((d) => d > 0),
  run: ([x]) => gpu.globalAveragePool(x as GpuTensor<'float32'>),
});
