/**
 * One benchmark case per kernel and shape: the sparq call and the matching
 * onnxruntime-node session on the same data. GEMM weights are constants on
 * both sides (sparq packs them once, onnxruntime prepacks its initializers),
 * and both write into preallocated outputs (sparq's `out` option,
 * onnxruntime's fetches), as an inference loop would.
 */
import { cpu, SparseMatrix, tensor, type PackedWeights, type Tensor } from '../src/index.js';
import { BENCH_GEMM_SHAPES, BENCH_SPMM_SHAPES, type GemmShape, type SpmmShape } from './shapes.js';
import {
  dequantizeLinearGraph, matMulGraph, matMulIntegerGraph, ort, ortSession, qlinearMatMulGraph, quantizeLinearGraph,
} from './ort-models.js';

export interface BenchCase {
  sparq: () => unknown;
  ort: () => Promise<unknown>;
  release: () => Promise<void>;
}

export interface KernelBench {
  kernel: string;
  shape: string;
  /** Work per call: 2*M*N*K for GEMMs, elements for element-wise kernels. */
  ops: number;
  unit: string;
  baseline: string;
  setup: (threads: number) => Promise<BenchCase>;
}

function randomInt8(n: number, lo: number, hi: number): Int8Array {
  return Int8Array.from({ length: n }, () => lo + Math.floor(Math.random() * (hi - lo + 1)));
}

function randomUint8(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
}

