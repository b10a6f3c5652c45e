/**
 * linear: a weight prepared once, run many times, on whichever kernel is
 * fastest for it here: dense GEMM, or a sparse kernel in the layout its zeros
 * fit (CSR, blocks, N:M), chosen from the measured crossover table
 * (crossover.ts). Callers and the runtime need not know which.
 *
 *   y[N, M] = activation(W[N, K] * x[K, M] + bias)
 *
 * Activations are channels-first ([K, M]: input channels x pixels, NCHW per
 * image), the sparse kernels' layout; the dense path transposes x in and the
 * result out around the GEMM, and that cost is part of what the crossover
 * measures. float32 weights run gemm/spmm; int8 weights (symmetric, per
 * tensor or per output channel) run qgemm/qspmm with uint8 activations and
 * qgemm's output stages.
 */
import { DEFAULT_CROSSOVER } from './crossover-table.js';
import { chooseLayout, checkCrossoverRow, defaultCrossover, LAYOUTS, storedDensities, type CrossoverRow, type SparseLayout } from './crossover.js';
import { native } from '../../native.js';
import type { NativeOwner } from '../../native-lifetime.js';
import { checkSparseStructure, SPARSE_MAKERS, SparseMatrix } from '../../sparse/sparse-matrix.js';
import { ScratchArrays, type ElementType, type QuantParams, type Tensor } from '../../tensor.js';
import { runAsync, runSync } from './call.js';
import { checkBias, checkInt, checkMade, checkNoOverlap, checkObject, checkOneOf, checkQuantParams, checkTensor, fail, markDisposed, markMade, typeFail } from '../../validate.js';
import type { Activation } from '../../ops/activation.js';
import { gemm, gemmAsync } from './gemm.js';
import { packWeights, type PackedWeights } from './pack.js';
import { qgemmCall, type QGemmPlan } from './qgemm.js';
import type { QGemmOutput } from '../../ops/quantized-output.js';
import { packSparseWeights, planQSpmm, qspmm, qspmmAsync, type PackedSparseWeights } from './qspmm.js';
import { spmm, spmmAsync } from './spmm.js';
import { transpose, transposeAsync } from './transpose.js';

export type LinearKernel = 'dense' | SparseLayout;

/** The sparse layouts each weight type has kernels for. */
export const LINEAR_LAYOUTS: { float32: readonly SparseLayout[]; int8: readonly SparseLayout[] } = {
  float32: ['csr', 'bsr4x1', 'bsr8x1', 'nm2:4'],
  int8: ['csr', 'bsr1x4', 'nm2:4'],
};

export interface LinearOptions {
  /** [N] bias: Float32Array for float32 weights, Int32Array (at scale x.scale * w.scale) for int8 ones. */
  bias?: Float32Array | Int32Array;
  /** 'auto' (default) picks from the crossover table; any other value forces that kernel. */
  kernel?: 'auto' | LinearKernel;
  /**
   * Activation columns M the layer mostly runs with (default 64): 1 selects
   * the GEMV row of the table. The table is the one for the ISA the GEMM
   * runs on and the thread count when linear() is called (cpu.setIsaLimit,
   * cpu.setThreads).
   */
  columns?: number;
  /** Crossover densities measured on this machine (npm run calibrate), replacing the built-in row. */
  crossover?: CrossoverRow;
}

export interface LinearRunOptions {
  activation?: Activation;
  /** int8 weights only: result type (default 'int32'), as qgemm's `output`. */
  output?: QGemmOutput;
  outScale?: number;
  outZeroPoint?: number;
  /** Write the [N, M] result here. */
  out?: Float32Array | Int32Array | Uint8Array | Int8Array;
}

/** An unknown output kind maps to undefined here; qgemm then rejects it by name. */
const QGEMM_OUTPUT_TYPE: Partial<Record<string, ElementType>> = { int32: 'int32', uint8: 'uint8', int8: 'int8', float32: 'float32' };

type Prepared =
  | { kind: 'dense'; packed: PackedWeights }
  | { kind: 'spmm'; weights: SparseMatrix<'float32'> }
  | { kind: 'qspmm'; weights: PackedSparseWeights };

export class Linear implements NativeOwner {
  /** The kernel the weight runs on. */
  readonly kernel: LinearKernel;
  /** Fraction of nonzero weights. */
  readonly density: number;
  /** The dense path's transposed input and output, reused across sync runs. */
  private readonly scratch = new ScratchArrays();

