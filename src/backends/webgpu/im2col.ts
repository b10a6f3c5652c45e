/**
 * im2col on the GPU (kernels/x32-im2col/x32-im2col-wgsl.wgsl): NCHW float32
 * or uint8 images -> [group, N*OH*OW, C/group*KH*KW] GEMM rows, element for
 * element cpu.im2col, checked by the same functions (same errors). The rows
 * stay on the GPU for gemm/qgemm.
 */
import { convGeometry, im2colPadValue, type Im2colArgs } from '../../ops/im2col.js';
import type { GpuContext } from './context.js';
import { wordGrid, wordsOf } from './grid.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export type GpuIm2colOptions = Im2colArgs;

export async function gpuIm2col(gpu: GpuContext, xIn: unknown, options: GpuIm2colOptions): Promise<GpuTensor<'float32' | 'uint8'>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32', 'uint8'], 4);
  try {
    const t = x.tensor;
    const g = convGeometry(t.dims, options);
    const padValue = im2colPadValue(t as { type: 'float32' | 'uint8'; zeroPoint?: number | Int32Array }, options);
    const rows = g.batch * g.outH * g.outW, cols = g.channelsPerGroup * g.kernelH * g.kernelW;
    const col = gpu.empty(t.type, [g.groups, rows, cols], t.type === 'uint8' ? { scale: t.scale, zeroPoint: t.zeroPoint } : undefined);
    const count = col.size;
    const bytes = t.type === 'uint8' ? 1 : 4;
    if (count > 0)
      await gpu.enqueue({
        family: 'x32-im2col', stem: 'x32-im2col-wgsl',
        overrides: { ELEMENT_BYTES: bytes },
        buffers: [t.buffer, col.buffer],
        uniforms: [
          ['u32', count], ['u32', g.batch], ['u32', g.groups], ['u32', g.channelsPerGroup], ['u32', g.height], ['u32', g.width],
          ['u32', g.kernelH], ['u32', g.kernelW], ['u32', g.strideH], ['u32', g.strideW], ['u32', g.dilationH], ['u32', g.dilationW],
          ['u32', g.padTop], ['u32', g.padLeft], ['u32', g.outH], ['u32', g.outW], ['u32', padValue],
        ],
        workgroups: wordGrid(gpu, wordsOf(count, bytes)),
      });
    return col;
  } finally {
    releaseTemporaries(x);
  }
}
