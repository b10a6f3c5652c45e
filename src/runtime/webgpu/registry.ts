/** The operators with GPU kernels (opKey -> handler); every other node runs its CPU kernel. */
import { gpuConv, gpuQLinearConv } from './conv.js';
import type { GpuOpHandler } from './kernel.js';
import { gpuGemm, gpuMatMul, gpuQLinearMatMul } from './matmul.js';
import { gpuMaxPool } from './pool.js';
import { gpuDequantizeLinear, gpuQuantizeLinear } from './quantize.js';

export const GPU_OPS: Readonly<Record<string, GpuOpHandler>> = {
  Conv: gpuConv,
  QLinearConv: gpuQLinearConv,
  Gemm: gpuGemm,
  MatMul: gpuMatMul,
  QLinearMatMul: gpuQLinearMatMul,
  MaxPool: gpuMaxPool,
  QuantizeLinear: gpuQuantizeLinear,
  DequantizeLinear: gpuDequantizeLinear,
};