  /** @internal Use linear(). */
  constructor(
    readonly type: 'float32' | 'int8',
    /** [N, K] */
    readonly dims: readonly [number, number],
    kernel: LinearKernel,
    density: number,
    private readonly prepared: Prepared,
    private readonly bias: Float32Array | Int32Array | undefined,
  ) {
    this.kernel = kernel;
    this.density = density;
    markMade(this, Linear);
  }

  /**
   * On the dense kernel: the weight as it packed it for the GEMM (W' [K, N],
   * what packWeights() of the transposed weight gives), so a caller running
   * its own GEMM on the layer packs nothing twice; undefined on a sparse kernel.
   */
  get packed(): PackedWeights | undefined {
    return this.prepared.kind === 'dense' ? this.prepared.packed : undefined;
  }

  /** Frees the layer's packed weights now, instead of when they are garbage-collected; running it after is a TypeError. */
  dispose(): void {
    const p = this.prepared;
    if (p.kind === 'dense') p.packed.dispose();
    else if (p.kind === 'qspmm') p.weights.dispose();
    markDisposed(this);
  }

  /** The layer's x and options, checked as every path needs them (the dense path's out is written after x is read, but must not overlap it either). */
  private checkRun(xIn: unknown, options: LinearRunOptions): Tensor<'float32' | 'uint8'> {
    checkMade('this', this, Linear, 'linear()');
    const x = checkTensor('x', xIn, [this.type === 'float32' ? 'float32' : 'uint8'], 2) as Tensor<'float32' | 'uint8'>;
    if (x.dims[0] !== this.dims[1]) fail('x', `has ${x.dims[0]} rows but the weight has K = ${this.dims[1]} columns (x is [K, M])`);
    checkObject('options', options);
    if (ArrayBuffer.isView(options.out)) checkNoOverlap('options.out', options.out, { 'x.data': x.data });
    return x;
  }

  /**
   * On the sparse int8 kernel: run() for x like `x` (dims and quantization)
   * validated once (planQSpmm), for a caller running many same-shaped inputs;
   * undefined on the other kernels.
   * @throws TypeError/RangeError naming the bad argument, as run() does.
   */
  plan(x: Omit<Tensor<'uint8'>, 'data'>, options: Omit<LinearRunOptions, 'out'> = {}): QGemmPlan | undefined {
    checkMade('this', this, Linear, 'linear()');
    const p = this.prepared;
    return p.kind === 'qspmm' ? planQSpmm(p.weights, x, { ...options, bias: this.bias as Int32Array }) : undefined;
  }

  /**
   * y [N, M] from x [K, M] (float32, or uint8 with scale/zeroPoint for int8 weights), on the calling thread.
   * @throws TypeError/RangeError naming the bad argument.
   */
  run(x: Tensor<'float32'> | Tensor<'uint8'>, options: LinearRunOptions = {}): Tensor {
    const input = this.checkRun(x, options);
    const { out, ...rest } = options;
    const p = this.prepared;
    if (p.kind === 'spmm') return spmm(p.weights, input as Tensor<'float32'>, { ...rest, bias: this.bias as Float32Array, out: out as Float32Array });
    if (p.kind === 'qspmm') return qspmm(p.weights, input as Tensor<'uint8'>, { ...rest, bias: this.bias as Int32Array, out });
    // Sync runs cannot overlap, so the transposed operands live in buffers the layer keeps.
    const xt = transpose(input, { out: this.scratch.get(0, input.type, input.data.length) });
    const [n, m] = [this.dims[0], input.dims[1]];
    const yt = this.type === 'float32'
      ? gemm(xt as Tensor<'float32'>, p.packed, { activation: rest.activation, bias: this.bias as Float32Array, out: this.scratch.get(1, 'float32', n * m) as Float32Array })
      : runSync(qgemmCall(xt as Tensor<'uint8'>, p.packed, { ...rest, bias: this.bias as Int32Array, out: this.scratch.get(1, QGEMM_OUTPUT_TYPE[rest.output ?? 'int32'] ?? 'int32', n * m) }, 'x'));
    return transpose(yt, { out });
  }

