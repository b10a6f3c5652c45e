/** The operators with GPU kernels (opKey -> handler); every other node runs its CPU kernel. */
import { FUSED_MAX, FUSED_MIN } from '../ops/op.js';
import { gpuConv, gpuQLinearConv, POOL_FUSION } from './conv.js';
import type { GpuOpHandler } from './node-run.js';
import { gpuGemm, gpuMatMul, gpuQLinearMatMul } from './matmul.js';
import { ELEMENTWISE_GPU_OPS } from './elementwise.js';
import { gpuTranspose } from './layout.js';
import { gpuGlobalAveragePool, gpuMaxPool } from './pool.js';
import { gpuDequantizeLinear, gpuQuantizeLinear } from './quantize.js';

export const GPU_OPS: Readonly<Record<string, GpuOpHandler>> = {
  Conv: gpuConv,
  QLinearConv: gpuQLinearConv,
  Gemm: gpuGemm,
  MatMul: gpuMatMul,
  QLinearMatMul: gpuQLinearMatMul,
  MaxPool: gpuMaxPool,
  GlobalAveragePool: gpuGlobalAveragePool,
  Transpose: gpuTranspose,
  ...ELEMENTWISE_GPU_OPS,
  QuantizeLinear: gpuQuantizeLinear,
  DequantizeLinear: gpuDequantizeLinear,
};

/** The fusion attributes (ops/op.ts, passes/) the GPU handlers apply: the clamp (Gemm, MatMul, the convs) and the convs' pool. */
export const GPU_FUSIONS: ReadonlySet<string> = new Set([FUSED_MIN, FUSED_MAX, ...POOL_FUSION]);
