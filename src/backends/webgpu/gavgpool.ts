/**
 * Global average pooling on the GPU (kernels/f32-gavgpool/f32-gavgpool-wgsl.wgsl):
 * float32 x [N, C, ...spatial] -> [N, C, 1, ...] (ONNX GlobalAveragePool),
 * one workgroup per (n, c) plane. The result stays on the GPU.
 */
import { fail } from '../../validate.js';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export async function gpuGlobalAveragePool(gpu: GpuContext, xIn: unknown): Promise<GpuTensor<'float32'>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32']);
  try {
    const dims = x.tensor.dims;
    if (dims.length < 3) fail('x.dims', `must be [N, C, ...spatial] with at least one spatial axis, got [${dims}]`);
    const planes = dims[0] * dims[1];
    const size = x.tensor.size / Math.max(planes, 1);
    if (size === 0 && planes > 0) fail('x.dims', `[${dims}] has empty planes: their average is undefined`);
    const y = gpu.empty('float32', [dims[0], dims[1], ...dims.slice(2).map(() => 1)]);
    const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
    if (planes > 0)
      await gpu.enqueue({
        family: 'f32-gavgpool', stem: 'f32-gavgpool-wgsl',
        buffers: [x.tensor.buffer, y.buffer],
        uniforms: [['u32', planes], ['u32', size]],
        workgroups: [Math.min(planes, limit), Math.ceil(planes / limit)],
      });
    return y;
  } finally {
    releaseTemporaries(x);
  }
}
