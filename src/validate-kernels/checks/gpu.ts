/**
 * The WebGPU backend's ops against the same reference and cases as the CPU
 * checks: GEMM, qgemm, SpMM, quantize, dequantize and requantize, each the
 * CPU check with run() on the device (one row per family: the GPU picks its
 * kernel by shape).
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import type { KernelCheck } from '../check.js';
import { f32Gemm, qu8s8Gemm } from './gemm.js';
import { dequantize, quantize, requantize } from './quantize.js';
import { f32Spmm } from './spmm.js';

export function gpuChecks(gpu: WebGpuBackend): KernelCheck[] {
  const onGpu = <C>(check: KernelCheck<C>, run: (c: C) => Promise<GpuTensor>): KernelCheck<C> => ({
    ...check, backend: 'webgpu', variantsOf: null, accepts: undefined,
    async run(c) {
      const y = await run(c);
      try {
        return (await gpu.download(y)).data as ArrayLike<number>;
      } finally {
        y.dispose();
      }
    },
  });
  return [
    onGpu(f32Gemm, (c) => gpu.gemm(tensor('float32', [c.m, c.k], c.a), tensor('float32', [c.k, c.n], c.b), { bias: c.bias })),
    onGpu(qu8s8Gemm, (c) => gpu.qgemm(tensor('uint8', [c.m, c.k], c.a, { zeroPoint: c.aZeroPoint }), tensor('int8', [c.k, c.n], c.b, { scale: 0.02 }))),
    onGpu(f32Spmm, (c) => gpu.spmm(SparseMatrix.fromDense(tensor('float32', [c.n, c.k], c.w), c.format) as SparseMatrix<'float32'>, tensor('float32', [c.k, c.m], c.x), { bias: c.bias })),
    onGpu(quantize, (c) => gpu.quantize(tensor('float32', [c.n], c.x), { type: c.type, scale: c.scale, zeroPoint: c.zeroPoint })),
    onGpu(dequantize, (c) => gpu.dequantize(tensor(c.type, [c.n], c.x as never, { scale: c.scale, zeroPoint: c.zeroPoint }))),
    onGpu(requantize, (c) => gpu.requantize(tensor('int32', [c.n], c.acc, { scale: c.accScale }),
      c.type === 'float32' ? { type: c.type, bias: c.bias } : { type: c.type, scale: c.outScale, zeroPoint: c.zeroPoint, bias: c.bias, activation: 'relu' })),
  ];
}
