/**
 * sparq: fast int8, sparse and fp32 kernels for compressed neural networks.
 *
 * ```ts
 * import { cpu, tensor } from 'sparq';
 * const w = cpu.packWeights(tensor('int8', [k, n], weights, { scale: 0.02 }));
 * const y = cpu.qgemm(tensor('uint8', [m, k], x, { scale: 0.1, zeroPoint: 128 }), w, { output: 'float32' });
 * ```
 */
export { cpu, type CpuBackend, type CpuInfo } from './backends/cpu/backend.js';
export { tensor, sizeOf, type Tensor, type ElementType, type QType, type QuantParams, type TypedArrayOf } from './tensor.js';
export { PackedWeights, packWeights } from './backends/cpu/pack.js';
export type { Activation, PointwiseActivation } from './ops/activation.js';
export type { GemmOptions, GemmWeights } from './backends/cpu/gemm.js';
export type { QGemmOptions, QGemmWeights } from './backends/cpu/qgemm.js';
export type { Qdwconv2dOptions } from './backends/cpu/qdwconv2d.js';
export type { Qdwconv2dNhwcOptions, Qdwconv2dNhwcPlan } from './backends/cpu/qdwconv2d-nhwc.js';
export type { Qconv2dNhwcOptions, Qconv2dNhwcPlan } from './backends/cpu/qconv2d-nhwc.js';
export type { QGemmOutput } from './ops/quantized-output.js';
export type { QuantizeOptions, DequantizeOptions, RequantizeOptions, QuantParamsOptions, MinMax } from './backends/cpu/quantize.js';
export type { Im2colOptions } from './backends/cpu/im2col.js';
export type { Dwconv2dOptions, Dwconv2dPlan } from './backends/cpu/dwconv2d.js';
export type { Conv2dNhwcOptions, Conv2dNhwcPlan } from './backends/cpu/conv2d-nhwc.js';
export type { Dwconv2dNhwcOptions, Dwconv2dNhwcPlan } from './backends/cpu/dwconv2d-nhwc.js';
export type { SpmmOptions } from './backends/cpu/spmm.js';
export type { SpmmNhwcOptions, SpmmNhwcPlan } from './backends/cpu/spmm-nhwc.js';
export type { TransposeOptions } from './backends/cpu/transpose.js';
export { Linear, LINEAR_LAYOUTS, type LinearKernel, type LinearOptions, type LinearRunOptions } from './backends/cpu/linear.js';
export { DEFAULT_CROSSOVER } from './backends/cpu/crossover-table.js';
export type { CrossoverRow, CrossoverTable, CrossoverTables, SparseLayout } from './backends/cpu/crossover.js';
export { PackedSparseWeights, packSparseWeights, type QSpmmOptions, type QSpmmWeights } from './backends/cpu/qspmm.js';
export { loadNative, nativeStatus } from './native.js';
export { limits, setLimits, LimitError, DEFAULT_LIMITS, type Limits } from './limits.js';
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
export { ModelError } from './runtime/onnx/model.js';
export { compare, type CompareOptions, type CompareReport, type OutputComparison } from './runtime/compare.js';
export { randomFeeds } from './runtime/compare/feeds.js';
export type { ValueErrors, TensorLike } from './runtime/compare/metrics.js';
export type { FirstDivergence } from './runtime/compare/divergence.js';
export type { CompareTimingOptions, CompareTiming, Measurement, RunStats, ThroughputStats } from './runtime/compare/timing.js';
export * as compress from './compress/index.js';
export { validateKernels, KERNEL_FAMILIES, type ValidateOptions, type ValidationReport, type ValidationRow, type FirstFailure } from './validate-kernels/index.js';
export { runBench, BENCH_GROUPS, type BenchOptions } from './benchmark/run-bench.js';
export { compareResults, parseBenchResults, BenchFileError, type BenchComparison } from './benchmark/compare-results.js';
export type { BenchResults, BenchGroup, BenchBackend, BenchRunOptions, KernelResult, ModelResult, AccuracyResult, Stats } from './benchmark/results.js';
export { renderReport, writeReport } from './report/lazy.js';
export { machineInfo, type MachineInfo, type FamilyInfo } from './machine-info.js';
export { createServer } from './serve/lazy.js';
export type { ServeOptions } from './serve/options.js';
export type { SparqServer } from './serve/server.js';