  /** run() on worker threads; x must not change until the promise settles. */
  async runAsync(x: Tensor<'float32'> | Tensor<'uint8'>, options: LinearRunOptions = {}): Promise<Tensor> {
    const input = this.checkRun(x, options);
    const { out, ...rest } = options;
    const p = this.prepared;
    if (p.kind === 'spmm') return spmmAsync(p.weights, input as Tensor<'float32'>, { ...rest, bias: this.bias as Float32Array, out: out as Float32Array });
    if (p.kind === 'qspmm') return qspmmAsync(p.weights, input as Tensor<'uint8'>, { ...rest, bias: this.bias as Int32Array, out });
    const xt = await transposeAsync(input);
    const yt = this.type === 'float32'
      ? await gemmAsync(xt as Tensor<'float32'>, p.packed, { activation: rest.activation, bias: this.bias as Float32Array })
      : await runAsync(qgemmCall(xt as Tensor<'uint8'>, p.packed, { ...rest, bias: this.bias as Int32Array }, 'x'));
    return transposeAsync(yt, { out });
  }
}

function hasZeroPoint(quant: QuantParams): boolean {
  const zp = quant.zeroPoint;
  return zp !== undefined && (typeof zp === 'number' ? zp !== 0 : zp.some((z) => z !== 0));
}

/**
 * Prepares W [N, K] (a float32 or int8 tensor, or a SparseMatrix of either)
 * for linear(): inspects its zeros, picks the kernel and lays the weight out
 * for it once.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function linear(weight: Tensor<'float32' | 'int8'> | SparseMatrix, options: LinearOptions = {}): Linear {
  let w = (weight instanceof SparseMatrix ? checkedSparse(weight).toDense() : checkTensor('weight', weight, ['float32', 'int8'], 2)) as Tensor<'float32' | 'int8'>;
  checkObject('options', options);
  const [n, k] = w.dims as [number, number];
  const type = w.type;
  if (type === 'int8') {
    if (w.axis !== undefined && typeof w.scale === 'number') typeFail('weight.scale', 'must be an array when weight.axis is set');
    const { axis } = checkQuantParams('weight.', w.scale ?? 1, w.zeroPoint, w.axis, w.dims, 'int8');
    if (axis !== undefined && axis !== 0) typeFail('weight.axis', 'must be 0 (per output channel) for a [N, K] weight');
    w = { ...w, axis };
  }
  const bias = checkBias(options.bias, type === 'float32' ? 'float32' : 'int32', n);
  const columns = options.columns === undefined ? 64 : checkInt('options.columns', options.columns, 1, 2 ** 31 - 1);
  const requested = checkOneOf('options.kernel', options.kernel ?? 'auto', ['auto', 'dense', ...Object.keys(LAYOUTS)] as const) as 'auto' | LinearKernel;
  const crossover = options.crossover === undefined
    ? defaultCrossover(DEFAULT_CROSSOVER, type, columns, native()?.getThreads() ?? 1)
    : checkCrossoverRow('options.crossover', options.crossover);
  // Sparse int8 kernels take symmetric weights: a pruned entry must mean 0.
  const layouts = type === 'int8' && hasZeroPoint(w) ? [] : LINEAR_LAYOUTS[type];
  const densities = storedDensities(w.data, n, k, layouts);
  let kernel: LinearKernel;
  if (requested === 'auto') kernel = chooseLayout(densities, crossover);
  else {
    if (requested !== 'dense' && densities[requested] === undefined) {
      const why = !layouts.includes(requested) ? `has no ${type} kernel${layouts.length === 0 ? ' (int8 weights with a zero point run dense only)' : ''}` : `does not fit this weight (its shape or zeros)`;
      fail('options.kernel', `'${requested}' ${why}`);
    }
    kernel = requested;
  }
  // Every layout list has csr; the scan runs again only for int8 weights with a zero point.
  const nonzeros = densities.csr ?? storedDensities(w.data, n, k, ['csr']).csr ?? 0;
  return new Linear(type, [n, k], kernel, nonzeros, prepare(w, kernel), bias);
}

/** A sparse weight, checked again as its constructor checked it (its arrays are the caller's: see checkSparseStructure). */
function checkedSparse(weight: SparseMatrix): SparseMatrix {
  checkSparseStructure('weight', checkMade('weight', weight, SparseMatrix, SPARSE_MAKERS));
  return weight;
}

function prepare(w: Tensor<'float32' | 'int8'>, kernel: LinearKernel): Prepared {
  if (kernel === 'dense') return { kind: 'dense', packed: packWeights(transpose(w) as Tensor<'float32' | 'int8'>) };
  const sparse = SparseMatrix.fromDense(w, { ...LAYOUTS[kernel] });
  return w.type === 'float32'
    ? { kind: 'spmm', weights: sparse as SparseMatrix<'float32'> }
    : { kind: 'qspmm', weights: packSparseWeights(sparse as SparseMatrix<'int8'>) };
}
