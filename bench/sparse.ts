/**
 * The sparse benches: pruned W[N, K] times dense X[K, M], float32 (spmm) and
 * int8 (qspmm, u8 activations, int32 out), against onnxruntime's dense MatMul
 * / MatMulInteger on the same pruned matrix, posed the way onnxruntime
 * prepacks it: X^T[M, K] * W^T[K, N] with W^T constant. Ops count the dense
 * product (2*M*N*K), so GOP/s are "effective" and the ratio is the speed-up.
 *
 * Each sparq side is one of: a sparse layout (the kernel on that format, the
 * weight pruned at its granularity: single weights for csr, whole blocks for
 * bsr, 2 of every 4 for nm), 'dense' (sparq's own GEMM on the same operands
 * as onnxruntime: the dense alternative), or 'auto' (linear() on the
 * unstructured pruned weight: what the crossover table picks, in the label).
 */
import { cpu, DEFAULT_CROSSOVER, SparseMatrix, tensor, type SparseLayout, type Tensor } from '../src/index.js';
import type { NativeFamily } from '../src/native.js';
import { LAYOUTS, chooseLayout, defaultCrossover } from '../src/backends/cpu/crossover.js';
import type { BenchCase, KernelBench } from './bench-case.js';
import { matMulGraph, matMulIntegerGraph, ort, ortSession } from './ort-models.js';
import { BENCH_SPMM_SHAPES, type SpmmShape } from '../test/fixtures/shapes.js';

type Side = SparseLayout | 'dense' | 'auto';
type WeightType = 'float32' | 'int8';

const X_ZERO_POINT = 120;

/** W [n, k] with `sparsity` of it zero, pruned at the granularity of `side`'s layout. */
function prunedWeight(type: WeightType, s: SpmmShape, side: Side): Float32Array | Int8Array {
  const w = type === 'float32' ? new Float32Array(s.n * s.k) : new Int8Array(s.n * s.k);
  const value = () => (type === 'float32' ? Math.random() - 0.5 : (1 + Math.floor(Math.random() * 127)) * (Math.random() < 0.5 ? -1 : 1));
  const layout = side === 'dense' || side === 'auto' ? 'csr' : side;
  const { format, blockShape = [1, 1], n = 0, m = 0 } = LAYOUTS[layout];
  if (format === 'nm') {
    for (let g = 0; g < w.length; g += m) for (let j = 0; j < n; j++) w[g + Math.floor((j * m) / n)] = value();
    return w;
  }
  const [br, bc] = blockShape;
  for (let r0 = 0; r0 < s.n; r0 += br)
    for (let c0 = 0; c0 < s.k; c0 += bc)
      if (Math.random() >= s.sparsity) for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) w[(r0 + i) * s.k + c0 + j] = value();
  return w;
}

