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
import { SPARSE_MAKERS, SparseMatrix } from '../../sparse/sparse-matrix.js';
import type { Tensor } from '../../tensor.js';
import { checkMade, checkObject, checkQuantParams, checkTensor, fail, markMade, outputTensor, typeFail } from '../../validate.js';
import { planQuantizedProduct, type MultiplierSource } from '../../ops/quantized-output.js';
import type { QGemmOptions } from './qgemm.js';

/** Options of qspmm: those of qgemm; `bias` and per-channel scales run along W's rows. */
export type QSpmmOptions = QGemmOptions;

/** Per output row, entries (g, word): the 4 int8 weights W[n, 4g..4g+3] as one little-endian int32. */
export interface Entries {
  indptr: Int32Array;
  groups: Int32Array;
  words: Int32Array;
}

/**
 * Sparse int8 weights packed once for qspmm, the way inference uses them:
 * every run of 4 columns a row stores becomes one entry the kernels multiply
 * with one instruction per 16 activation columns.
 */
export class PackedSparseWeights implements MultiplierSource, NativeOwner {
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

/** @internal w's entries; w must have passed checkSparseWeights. The WebGPU qspmm uploads the same ones. */
export function entriesOf(w: SparseMatrix<'int8'>): Entries {
  const [rows, cols] = w.dims;
  if (w.format === 'bsr') {
    // A [1, 4] block at block column c is exactly the entry of group c.
    const words = new Int32Array(w.values.length / 4);
    new Int8Array(words.buffer).set(w.values);
    return { indptr: w.indptr, groups: w.indices as Int32Array, words };
  }
  const indptr = new Int32Array(rows + 1);
  const capacity = w.format === 'csr' ? w.values.length : rows * (cols / 4);
  const groups = new Int32Array(capacity), words = new Int32Array(capacity);
  const bytes = new Int8Array(words.buffer);
  let e = 0;
  if (w.format === 'csr') {
    // Nonzeros of one group (indices increase within a row) merge into one entry.
    for (let r = 0; r < rows; r++) {
      let last = -1;
      for (let p = w.indptr[r]; p < w.indptr[r + 1]; p++) {
        const col = w.indices[p], g = col >> 2;
        if (g !== last) groups[e++] = last = g;
        bytes[(e - 1) * 4 + (col & 3)] = w.values[p];
      }
      indptr[r + 1] = e;
    }
  } else {
    // N:4: a group's n slots fill one word; all-zero groups are left out.
    const n = w.nm.n, perRow = (cols / 4) * n;
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < cols / 4; g++) {
        let any = false;
        for (let s = r * perRow + g * n; s < r * perRow + g * n + n; s++) {
          if (w.values[s] === 0) continue;
          if (!any) groups[e++] = g;
          any = true;
          bytes[(e - 1) * 4 + w.indices[s]] = w.values[s];
        }
      }
      indptr[r + 1] = e;
    }
  }
  return { indptr, groups: groups.subarray(0, e), words: words.subarray(0, e) };
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
  const handle = addon ? addon.packQ8Sparse(w.dims[0], w.dims[1], indptr, groups, words) : null;
  return new PackedSparseWeights(w, handle, scales, groups.length);
}

/**
 * @internal packSparseWeights' checks (shared with the WebGPU qspmm, so its
 * errors are the CPU's); returns the per-tensor or per-row weight scales.
 */
export function checkSparseWeights(w: SparseMatrix<'int8'>): Float32Array {
  checkMade('w', w, SparseMatrix, SPARSE_MAKERS);
  if (w.type !== 'int8') typeFail('w', `must hold int8 values, got ${w.type}`);
  const supported = "supported: 'csr', 'bsr' with blockShape [1, 4], 'nm' with m = 4 (e.g. 2:4)";
  if (w.format === 'bsr' && (w.blockShape[0] !== 1 || w.blockShape[1] !== 4))
    typeFail('w', `is bsr with blockShape [${w.blockShape.join(', ')}]; ${supported}`);
  if (w.format === 'nm' && w.nm.m !== 4) typeFail('w', `is ${w.nm.n}:${w.nm.m} sparse; ${supported}`);
  if (w.format !== 'csr' && w.format !== 'bsr' && w.format !== 'nm') typeFail('w', `has format ${String(w.format)}; ${supported}`);
  const q = w.quant;
  if (q.axis !== undefined && typeof q.scale === 'number') typeFail('w.quant.scale', 'must be an array when w.quant.axis is set');
  // The SparseMatrix constructor allows per-row (axis 0) parameters only.
  const { scales, zeroPoints } = checkQuantParams('w.quant.', q.scale ?? 1, q.zeroPoint, q.axis, w.dims, 'int8');
  if (zeroPoints.some((z) => z !== 0)) fail('w.quant.zeroPoint', 'must be 0: sparse int8 weights are symmetric (a pruned weight means 0)');
  return scales;
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
