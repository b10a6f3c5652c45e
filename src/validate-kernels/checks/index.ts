/** The built-in kernel checks, in the table's order. */
import type { KernelCheck } from '../check.js';
import { f32Conv2d, f32Dwconv2d, f32Dwconv2dNhwc, f32SpConv2d, qu8s8Conv2d, qu8s8Dwconv2d, qu8s8Dwconv2dNhwc } from './conv.js';
import { elementwise } from './elementwise.js';
import { f32Gemm, qu8s8Gemm } from './gemm.js';
import { col2im, im2col, transpose } from './layout.js';
import { dequantize, minmax, quantize, requantize } from './quantize.js';
import { qx8Elementwise } from './qelementwise.js';
import { f32Spmm, qu8s8Spmm } from './spmm.js';
import { f32Maxpool, f32MaxpoolGradNhwc, f32MaxpoolNhwc } from './pool.js';

export { gpuChecks } from './gpu.js';

export const KERNEL_CHECKS: readonly KernelCheck[] = [
  f32Gemm, qu8s8Gemm, f32Spmm, qu8s8Spmm, f32Conv2d, f32SpConv2d, qu8s8Conv2d, f32Dwconv2d, qu8s8Dwconv2d,
  f32Dwconv2dNhwc, qu8s8Dwconv2dNhwc,
  quantize, dequantize, requantize, minmax, f32Maxpool, f32MaxpoolNhwc, f32MaxpoolGradNhwc,
  im2col, col2im, transpose, elementwise, qx8Elementwise,
];
