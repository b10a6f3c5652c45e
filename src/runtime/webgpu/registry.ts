/** The operators with GPU kernels (opKey -> handler); every other node runs its CPU kernel. */
import { FUSED_MAX, FUSED_MIN } from '../ops/op.js';
import { FUSED_ALPHA, FUSED_BETA, FUSED_KIND, FUSED_RESIDUAL } from '../ops/post-op.js';
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

const CLAMP = [FUSED_MIN, FUSED_MAX];
const POST_OP = [FUSED_KIND, FUSED_ALPHA, FUSED_BETA, FUSED_RESIDUAL];
const NONE: ReadonlySet<string> = new Set();

/**
 * The fusion attributes (ops/op.ts, passes/) each GPU handler applies: the
 * clamp (Gemm, MatMul, the convs), the convs' pool, the float Conv's and
 * Gemm's post-op (post-op.ts). A node carrying any other runs on the CPU.
 */
export const GPU_FUSIONS: Readonly<Record<string, ReadonlySet<string>>> = {
  Conv: new Set([...CLAMP, ...POOL_FUSION, ...POST_OP]),
  QLinearConv: new Set([...CLAMP, ...POOL_FUSION]),
  Gemm: new Set([...CLAMP, ...POST_OP]),
  MatMul: new Set(CLAMP),
  QLinearMatMul: new Set(CLAMP),
};

/** The fusions `op`'s GPU handler applies (none for most). */
export function gpuFusions(op: string): ReadonlySet<string> {
  return GPU_FUSIONS[op] ?? NONE;
}
