/**
 * transpose on the GPU (kernels/x32-transpose/x32-transpose-wgsl.wgsl):
 * [rows, cols] -> [cols, rows] as cpu.transpose, or a batch [B, rows, cols]
 * -> [B, cols, rows] (the runtime's pixels-first GEMM result to NCHW), for
 * every element type. Quantization parameters follow their axis as on the
 * CPU. The result stays on the GPU.
 */
import { ELEMENT_BYTES, type GpuTensor } from './gpu-tensor.js';
import type { ElementType, QuantParams } from '../../tensor.js';
import { typeFail } from '../../validate.js';
import type { GpuContext } from './context.js';
import { wordGrid, wordsOf } from './grid.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

/** A per-axis parameter on one of the two transposed (last) axes moves to the other. */
function transposedQuant(t: QuantParams, rank: number): QuantParams {
  if (t.axis === undefined) return { scale: t.scale, zeroPoint: t.zeroPoint };
  const axis = t.axis < 0 ? t.axis + rank : t.axis;
  return { scale: t.scale, zeroPoint: t.zeroPoint, axis: axis === rank - 1 ? rank - 2 : axis === rank - 2 ? rank - 1 : axis };
}

export async function gpuTranspose<T extends ElementType>(gpu: GpuContext, xIn: unknown): Promise<GpuTensor<T>> {
  const x = gpuInput(gpu, 'x', xIn, ['float32', 'int32', 'uint8', 'int8']);
  try {
    const t = x.tensor;
    const rank = t.dims.length;
    if (rank !== 2 && rank !== 3) typeFail('x.dims', `must have 2 or 3 dimensions, got ${rank}`);
    const [rows, cols] = t.dims.slice(-2);
    const y = gpu.empty(t.type, [...t.dims.slice(0, -2), cols, rows], transposedQuant(t, rank));
    const count = t.size;
    const bytes = ELEMENT_BYTES[t.type] as 1 | 4;
    if (count > 0)
      await gpu.enqueue({
        family: 'x32-transpose', stem: 'x32-transpose-wgsl',
        overrides: { ELEMENT_BYTES: bytes },
        buffers: [t.buffer, y.buffer],
        uniforms: [['u32', count], ['u32', rows], ['u32', cols]],
        workgroups: wordGrid(gpu, wordsOf(count, bytes)),
      });
    return y as GpuTensor<T>;
  } finally {
    releaseTemporaries(x);
  }
}
