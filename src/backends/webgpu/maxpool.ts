/**
 * maxPool on the GPU (kernels/f32-maxpool/f32-maxpool-wgsl.wgsl): NCHW
 * float32 / uint8 / int8, undilated windows, element for element
 * cpu.maxPool, with its geometry checks (same errors). The result stays on
 * the GPU, with the input's quantization parameters.
 */
import { maxPoolGeometry, type MaxPoolArgs } from '../../ops/maxpool.js';
import { fail } from '../../validate.js';
import type { GpuContext } from './context.js';
import { wordGrid, wordsOf } from './grid.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export type GpuMaxPoolOptions = MaxPoolArgs;
type PoolType = 'float32' | 'uint8' | 'int8';

export async function gpuMaxPool<T extends PoolType>(gpu: GpuContext, xIn: unknown, options: GpuMaxPoolOptions): Promise<GpuTensor<T>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32', 'uint8', 'int8'], 4);
  try {
    const t = x.tensor;
    const g = maxPoolGeometry(t.dims, options);
    if (t.axis !== undefined && t.axis > 1) fail('x.axis', `(${t.axis}) must be the batch or channel axis: pooling changes the spatial sizes`);
    const quant = t.type === 'float32' ? undefined : { scale: t.scale, zeroPoint: t.zeroPoint, axis: t.axis };
    const y = gpu.empty(t.type, [t.dims[0], t.dims[1], g.outH, g.outW], quant);
    const count = y.size;
    const bytes = t.type === 'float32' ? 4 : 1;
    if (count > 0)
      await gpu.enqueue({
        family: 'f32-maxpool', stem: 'f32-maxpool-wgsl',
        overrides: { ELEMENT_BYTES: bytes, SIGNED: t.type === 'int8' ? 1 : 0 },
        buffers: [t.buffer, y.buffer],
        uniforms: [
          ['u32', count], ['u32', g.height], ['u32', g.width], ['u32', g.kernelH], ['u32', g.kernelW],
          ['u32', g.strideH], ['u32', g.strideW], ['u32', g.padTop], ['u32', g.padLeft], ['u32', g.outH], ['u32', g.outW],
        ],
        workgroups: wordGrid(gpu, wordsOf(count, bytes)),
      });
    return y as GpuTensor<T>;
  } finally {
    releaseTemporaries(x);
  }
}
