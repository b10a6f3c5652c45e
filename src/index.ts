/**
 * sparq: fast int8, sparse and fp32 kernels for compressed neural networks.
 *
 * ```ts
 * import { cpu, tensor } from 'sparq';
 * const w = cpu.packWeights(tensor('int8', [k, n], weights, { scale: 0.02 }));
 * const y = cpu.qgemm(tensor('uint8', [m, k], x, { scale: 0.1, zeroPoint: 128 }), w, { output: 'float32' });
 * ```
 */
export { cpu, type CpuBackend, type CpuInfo } from './backends/cpu.js';
export { tensor, sizeOf, type Tensor, type ElementType, type QType, type QuantParams, type TypedArrayOf } from './tensor.js';
export { PackedWeights, packWeights } from './kernels/pack.js';
export type { Activation } from './kernels/activation.js';
export type { GemmOptions, GemmWeights } from './kernels/gemm.js';
export type { QGemmOptions, QGemmOutput, QGemmWeights } from './kernels/qgemm.js';
export type { QuantizeOptions, DequantizeOptions, RequantizeOptions, QuantParamsOptions, MinMax } from './kernels/quantize.js';
export type { Im2colOptions } from './kernels/im2col.js';
export type { SpmmOptions } from './kernels/spmm.js';
export type { TransposeOptions } from './kernels/transpose.js';
export { Linear, LINEAR_LAYOUTS, type LinearKernel, type LinearOptions, type LinearRunOptions } from './kernels/linear.js';
export { DEFAULT_CROSSOVER } from './sparse/crossover-table.js';
export type { CrossoverRow, CrossoverTable, CrossoverTables, SparseLayout } from './sparse/crossover.js';
export { PackedSparseWeights, packSparseWeights, type QSpmmOptions, type QSpmmWeights } from './kernels/qspmm.js';
export { loadNative, nativeStatus } from './native.js';
export { webgpu, WebGpuBackend } from './backends/webgpu/backend.js';
export { GpuTensor } from './backends/webgpu/gpu-tensor.js';
export type { WebGpuOptions, WebGpuBackendName, AdapterReport } from './backends/webgpu/device.js';
export type { GpuGemmOptions } from './backends/webgpu/gemm.js';
export { GpuPackedWeights, type GpuQGemmOptions, type GpuQGemmVariant } from './backends/webgpu/qgemm.js';
export { GpuSparseMatrix, type GpuSpmmOptions } from './backends/webgpu/spmm.js';
export { GpuPackedSparseWeights, type GpuQSpmmOptions } from './backends/webgpu/qspmm.js';
export { SparseMatrix, type SparseFormat, type SparseValueType, type FromDenseOptions, type RowStats } from './sparse/sparse-matrix.js';
export { InferenceSession, type SessionOptions, type Feeds, type NodeProfile } from './runtime/session.js';
export { OnnxLoadError, type Value, type ValueType, type OnnxValueInfo } from './runtime/onnx/model.js';
export { ModelError } from './runtime/ops/op.js';
export {
  compare, randomFeeds,
  type CompareOptions, type CompareTimingOptions, type CompareReport, type CompareTiming, type OutputComparison,
  type ValueErrors, type FirstDivergence, type Measurement, type RunStats, type ThroughputStats, type TensorLike,
} from './runtime/compare.js';
