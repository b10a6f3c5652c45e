/**
 * gemm on the GPU: C[M, N] = activation(A[M, K] * B[K, N] + bias), float32.
 * Two kernels of kernels/f32-gemm/ with one contract (bindings, uniforms):
 * f32-gemm-wgsl (tiled in workgroup memory, 8 x 4 outputs per invocation)
 * and, for M <= GEMV_MAX_M, f32-gemm-gemv-wgsl (each B row read once per 4
 * rows of A, K split across the workgroup). Same arguments and errors as
 * cpu.gemm; A and B may be GPU tensors (weights uploaded once with
 * backend.upload), and the result stays on the GPU.
 */
import { activationRange, type Activation } from '../../ops/activation.js';
import { checkBias, checkObject, fail } from '../../validate.js';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';

export interface GpuGemmOptions {
  /** [N] values added to every row. */
  bias?: Float32Array;
  activation?: Activation;
}

/** Output tile of one tiled workgroup at the kernel's default overrides: WG_Y * 8 rows by WG_X * 4 columns. */
const [TILE_M, TILE_N] = [64, 32];
/** The GEMV kernel's rows per row group (its ROWS) and columns per workgroup (WG_X * 4) at the default overrides. */
const [GEMV_ROWS, GEMV_N] = [4, 64];
/**
 * Largest M that runs the GEMV kernel. On lavapipe (2 threads, ms per call,
 * GEMV vs tiled): 1x4096x4096 ~60 vs ~700, 1x1024x1024 ~1.5 vs ~29,
 * 4x1024x1024 ~2.5 vs ~25, 8x1024x1024 ~6 vs ~40, 16x1024x1024 ~17 vs ~42,
 * 32x1024x1024 ~30 vs ~45, 64x1024x1024 ~65 vs ~45. The tiled kernel costs
 * the same for any M up to its 64-row tile, the GEMV one grows with M (it
 * reads B once per 4 rows), so they break even near M = 32. 16 is the
 * largest measured M with a clear (> 2x) win; on real GPUs the tiled
 * kernel's B reuse should move the break-even lower, not higher (not
 * measured there).
 */
export const GEMV_MAX_M = 16;

export async function gpuGemm(gpu: GpuContext, aIn: unknown, bIn: unknown, options: GpuGemmOptions = {}): Promise<GpuTensor<'float32'>> {
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
    const gemv = m <= GEMV_MAX_M;
    const [tileM, tileN] = gemv ? [GEMV_ROWS, GEMV_N] : [TILE_M, TILE_N];
    await gpu.enqueue({
      family: 'f32-gemm',
      stem: gemv ? 'f32-gemm-gemv-wgsl' : 'f32-gemm-wgsl',
      buffers: [a.tensor.buffer, b.tensor.buffer, gpu.constants(bias ?? new Float32Array(1)), c.buffer],
      uniforms: [['u32', m], ['u32', n], ['u32', k], ['u32', bias ? 1 : 0], ['f32', min], ['f32', max]],
      workgroups: [Math.max(1, Math.min(Math.ceil(n / tileN), limit)), Math.max(1, Math.min(Math.ceil(m / tileM), limit))],
    });
    return c;
  } finally {
    releaseTemporaries(a, b);
  }
}
