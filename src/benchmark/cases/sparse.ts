/**
 * Pruned W[N, K] times dense X[K, M], float32 (spmm) and int8 (qspmm, uint8
 * activations, int32 out), on each sparse layout and on sparq's own dense
 * GEMM, against onnxruntime's dense MatMul / MatMulInteger on the same
 * pruned matrix, posed the way onnxruntime prepacks it: X^T[M, K] * W^T[K, N]
 * with W^T constant. Ops count the dense product (2*M*N*K), so the rates are
 * effective ones and the three lines of the report's GOP/s-vs-sparsity chart
 * (sparse, dense, onnxruntime) compare directly.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { LAYOUTS, type SparseLayout } from '../../backends/cpu/crossover.js';
import type { NativeFamily } from '../../native.js';
import { mulberry32 } from '../../random.js';
import { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor, type Tensor } from '../../tensor.js';
import { matMulGraph, matMulIntegerGraph, ortSession } from '../ort-graphs.js';
import type { SpmmShape } from '../shapes.js';
import { anyUint8, centered, dispatchedVariant, filled, releasing, transposed, type CaseRun, type KernelCase } from './kernel-case.js';

/** A sparse layout, or 'dense': sparq's dense GEMM on the same pruned matrix. */
export type SparseSide = SparseLayout | 'dense';
type WeightType = 'float32' | 'int8';

const X_ZERO_POINT = 120;

/** The kernel's name in the results: 'spmm csr', 'spmm bsr-4x1', 'qspmm nm-2:4', 'spmm dense'. */
function label(type: WeightType, side: SparseSide): string {
  return `${type === 'float32' ? 'spmm' : 'qspmm'} ${side.replace(/^(bsr|nm)/, '$1-')}`;
}

/** W [n, k] with `sparsity` of it zero, pruned at the granularity of `side`'s layout (single weights for csr and dense). */
export function prunedWeight(type: WeightType, s: SpmmShape, side: SparseSide, random: () => number): Float32Array | Int8Array {
  const w = type === 'float32' ? new Float32Array(s.n * s.k) : new Int8Array(s.n * s.k);
  const value = () => (type === 'float32' ? random() - 0.5 : (1 + Math.floor(random() * 127)) * (random() < 0.5 ? -1 : 1));
  const { format, blockShape = [1, 1], n = 0, m = 0 } = LAYOUTS[side === 'dense' ? 'csr' : side];
  if (format === 'nm') {
    for (let g = 0; g < w.length; g += m) for (let j = 0; j < n; j++) w[g + Math.floor((j * m) / n)] = value();
    return w;
  }
  const [br, bc] = blockShape;
  for (let r0 = 0; r0 < s.n; r0 += br)
    for (let c0 = 0; c0 < s.k; c0 += bc)
      if (random() >= s.sparsity) for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) w[(r0 + i) * s.k + c0 + j] = value();
  return w;
}

function family(type: WeightType, side: SparseSide): NativeFamily {
  if (side === 'dense') return type === 'float32' ? 'f32-gemm' : 'qu8s8-gemm';
  return type === 'float32' ? 'f32-spmm' : 'qu8s8-spmm';
}

