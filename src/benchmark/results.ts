/**
 * The JSON `sparq bench` writes, and `sparq report` and
 * `sparq bench --compare` read. Scripts may rely on it: fields are only
 * added; `version` changes when one changes meaning.
 */
import type { MachineInfo } from '../machine-info.js';

export const BENCH_FORMAT = 'sparq-bench';
export const BENCH_VERSION = 1;

export interface BenchResults {
  format: typeof BENCH_FORMAT;
  version: typeof BENCH_VERSION;
  /** ISO 8601 time the run started. */
  createdAt: string;
  /** sparq's package version. */
  sparqVersion: string;
  /** The machine, as `sparq info --json` prints it. */
  machine: MachineInfo;
  options: BenchRunOptions;
  kernels: KernelResult[];
  models: ModelResult[];
  accuracy: AccuracyResult[];
  /** What was skipped and why (no onnxruntime-node, no WebGPU adapter, no Fashion-MNIST data, --only). */
  notes: string[];
}

export type BenchBackend = 'cpu' | 'webgpu';

export interface BenchRunOptions {
  quick: boolean;
  /** Thread counts measured, each a separate row (CPU rows; WebGPU rows record the count in force). */
  threads: number[];
  /** The SPARQ_ISA-style cap sparq's CPU kernels ran under ('none': the best this CPU has); onnxruntime is never capped. */
  isa: string;
  backends: BenchBackend[];
  /** The groups asked for with --only; null for all. */
  only: BenchGroup[] | null;
  /** Milliseconds of timed runs per measurement and side. */
  budgetMs: number;
}

/** A suite part: what --only names and what a report chart groups. */
export type BenchGroup = 'gemm' | 'qgemm' | 'spmm' | 'qspmm' | 'conv' | 'quantize' | 'dequantize' | 'models' | 'accuracy';

/** Repeated runs of one side, in milliseconds per call. */
export interface Stats {
  p50Ms: number;
  p99Ms: number;
  /** Timed runs behind p50/p99. */
  runs: number;
}

export interface KernelSide extends Stats {
  /** `unit` (1e9 ops per second) at the median: KernelResult.ops / p50. */
  rate: number;
}

export interface OrtKernelSide extends KernelSide {
  /** The one-node onnxruntime model timed: 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'Conv', 'QLinearConv', 'QuantizeLinear', ... */
  baseline: string;
  /** onnxruntime's execution provider: 'cpu' or 'webgpu'. */
  provider: string;
}

export interface KernelResult {
  group: Exclude<BenchGroup, 'models' | 'accuracy'>;
  /**
   * What sparq ran: 'sgemm', 'qgemm-uint8 full', 'spmm csr', 'spmm bsr-4x1',
   * 'spmm dense' (sparq's dense GEMM on the pruned matrix), 'conv 3x3 fp32', ...
   */
  kernel: string;
  /** The kernel family and the variant dispatch ran, e.g. 'qu8s8-gemm' / 'qu8s8-gemm-4x8c8-avx512vnni'; null where sparq chose (auto) or on WebGPU. */
  family: string | null;
  variant: string | null;
  backend: BenchBackend;
  /** 'M x K x N' for GEMMs, 'HxWxC -> C' for convs, the element count for quantize. */
  shape: string;
  /** The weights' share of zeros (0 for dense kernels). */
  sparsity: number;
  threads: number;
  /** Work per call: 2*M*N*K for products (dense-equivalent, so sparse rates are effective rates), elements for quantize. */
  ops: number;
  unit: 'GFLOP/s' | 'GOP/s' | 'Gelem/s';
  sparq: KernelSide;
  /** null when onnxruntime-node is not installed (see notes). */
  onnxruntime: OrtKernelSide | null;
  /** onnxruntime's p50 over sparq's: above 1 sparq is faster; null without onnxruntime. */
  speedup: number | null;
}

export interface ModelSide extends Stats {
  /** Images per second at the median (batch / p50). */
  imagesPerSec: number;
}

export interface ModelTiming {
  batch: number;
  sparq: ModelSide;
  onnxruntime: ModelSide | null;
  speedup: number | null;
}

export interface ModelResult {
  /** 'cifar10-cnn' or 'fashion-mnist-cnn'. */
  model: string;
  /** 'fp32', 'int8', 'fp32 90% blocks', 'int8 90% blocks', ... */
  form: string;
  precision: 'fp32' | 'int8';
  /** Share of zeros in the prunable (conv and dense) weights. */
  sparsity: number;
  backend: BenchBackend;
  threads: number;
  /** Single-image latency. */
  latency: ModelTiming | null;
  /** Batched throughput. */
  throughput: ModelTiming | null;
  /** sparq's outputs against the oracle (onnxruntime, or sparq's exact reference where onnxruntime's int8 saturates); null without one. */
  check: { oracle: 'onnxruntime' | 'reference'; maxAbsError: number; exact: boolean; top1Agreement: number | null; pass: boolean } | null;
}

export interface AccuracyResult {
  /** 'fashion-mnist'. */
  dataset: string;
  /** The example model's file, e.g. 'int8-90-blocks.onnx'. */
  model: string;
  precision: 'fp32' | 'int8';
  /** Weight bits: 32 or 8. */
  bits: number;
  /** Share of zeros in the prunable weights. */
  sparsity: number;
  /** 'dense', 'unstructured', '2:4', 'blocks 4x1', 'distilled half width'. */
  structure: string;
  backend: BenchBackend;
  /** Test images scored. */
  images: number;
  /** Top-1 accuracy in [0, 1]. */
  top1: number;
}