function transposed<T extends Float32Array | Int8Array | Uint8Array>(a: T, rows: number, cols: number): T {
  const t = new (a.constructor as new (n: number) => T)(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** The kernel family each side runs ('auto': linear() picks one). */
function sideFamily(type: WeightType, side: Side): NativeFamily | undefined {
  if (side === 'auto') return undefined;
  if (side === 'dense') return type === 'float32' ? 'f32-gemm' : 'qu8s8-gemm';
  return type === 'float32' ? 'f32-spmm' : 'qu8s8-spmm';
}

/** The sparq call for one side, on W [n, k] and X [k, m], on `variant` of its family (default: the best). */
function sparqCall(type: WeightType, side: Side, w: Tensor<WeightType>, x: Tensor<'float32' | 'uint8'>, variant: string | undefined): () => unknown {
  const [n, m] = [w.dims[0], x.dims[1]];
  if (side === 'dense') {
    const packed = cpu.packWeights(cpu.transpose(w));
    const xt = cpu.transpose(x);
    if (type === 'float32') {
      const out = new Float32Array(m * n);
      return () => cpu.gemm(xt as Tensor<'float32'>, packed, { out, variant });
    }
    const out = new Int32Array(m * n);
    return () => cpu.qgemm(xt as Tensor<'uint8'>, packed, { out, variant });
  }
  const out = type === 'float32' ? new Float32Array(n * m) : new Int32Array(n * m);
  if (side === 'auto') {
    const layer = cpu.linear(w, { columns: m });
    return () => layer.run(x as never, { out });
  }
  const sparse = SparseMatrix.fromDense(w, { ...LAYOUTS[side] });
  if (type === 'float32') return () => cpu.spmm(sparse as SparseMatrix<'float32'>, x as Tensor<'float32'>, { out: out as Float32Array, variant });
  const packed = cpu.packSparseWeights(sparse as SparseMatrix<'int8'>);
  return () => cpu.qspmm(packed, x as Tensor<'uint8'>, { out, variant });
}

function sparseBench(type: WeightType, s: SpmmShape, side: Side): KernelBench {
  const family = type === 'float32' ? 'spmm' : 'qspmm';
  // 'auto' names the kernel the built-in table picks for an unstructured weight at this density.
  const picked = side === 'auto' ? `→${chooseLayout({ csr: 1 - s.sparsity }, defaultCrossover(DEFAULT_CROSSOVER, type, s.m, cpu.info().threads))}` : '';
  return {
    kernel: `${family}-${side}${picked} ${Math.round(s.sparsity * 100)}%`,
    shape: s.name,
    ops: 2 * s.m * s.n * s.k,
    unit: type === 'float32' ? 'GFLOP/s' : 'GOP/s',
    baseline: type === 'float32' ? 'MatMul (dense)' : 'MatMulInteger (dense)',
    family: sideFamily(type, side),
    setup: async (threads, variant): Promise<BenchCase> => {
      const data = prunedWeight(type, s, side);
      const w = type === 'float32' ? tensor('float32', [s.n, s.k], data as Float32Array) : tensor('int8', [s.n, s.k], data as Int8Array, { scale: 0.01 });
      const x = type === 'float32'
        ? tensor('float32', [s.k, s.m], Float32Array.from({ length: s.k * s.m }, () => Math.random() - 0.5))
        : tensor('uint8', [s.k, s.m], Uint8Array.from({ length: s.k * s.m }, () => Math.floor(Math.random() * 256)), { zeroPoint: X_ZERO_POINT });
      const wt = transposed(data, s.n, s.k);
      const session = await ortSession(
        type === 'float32' ? matMulGraph(s.m, s.k, s.n, wt as Float32Array) : matMulIntegerGraph(s.m, s.k, s.n, wt as Int8Array, X_ZERO_POINT),
        threads,
      );
      const xt = transposed(x.data, s.k, s.m);
      const feed = { X: new ort.Tensor(type === 'float32' ? 'float32' : 'uint8', xt, [s.m, s.k]) };
      const fetches = { Y: type === 'float32' ? new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) : new ort.Tensor('int32', new Int32Array(s.m * s.n), [s.m, s.n]) };
      return { sparq: sparqCall(type, side, w, x, variant), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** Which sides run on which shapes: every layout that fits, dense once per shape, nm only where it is 50% sparse. */
function sides(type: WeightType, s: SpmmShape): Side[] {
  const layouts: SparseLayout[] = type === 'float32' ? ['csr', 'bsr4x1', 'bsr8x1'] : ['csr', 'bsr1x4'];
  const fits = (l: SparseLayout) => {
    const { blockShape = [1, 1], m = 1 } = LAYOUTS[l];
    return s.n % blockShape[0] === 0 && s.k % blockShape[1] === 0 && s.k % m === 0;
  };
  const list: Side[] = layouts.filter(fits);
  if (s.sparsity === 0.9) list.push('dense');
  if (s.sparsity === 0.5 && fits('nm2:4')) list.push('nm2:4');
  list.push('auto');
  return list;
}

export function sparseBenches({ quick }: { quick: boolean }): KernelBench[] {
  const shapes = quick ? BENCH_SPMM_SHAPES.filter((s) => s.sparsity === 0.9) : BENCH_SPMM_SHAPES;
  return (['float32', 'int8'] as const).flatMap((type) => shapes.flatMap((s) => sides(type, s).map((side) => sparseBench(type, s, side))));
}
