/**
 * spmm on channels-last activations, planned: Y[P, N] = activation(X[P, K] x
 * W^T + bias) with W [N, K] a sparse float32 matrix (csr, bsr [4, 1] / [8, 1],
 * nm) and X's rows pixels, their channels contiguous (an NHWC image as
 * [N*H*W, C], or its NHWC im2col rows). The addon transposes tiles of pixels
 * into cache-sized [K, tile] panels around the f32-spmm kernels
 * (kernels/f32-spmm/f32-spmm-nhwc.cc), so the result is spmm's on X^T,
 * transposed, bit for bit. The plan copies the weights and bias: changing
 * w or options.bias later does not change it.
 */
import { refSpmm, storedAsCsr } from '../reference/spmm.js';
import { checkSpmmWeights, type SpmmArgs } from '../../ops/spmm.js';
import { activationRange } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkDisjoint, checkObject, checkResultSize, checkTensorShape, fail } from '../../validate.js';

export interface SpmmNhwcOptions extends SpmmArgs {
  variant?: string;
}

export interface SpmmNhwcPlan {
  /** [P, N]. */
  readonly dims: readonly [number, number];
  /** out [P, N] from x [P, K] (Float32Arrays of the planned sizes; out must not overlap x). */
  run(x: Float32Array, out: Float32Array): void;
}

/**
 * Validates the product of `w` [N, K] and activations of `x`'s dims [P, K]
 * (no data needed) once, for many runs; the addon reads its options once too.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planSpmmNhwc(w: SparseMatrix<'float32'>, x: Omit<Tensor<'float32'>, 'data'>, options: SpmmNhwcOptions = {}): SpmmNhwcPlan {
  checkSpmmWeights(w);
  const [pixels, xk] = checkTensorShape('x', x, ['float32'], 2).dims;
  checkObject('options', options);
  const [rows, k] = w.dims;
  if (xk !== k) fail('x', `has K = ${xk} channels per pixel but w has K = ${k} columns (x is [P, K])`);
  const bias = checkBias(options.bias, 'float32', rows);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  checkResultSize([pixels, rows]);
  const addon = pixels * rows > 0 ? native() : null;
  const common = { variant, rows, k, pixels, ldx: k, ldy: rows, bias: bias ?? null, min, max };
  const values = w.values as Float32Array;
  const plan = addon && (w.format === 'nm'
    ? addon.planF32SpmmNmNhwc({ ...common, n: w.nm.n, groupSize: w.nm.m, positions: w.indices as Uint8Array, values })
    : addon.planF32SpmmNhwc({ ...common, blockRows: w.blockShape[0], indptr: w.indptr, indices: w.indices as Int32Array, values }));
  // The reference path's copies, taken only without the addon.
  const csr = plan ? undefined : storedAsCsr(w);
  const refBias = bias && Float32Array.from(bias);
  return {
    dims: [pixels, rows],
    run(xData, out) {
      if (!(xData instanceof Float32Array) || xData.length !== pixels * k) fail('x', `must be a Float32Array of ${pixels * k} values, as planned`);
      if (!(out instanceof Float32Array) || out.length !== pixels * rows) fail('out', `must be a Float32Array of ${pixels * rows} values`);
      checkDisjoint('out', out, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData, out);
      if (pixels * rows === 0) return;
      out.set(refSpmmNhwc(rows, pixels, csr!, xData, refBias, min, max));
    },
  };
}

/** The oracle: refSpmm on x [P, K] transposed, its [N, P] result transposed to [P, N]. */
export function refSpmmNhwc(rows: number, pixels: number, w: ReturnType<typeof storedAsCsr>, x: Float32Array,
  bias: Float32Array | undefined, min: number, max: number): Float32Array {
  const k = pixels === 0 ? 0 : x.length / pixels;
  const xt = new Float32Array(x.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < k; c++) xt[c * pixels + p] = x[p * k + c];
  const yt = refSpmm(rows, pixels, w.indptr, w.indices, w.values, xt, bias, min, max);
  const y = new Float32Array(yt.length);
  for (let n = 0; n < rows; n++) for (let p = 0; p < pixels; p++) y[p * rows + n] = yt[n * pixels + p];
  return y;
}
