/**
 * qspmm: Y[N, M] = output_stage(W[N, K] * (X[K, M] - x.zeroPoint) + bias)
 * with W sparse int8 weights (csr, [1, 4]-block bsr or N:4) and X dense uint8
 * activations [K, M], exact int32 accumulation and the output stages of
 * qgemm (int32, requantized uint8/int8, dequantized float32), with per-tensor
 * or per-row (output channel) weight scales.
 */
import { refQSpmmInt32, refQSpmmOutput } from '../reference/qspmm.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native, type NativeHandle } from '../../native.js';
import { adoptNative, disposeNative, type NativeOwner } from '../../native-lifetime.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { TYPED_ARRAY_OF, type Tensor } from '../../tensor.js';
import { checkDisjoint, checkMade, checkObject, checkResultSize, checkTensor, checkTensorShape, fail, lockFields, markMade, outputTensor } from '../../validate.js';
import { checkSparseWeights, entriesOf, packedSparseWeights, type SparseWeightsSource } from '../../ops/sparse-weights.js';
import { planQuantizedProduct, type MultiplierSource } from '../../ops/quantized-output.js';
import type { QGemmOptions, QGemmPlan } from './qgemm.js';

/** Options of qspmm: those of qgemm; `bias` and per-channel scales run along W's rows. */
export type QSpmmOptions = QGemmOptions;

/**
 * Sparse int8 weights packed once for qspmm, the way inference uses them:
 * every run of 4 columns a row stores becomes one entry the kernels multiply
 * with one instruction per 16 activation columns.
 */
export class PackedSparseWeights implements MultiplierSource, SparseWeightsSource, NativeOwner {
  /** @internal The addon's handle, or null on the reference backend. */
  readonly handle: NativeHandle | null;
  /** @internal The weights as given, for the reference backend. */
  readonly source: SparseMatrix<'int8'>;
  /** Per-tensor (1 value) or per-row (N values) weight scales. */
  readonly scales: Float32Array;
  /** Stored 4-weight groups (what the kernels' work is proportional to). */
  readonly entries: number;
  /** @internal The last output-stage multipliers qspmm computed for these weights. */
  multiplierMemo?: { aScale: number; outScale: number | undefined; values: Float32Array };
  private denseCache?: Int8Array;

  /** @internal Use packSparseWeights(). */
  constructor(source: SparseMatrix<'int8'>, handle: NativeHandle | null, scales: Float32Array, entries: number) {
    this.source = source;
    this.handle = handle;
    this.scales = scales;
    this.entries = entries;
    markMade(this, PackedSparseWeights);
    lockFields(this, ['multiplierMemo', 'denseCache']);
    packedSparseWeights.mark(this);
    adoptNative(this);
  }

  /** Frees the packed weights now, instead of when they are garbage-collected; using them after is a TypeError. */
  dispose(): void {
    disposeNative(this, this.handle);
  }

  /** N, output rows. */
  get rows(): number {
    return this.source.dims[0];
  }
  get k(): number {
    return this.source.dims[1];
  }

  /** @internal The dense [N, K] weights, for the reference backend. */
  dense(): Int8Array {
    this.denseCache ??= this.source.toDense().data as Int8Array;
    return this.denseCache;
  }
}

/**
 * Packs sparse int8 weights W [N, K] once for qspmm. Formats: csr, bsr with
 * [1, 4] blocks, nm with m = 4 (2:4 and the like). Weights are symmetric
 * (zero point 0, so a pruned weight means 0) with a per-tensor or per-row
 * (axis 0) scale; scale is optional when only int32 results are wanted.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function packSparseWeights(w: SparseMatrix<'int8'>): PackedSparseWeights {
  return packChecked(w, checkSparseWeights(w));
}

/** packSparseWeights of w, which passed checkSparseWeights with these scales. */
function packChecked(w: SparseMatrix<'int8'>, scales: Float32Array): PackedSparseWeights {
  const { indptr, groups, words } = entriesOf(w);
  const addon = native();
  const handle = addon ? addon.packQ8Sparse({ rows: w.dims[0], k: w.dims[1], indptr, groups, words }) : null;
  return new PackedSparseWeights(w, handle, scales, groups.length);
}

/** Sparse int8 weights for qspmm: a SparseMatrix (packed on every call), or packSparseWeights() of it. */
export type QSpmmWeights = SparseMatrix<'int8'> | PackedSparseWeights;

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