/** sparq's call on W [n, k] and X [k, m] for one side, with what it holds natively. */
function sparqSide(type: WeightType, side: SparseSide, w: Tensor<WeightType>, x: Tensor<'float32' | 'uint8'>, variant: string | undefined): Pick<CaseRun, 'sparq' | 'variant'> & { held: { dispose(): void }[] } {
  const [n, m] = [w.dims[0], x.dims[1]];
  if (side === 'dense') {
    const packed = cpu.packWeights(cpu.transpose(w));
    const xt = cpu.transpose(x);
    const run = type === 'float32'
      ? ((out) => () => cpu.gemm(xt as Tensor<'float32'>, packed, { out, variant }))(new Float32Array(m * n))
      : ((out) => () => cpu.qgemm(xt as Tensor<'uint8'>, packed, { out, variant }))(new Int32Array(m * n));
    return { sparq: run, variant: variant ?? dispatchedVariant(family(type, side), (v) => packed.narrow || !v.needsNarrow), held: [packed] };
  }
  const sparse = SparseMatrix.fromDense(w, { ...LAYOUTS[side] });
  const chosen = variant ?? dispatchedVariant(family(type, side));
  if (type === 'float32') {
    const out = new Float32Array(n * m);
    return { sparq: () => cpu.spmm(sparse as SparseMatrix<'float32'>, x as Tensor<'float32'>, { out, variant }), variant: chosen, held: [] };
  }
  const packed = cpu.packSparseWeights(sparse as SparseMatrix<'int8'>);
  const out = new Int32Array(n * m);
  return { sparq: () => cpu.qspmm(packed, x as Tensor<'uint8'>, { out, variant }), variant: chosen, held: [packed] };
}

export function sparseCase(type: WeightType, s: SpmmShape, side: SparseSide): KernelCase {
  return {
    group: type === 'float32' ? 'spmm' : 'qspmm', kernel: label(type, side), family: family(type, side), backend: 'cpu', shape: s.name, sparsity: s.sparsity,
    ops: 2 * s.m * s.n * s.k, unit: type === 'float32' ? 'GFLOP/s' : 'GOP/s', baseline: type === 'float32' ? 'MatMul' : 'MatMulInteger',
    async setup({ threads, ort, variant }) {
      const random = mulberry32(s.n * 41 + s.m + Math.round(s.sparsity * 100));
      const data = prunedWeight(type, s, side, random);
      const w = type === 'float32' ? tensor('float32', [s.n, s.k], data as Float32Array) : tensor('int8', [s.n, s.k], data as Int8Array, { scale: 0.01 });
      const x = type === 'float32'
        ? tensor('float32', [s.k, s.m], filled(new Float32Array(s.k * s.m), random, centered))
        : tensor('uint8', [s.k, s.m], filled(new Uint8Array(s.k * s.m), random, anyUint8), { zeroPoint: X_ZERO_POINT });
      const ours = sparqSide(type, side, w, x, variant);
      const wt = transposed(data, s.n, s.k);
      const graph = type === 'float32' ? matMulGraph(s.m, s.k, s.n, wt as Float32Array) : matMulIntegerGraph(s.m, s.k, s.n, wt as Int8Array, X_ZERO_POINT);
      const session = ort && (await ortSession(ort, graph, threads));
      const feed = ort && { X: new ort.Tensor(type === 'float32' ? 'float32' : 'uint8', transposed(x.data, s.k, s.m), [s.m, s.k]) };
      const fetches = ort && { Y: type === 'float32' ? new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) : new ort.Tensor('int32', new Int32Array(s.m * s.n), [s.m, s.n]) };
      return {
        sparq: ours.sparq,
        ort: session && (() => session.run(feed!, fetches!)),
        variant: ours.variant,
        release: releasing(session, ...ours.held),
      };
    },
  };
}

/** The sides each shape runs: csr and one block layout (two for float32 in full), dense, and N:M 2:4 where the weights are 50% sparse (full). */
export function sparseSides(type: WeightType, s: SpmmShape, quick: boolean): SparseSide[] {
  const layouts: SparseLayout[] = type === 'float32' ? (quick ? ['csr', 'bsr4x1'] : ['csr', 'bsr4x1', 'bsr8x1']) : ['csr', 'bsr1x4'];
  if (!quick && s.sparsity === 0.5) layouts.push('nm2:4');
  const fits = (l: SparseLayout) => {
    const { blockShape = [1, 1], m = 1 } = LAYOUTS[l];
    return s.n % blockShape[0] === 0 && s.k % blockShape[1] === 0 && s.k % m === 0;
  };
  return [...layouts.filter(fits), 'dense'];
}
