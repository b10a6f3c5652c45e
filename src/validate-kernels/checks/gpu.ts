/**
 * The WebGPU backend's ops against the same reference and cases as the CPU
 * checks: GEMM, qgemm, SpMM, qSpMM, depthwise conv, max pooling, im2col,
 * transpose, quantize, dequantize and requantize, each the CPU check with
 * run() on the device (one row per family: the GPU picks its kernel by
 * shape).
 */
import type { WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import type { KernelCheck } from '../check.js';
import { f32Dwconv2d, window } from './conv.js';
import { f32Gemm, qu8s8Gemm } from './gemm.js';
import { im2col, transpose } from './layout.js';
import { f32Maxpool, options as poolOptions } from './pool.js';
import { dequantize, quantize, requantize } from './quantize.js';
import { f32Spmm, int8Weights, qu8s8Spmm } from './spmm.js';

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
    onGpu(qu8s8Spmm, (c) => gpu.qspmm(int8Weights(c), tensor('uint8', [c.k, c.m], c.x, { zeroPoint: c.xZeroPoint }))),
    onGpu(f32Dwconv2d, (c) => gpu.dwconv2d(tensor('float32', [c.s.n, c.s.c, c.s.h, c.s.w], c.x), tensor('float32', [c.s.c, 1, c.s.kh, c.s.kw], c.w), { ...window(c.s), bias: c.bias })),
    onGpu(f32Maxpool, (c) => gpu.maxPool(tensor(c.type, [c.n, c.c, c.h, c.w], c.x as never), poolOptions(c))),
    onGpu(im2col, (c) => gpu.im2col(c.uint8 ? tensor('uint8', c.dims, c.x as Uint8Array, { scale: 0.1, zeroPoint: 77 }) : tensor('float32', c.dims, c.x as Float32Array), c.options)),
    onGpu(transpose, (c) => gpu.transpose(tensor(c.type, [c.rows, c.cols], c.x as never))),
    onGpu(quantize, (c) => gpu.quantize(tensor('float32', [c.n], c.x), { type: c.type, scale: c.scale, zeroPoint: c.zeroPoint })),
    onGpu(dequantize, (c) => gpu.dequantize(tensor(c.type, [c.n], c.x as never, { scale: c.scale, zeroPoint: c.zeroPoint }))),
    onGpu(requantize, (c) => gpu.requantize(tensor('int32', [c.n], c.acc, { scale: c.accScale }),
      c.type === 'float32' ? { type: c.type, bias: c.bias } : { type: c.type, scale: c.outScale, zeroPoint: c.zeroPoint, bias: c.bias, activation: 'relu' })),
  ];
}
