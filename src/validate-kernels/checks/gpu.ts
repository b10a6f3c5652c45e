/**
 * The WebGPU backend's ops against the same reference and cases as the CPU
 * checks: each is the CPU check with run() on the device (one row per
 * family: the GPU has one variant per op, chosen by shape).
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import { tensor } from '../../tensor.js';
import type { KernelCheck } from '../check.js';
import { f32Gemm, qu8s8Gemm } from './gemm.js';

export function gpuChecks(gpu: WebGpuBackend): KernelCheck<never>[] {
  const onGpu = <C>(check: KernelCheck<C>, run: (c: C) => Promise<ArrayLike<number>>): KernelCheck<C> => ({ ...check, backend: 'webgpu', variantsOf: null, accepts: undefined, run });
  return [
    onGpu(f32Gemm, async (c) => {
      const y = await gpu.gemm(tensor('float32', [c.m, c.k], c.a), tensor('float32', [c.k, c.n], c.b), { bias: c.bias });
      try {
        return (await gpu.download(y)).data;
      } finally {
        y.dispose();
      }
    }),
    onGpu(qu8s8Gemm, async (c) => {
      const y = await gpu.qgemm(tensor('uint8', [c.m, c.k], c.a, { zeroPoint: c.aZeroPoint }), tensor('int8', [c.k, c.n], c.b, { scale: 0.02 }));
      try {
        return (await gpu.download(y)).data;
      } finally {
        y.dispose();
      }
    }),
  ] as KernelCheck<never>[];
}