function sgemm(s: GemmShape): KernelBench {
  return {
    kernel: 'sgemm', shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul',
    setup: async (threads) => {
      const w = Float32Array.from({ length: s.k * s.n }, () => Math.random() - 0.5);
      const x = Float32Array.from({ length: s.m * s.k }, () => Math.random() - 0.5);
      const packed = cpu.packWeights(tensor('float32', [s.k, s.n], w));
      const a = tensor('float32', [s.m, s.k], x);
      const session = await ortSession(matMulGraph(s.m, s.k, s.n, w), threads);
      const feed = { X: new ort.Tensor('float32', x, [s.m, s.k]) };
      const fetches = { Y: new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) };
      const out = new Float32Array(s.m * s.n);
      return { sparq: () => cpu.gemm(a, packed, { out }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** qgemm with int32 output vs MatMulInteger, or fused uint8 requantize vs QLinearMatMul. */
function qgemm(s: GemmShape, weights: 'full' | '7bit', output: 'int32' | 'uint8'): KernelBench {
  const baseline = output === 'int32' ? 'MatMulInteger' : 'QLinearMatMul';
  return {
    kernel: `qgemm-${output} ${weights}`, shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GOP/s', baseline,
    setup: async (threads) => {
      const w = weights === 'full' ? randomInt8(s.k * s.n, -128, 127) : randomInt8(s.k * s.n, -64, 63);
      const x = randomUint8(s.m * s.k);
      const wScales = Float32Array.from({ length: s.n }, () => 0.01 + Math.random() * 0.01);
      const packed: PackedWeights = cpu.packWeights(tensor('int8', [s.k, s.n], w, { scale: wScales, axis: 1 }));
      const a: Tensor<'uint8'> = tensor('uint8', [s.m, s.k], x, { scale: 0.05, zeroPoint: 120 });
      const params = { xScale: 0.05, xZeroPoint: 120, wScales, yScale: 0.5, yZeroPoint: 110 };
      const graph = output === 'int32' ? matMulIntegerGraph(s.m, s.k, s.n, w, 120) : qlinearMatMulGraph(s.m, s.k, s.n, w, params);
      const session = await ortSession(graph, threads);
      const feed = { X: new ort.Tensor('uint8', x, [s.m, s.k]) };
      const out = output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n);
      const fetches = { Y: new ort.Tensor(output, output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n), [s.m, s.n]) };
      const options = output === 'int32' ? { out } : ({ output, outScale: 0.5, outZeroPoint: 110, out } as const);
      return { sparq: () => cpu.qgemm(a, packed, options), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

function quantize(size: number): KernelBench {
  return {
    kernel: 'quantize u8', shape: `${size}`, ops: size, unit: 'Gelem/s', baseline: 'QuantizeLinear',
    setup: async (threads) => {
      const x = Float32Array.from({ length: size }, () => (Math.random() - 0.5) * 20);
      const t = tensor('float32', [size], x);
      const session = await ortSession(quantizeLinearGraph(size, 0.07, 128), threads);
      const feed = { X: new ort.Tensor('float32', x, [size]) };
      const fetches = { Y: new ort.Tensor('uint8', new Uint8Array(size), [size]) };
      const out = new Uint8Array(size);
      return { sparq: () => cpu.quantize(t, { type: 'uint8', scale: 0.07, zeroPoint: 128, out }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

function dequantize(size: number): KernelBench {
  return {
    kernel: 'dequantize u8', shape: `${size}`, ops: size, unit: 'Gelem/s', baseline: 'DequantizeLinear',
    setup: async (threads) => {
      const x = randomUint8(size);
      const t = tensor('uint8', [size], x, { scale: 0.07, zeroPoint: 128 });
      const session = await ortSession(dequantizeLinearGraph(size, 0.07, 128), threads);
      const feed = { X: new ort.Tensor('uint8', x, [size]) };
      const fetches = { Y: new ort.Tensor('float32', new Float32Array(size), [size]) };
      const out = new Float32Array(size);
      return { sparq: () => cpu.dequantize(t, { out }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** A sparse weight format as the spmm benches name it: csr, bsr [r, 1] blocks, or 2:4. */
type SpmmFormat = { name: 'csr' } | { name: `bsr${number}x1`; blockRows: number } | { name: 'nm2:4' };
const SPMM_FORMATS: readonly SpmmFormat[] = [{ name: 'csr' }, { name: 'bsr4x1', blockRows: 4 }, { name: 'bsr8x1', blockRows: 8 }];

/**
 * Sparse W[N, K] (`sparsity` of it zero: single weights for csr, whole blocks
 * for bsr, 2 of every 4 for nm) times dense X[K, M] against onnxruntime's
 * dense MatMul on the same matrix, posed the way onnxruntime prepacks it:
 * X^T[M, K] * W^T[K, N] with W^T constant. Ops count the dense product
 * (2*M*N*K), so GOP/s are "effective" and the ratio is the speed-up.
 */
function spmm(s: SpmmShape, format: SpmmFormat): KernelBench {
  return {
    kernel: `spmm-${format.name} ${Math.round(s.sparsity * 100)}%`, shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul (dense)',
    setup: async (threads) => {
      const blockRows = 'blockRows' in format ? format.blockRows : 1;
      const kept = Array.from({ length: (s.n / blockRows) * s.k }, () => Math.random() >= s.sparsity);
      const w = Float32Array.from({ length: s.n * s.k }, (_, i) => {
        const [row, col] = [Math.floor(i / s.k), i % s.k];
        return kept[Math.floor(row / blockRows) * s.k + col] ? Math.random() - 0.5 : 0;
      });
      const x = Float32Array.from({ length: s.k * s.m }, () => Math.random() - 0.5);
      const options = format.name === 'nm2:4' ? { format: 'nm' as const } : { format: blockRows === 1 ? ('csr' as const) : ('bsr' as const), blockShape: [blockRows, 1] as const };
      const sparse = SparseMatrix.fromDense(tensor('float32', [s.n, s.k], w), options) as SparseMatrix<'float32'>;
      const xt = new Float32Array(s.m * s.k), wt = new Float32Array(s.k * s.n);
      for (let i = 0; i < s.k; i++) for (let j = 0; j < s.m; j++) xt[j * s.k + i] = x[i * s.m + j];
      const pruned = sparse.toDense().data;
      for (let i = 0; i < s.n; i++) for (let j = 0; j < s.k; j++) wt[j * s.n + i] = pruned[i * s.k + j];
      const session = await ortSession(matMulGraph(s.m, s.k, s.n, wt), threads);
      const feed = { X: new ort.Tensor('float32', xt, [s.m, s.k]) };
      const fetches = { Y: new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) };
      const a = tensor('float32', [s.k, s.m], x);
      const out = new Float32Array(s.n * s.m);
      return { sparq: () => cpu.spmm(sparse, a, { out }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** Every format on every spmm shape; 2:4 (always 50% sparse) on the 50% shapes whose K it divides. */
function spmmBenches(shapes: readonly SpmmShape[]): KernelBench[] {
  return [
    ...SPMM_FORMATS.flatMap((f) => shapes.map((s) => spmm(s, f))),
    ...shapes.filter((s) => s.sparsity === 0.5 && s.k % 4 === 0).map((s) => spmm(s, { name: 'nm2:4' })),
  ];
}

/** A sparse int8 format of the qspmm benches: csr, [1, 4] blocks, or 2:4. */
type QSpmmFormat = 'csr' | 'bsr1x4' | 'nm2:4';

/**
 * Sparse int8 W[N, K] (`sparsity` of it zero: single weights for csr, whole
 * [1, 4] blocks for bsr, 2 of every 4 for nm) times uint8 X[K, M] with int32
 * output, against onnxruntime's dense MatMulInteger on the same pruned
 * matrix, posed the way it prepacks it: X^T[M, K] * W^T[K, N] with W^T
 * constant. Ops count the dense product, so the ratio is the speed-up.
 */
function qspmm(s: SpmmShape, format: QSpmmFormat): KernelBench {
  return {
    kernel: `qspmm-${format} ${Math.round(s.sparsity * 100)}%`, shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GOP/s', baseline: 'MatMulInteger (dense)',
    setup: async (threads) => {
      const block = format === 'bsr1x4' ? 4 : 1;
      const kept = Array.from({ length: (s.n * s.k) / block }, () => format === 'nm2:4' || Math.random() >= s.sparsity);
      const w = Int8Array.from({ length: s.n * s.k }, (_, i) => (kept[Math.floor(i / block)] ? 1 + Math.floor(Math.random() * 255) - 128 || 1 : 0));
      const options = format === 'csr' ? { format } : format === 'bsr1x4' ? { format: 'bsr' as const, blockShape: [1, 4] as const } : { format: 'nm' as const };
      const sparse = SparseMatrix.fromDense(tensor('int8', [s.n, s.k], w, { scale: 0.01 }), options) as SparseMatrix<'int8'>;
      const packed = cpu.packSparseWeights(sparse);
      const x = randomUint8(s.k * s.m);
      const xt = new Uint8Array(s.m * s.k), wt = new Int8Array(s.k * s.n);
      for (let i = 0; i < s.k; i++) for (let j = 0; j < s.m; j++) xt[j * s.k + i] = x[i * s.m + j];
      const pruned = sparse.toDense().data;
      for (let i = 0; i < s.n; i++) for (let j = 0; j < s.k; j++) wt[j * s.n + i] = pruned[i * s.k + j];
      const session = await ortSession(matMulIntegerGraph(s.m, s.k, s.n, wt, 120), threads);
      const feed = { X: new ort.Tensor('uint8', xt, [s.m, s.k]) };
      const fetches = { Y: new ort.Tensor('int32', new Int32Array(s.m * s.n), [s.m, s.n]) };
      const a = tensor('uint8', [s.k, s.m], x, { zeroPoint: 120 });
      const out = new Int32Array(s.n * s.m);
      return { sparq: () => cpu.qspmm(packed, a, { out }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** csr and [1, 4] blocks on every spmm shape; 2:4 (always 50% sparse) on the 50% shapes whose K it divides. */
function qspmmBenches(shapes: readonly SpmmShape[]): KernelBench[] {
  return [
    ...(['csr', 'bsr1x4'] as const).flatMap((f) => shapes.filter((s) => f === 'csr' || s.k % 4 === 0).map((s) => qspmm(s, f))),
    ...shapes.filter((s) => s.sparsity === 0.5 && s.k % 4 === 0).map((s) => qspmm(s, 'nm2:4')),
  ];
}

export function kernelBenches({ quick }: { quick: boolean }): KernelBench[] {
  const shapes = quick ? BENCH_GEMM_SHAPES.filter((s) => s.name !== '1024^3') : BENCH_GEMM_SHAPES;
  const sizes = quick ? [1 << 20] : [1 << 16, 1 << 20, 1 << 23];
  return [
    ...shapes.map(sgemm),
    ...shapes.map((s) => qgemm(s, 'full', 'int32')),
    ...shapes.map((s) => qgemm(s, '7bit', 'int32')),
    ...shapes.map((s) => qgemm(s, 'full', 'uint8')),
    ...shapes.map((s) => qgemm(s, '7bit', 'uint8')),
    ...sizes.map(quantize),
    ...sizes.map(dequantize),
    ...spmmBenches(quick ? BENCH_SPMM_SHAPES.filter((s) => s.sparsity === 0.9) : BENCH_SPMM_SHAPES),
    ...qspmmBenches(quick ? BENCH_SPMM_SHAPES.filter((s) => s.sparsity === 0.9) : BENCH_SPMM_SHAPES),
  ];
}
