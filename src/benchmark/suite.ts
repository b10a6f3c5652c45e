/**
 * The kernel suite's cases: every group on the CPU, the GEMM-shaped ones on
 * WebGPU. Quick mode drops the largest shapes and the second sparse
 * activation width so the whole suite takes well under a minute on two
 * cores; full mode runs every shape.
 */
import { convCase, CIFAR_CONV_LAYERS } from './cases/conv.js';
import { qgemmCase, sgemmCase } from './cases/gemm.js';
import type { KernelCase } from './cases/kernel-case.js';
import { dequantizeCase, quantizeCase } from './cases/quantize.js';
import { sparseCase, sparseSides } from './cases/sparse.js';
import { gpuQgemmCase, gpuSgemmCase, gpuSpmmCase } from './cases/webgpu.js';
import type { BenchBackend } from './results.js';
import { BENCH_GEMM_SHAPES, BENCH_SPMM_SHAPES } from './shapes.js';

const CONV_BATCH = 64;
/** WebGPU shapes: a software adapter (lavapipe) runs 1024^3 in a third of a second, so quick keeps the smallest. */
const GPU_GEMM_SHAPES = { quick: ['256^3'], full: ['256^3', '1024^3', 'gemv 4096'] };

export function cpuCases(quick: boolean): KernelCase[] {
  const gemms = quick ? BENCH_GEMM_SHAPES.filter((s) => s.name !== '1024^3') : BENCH_GEMM_SHAPES;
  const spmms = quick ? BENCH_SPMM_SHAPES.filter((s) => s.name === '1024x1024 m64') : BENCH_SPMM_SHAPES;
  const sizes = quick ? [1 << 20] : [1 << 16, 1 << 20, 1 << 23];
  const qgemmForms = quick ? (['full'] as const) : (['full', '7bit'] as const);
  return [
    ...gemms.map(sgemmCase),
    ...qgemmForms.flatMap((weights) => gemms.flatMap((s) => [qgemmCase(s, weights, 'int32'), qgemmCase(s, weights, 'uint8')])),
    ...(['float32', 'int8'] as const).flatMap((type) => spmms.flatMap((s) => sparseSides(type, s, quick).map((side) => sparseCase(type, s, side)))),
    ...(['fp32', 'int8'] as const).flatMap((precision) => CIFAR_CONV_LAYERS.flatMap((layer) => ([0, 0.9] as const).map((sparsity) => convCase(layer, CONV_BATCH, precision, sparsity)))),
    ...sizes.map(quantizeCase),
    ...sizes.map(dequantizeCase),
  ];
}

export function gpuCases(quick: boolean): KernelCase[] {
  const gemms = BENCH_GEMM_SHAPES.filter((s) => GPU_GEMM_SHAPES[quick ? 'quick' : 'full'].includes(s.name));
  const spmms = BENCH_SPMM_SHAPES.filter((s) => s.name === '1024x1024 m64' && (!quick || s.sparsity === 0.9));
  return [
    ...gemms.map(gpuSgemmCase),
    ...gemms.map(gpuQgemmCase),
    ...spmms.flatMap((s) => (quick ? (['csr'] as const) : (['csr', 'bsr4x1'] as const)).map((layout) => gpuSpmmCase(s, layout))),
  ];
}

export function kernelCases(quick: boolean, backend: BenchBackend): KernelCase[] {
  return backend === 'cpu' ? cpuCases(quick) : gpuCases(quick);
}
