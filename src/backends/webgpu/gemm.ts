/**
 * gemm on the GPU: C[M, N] = activation(A[M, K] * B[K, N] + bias), float32,
 * kernels/f32-gemm/f32-gemm-wgsl.wgsl (tiled in workgroup memory, 8 x 4
 * outputs per invocation). Same arguments and errors as cpu.gemm; A and B
 * may be GPU tensors (weights uploaded once with backend.upload), and the
 * result stays on the GPU.
 */
import { activationRange, type Activation } from '../../kernels/activation.js';
import { checkBias, checkObject, fail } from '../../validate.js';
import type { WebGpuBackend } from './backend.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export interface GpuGemmOptions {
  /** [N] values added to every row. */
  bias?: Float32Array;
  activation?: Activation;
}

/** Output tile of one workgroup at the kernel's default overrides: WG_Y * 8 rows by WG_X * 4 columns. */
const [TILE_M, TILE_N] = [64, 32];

export async function gpuGemm(gpu: WebGpuBackend, aIn: unknown, bIn: unknown, options: GpuGemmOptions = {}): Promise<GpuTensor<'float32'>> {
  const a = gpuInput(gpu, 'a', aIn, ['float32'], 2);
  const b = gpuInput(gpu, 'b', bIn, ['float32'], 2);
  try {
    checkObject('options', options);
    const [m, k] = a.tensor.dims, [kb, n] = b.tensor.dims;
    if (kb !== k) fail('b', `has K = ${kb} rows but a has K = ${k} columns`);
    const bias = checkBias(options.bias, 'float32', n);
    const { min, max } = activationRange('options.activation', options.activation);
    const c = gpu.empty('float32', [m, n]);
    const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
    await gpu.enqueue({
      family: 'f32-gemm',
      stem: 'f32-gemm-wgsl',
      buffers: [a.tensor.buffer, b.tensor.buffer, gpu.constants(bias ?? new Float32Array(1)), c.buffer],
      uniforms: [['u32', m], ['u32', n], ['u32', k], ['u32', bias ? 1 : 0], ['f32', min], ['f32', max]],
      workgroups: [Math.max(1, Math.min(Math.ceil(n / TILE_N), limit)), Math.max(1, Math.min(Math.ceil(m / TILE_M), limit))],
    });
    return c;
  } finally {
    releaseTemporaries(a, b);
  }
}