function qspmmCall(wIn: QSpmmWeights, xIn: Tensor<'uint8'>, options: QSpmmOptions = {}): CpuCall<Tensor> {
  const packed = wIn instanceof PackedSparseWeights ? checkMade('w', wIn, PackedSparseWeights, 'packSparseWeights()') : undefined;
  const scales = packed ? packed.scales : checkSparseWeights(wIn as SparseMatrix<'int8'>);
  const source = packed ? packed.source : (wIn as SparseMatrix<'int8'>);
  const x = checkTensor('x', xIn, ['uint8'], 2);
  checkObject('options', options);
  const [rows, k] = source.dims;
  const [xk, m] = x.dims;
  if (xk !== k) fail('x', `has K = ${xk} rows but w has K = ${k} columns`);
  // Packed once the call is known to be valid.
  const w = packed ?? packChecked(source, scales);
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, quant } = planQuantizedProduct('x', x, w, options, rows, 0);
  const y = outputTensor(options.out, { 'x.data': x.data, 'w.values': source.values, 'options.bias': bias }, output, [rows, m], quant);
  const out = y.data as Out;
  return {
    result: y,
    empty: out.length === 0,
    native: (addon, async) =>
      addon.qu8s8Spmm({
        variant, weights: w.handle!, x: x.data, m, ldx: m, aZeroPoint,
        output, c: out, ldc: m, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax, async,
      }),
    reference: () => {
      const acc = refQSpmmInt32(rows, k, m, w.dense(), x.data, aZeroPoint);
      refQSpmmOutput(acc, m, out, { multipliers: mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax });
    },
  };
}

/**
 * Validates a qspmm call on packed weights for activations like `x` (dims and
 * quantization; no data needed) once, for many runs; the addon reads its
 * options once too (planQu8s8Spmm). The output stage is read now.
 * @throws TypeError/RangeError naming the bad argument, as qspmm does.
 */
export function planQSpmm(wIn: PackedSparseWeights, xIn: Omit<Tensor<'uint8'>, 'data'>, options: Omit<QSpmmOptions, 'out'> = {}): QGemmPlan {
  const w = checkMade('w', wIn, PackedSparseWeights, 'packSparseWeights()');
  const x = checkTensorShape('x', xIn, ['uint8'], 2);
  checkObject('options', options);
  const [rows, k] = w.source.dims;
  const [xk, m] = x.dims;
  if (xk !== k) fail('x', `has K = ${xk} rows but w has K = ${k} columns`);
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, quant } = planQuantizedProduct('x', x, w, options, rows, 0);
  const dims: [number, number] = [rows, m];
  checkResultSize(dims);
  const size = rows * m;
  const type = TYPED_ARRAY_OF[output] as new (n: number) => Out;
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQu8s8Spmm({
    variant, weights: w.handle!, m, ldx: m, aZeroPoint, output, ldc: m, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax,
  });
  const stage = { multipliers: mult ? Float32Array.from(mult) : Float32Array.of(1), bias: bias && Int32Array.from(bias), zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax };
  return {
    result: { type: output, dims, ...quant },
    run(xData, out) {
      if (!(xData instanceof Uint8Array) || xData.length !== k * m) fail('x', `must be a Uint8Array of ${k * m} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkDisjoint('out', out, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData, out);
      if (size === 0) return;
      refQSpmmOutput(refQSpmmInt32(rows, k, m, w.dense(), xData, aZeroPoint), m, out, stage);
    },
  };
}

/**
 * Sparse int8 weights times dense uint8 activations on the calling thread.
 * @param w int8 SparseMatrix [N, K] (csr, bsr [1, 4], nm with m = 4; zero point 0), or packSparseWeights() of it
 * @param x uint8 [K, M] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`
 * @returns [N, M] of the output type
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qspmm(w: QSpmmWeights, x: Tensor<'uint8'>, options?: QSpmmOptions): Tensor {
  return runSync(qspmmCall(w, x, options));
}

/** qspmm on a worker thread; inputs must not change until the promise settles. */
export async function qspmmAsync(w: QSpmmWeights, x: Tensor<'uint8'>, options?: QSpmmOptions): Promise<Tensor> {
  return runAsync(qspmmCall(w, x, options));
}
