/**
 * qspmm on channels-last activations, planned: Y[P, N] =
 * output_stage(X[P, K] x W^T) with W [N, K] sparse int8 weights packed by
 * packSparseWeights() and X uint8 rows of K channels (an NHWC image as
 * [N*H*W, C], or its NHWC im2col rows): the same exact int32 sums and output
 * stages as qspmm, bias and per-channel scales along Y's columns. A pixel's
 * 4 channels of a weight group are one word of its row of X, so the addon's
 * kernels (kernels/qu8s8-spmm's qu8s8_spmm_nhwc) run over blocks of 8
 * output channels, reading X's rows and writing Y's in place: the bytes are
 * qspmm's on X^T, transposed.
 */
import { refQSpmmInt32, refQSpmmOutput } from '../reference/qspmm.js';
import { native } from '../../native.js';
import { TYPED_ARRAY_OF, type Tensor } from '../../tensor.js';
import { checkDisjoint, checkMade, checkObject, checkResultSize, checkTensorShape, fail } from '../../validate.js';
import { planQuantizedProduct } from '../../ops/quantized-output.js';
import type { QGemmPlan } from './qgemm.js';
import { PackedSparseWeights, type QSpmmOptions } from './qspmm.js';

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

/**
 * Validates the product of `w` [N, K] and activations like `x` [P, K]
 * (dims and quantization; no data needed) once, for many runs; the addon
 * reads its options once too (planQu8s8SpmmNhwc). The output stage (bias,
 * multipliers) is read now.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planQSpmmNhwc(wIn: PackedSparseWeights, xIn: Omit<Tensor<'uint8'>, 'data'>, options: Omit<QSpmmOptions, 'out'> = {}): QGemmPlan {
  const w = checkMade('w', wIn, PackedSparseWeights, 'packSparseWeights()');
  const x = checkTensorShape('x', xIn, ['uint8'], 2);
  checkObject('options', options);
  const [rows, k] = w.source.dims;
  const [pixels, xk] = x.dims;
  if (xk !== k) fail('x', `has K = ${xk} channels per pixel but w has K = ${k} columns (x is [P, K])`);
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, quant } = planQuantizedProduct('x', x, w, options, rows, 1);
  const dims: [number, number] = [pixels, rows];
  checkResultSize(dims);
  const size = pixels * rows;
  const type = TYPED_ARRAY_OF[output] as new (n: number) => Out;
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planQu8s8SpmmNhwc({
    variant, weights: w.handle!, pixels, ldx: k, aZeroPoint, output, ldc: rows, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax,
  });
  const stage = { multipliers: mult ? Float32Array.from(mult) : Float32Array.of(1), bias: bias && Int32Array.from(bias), zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax };
  return {
    result: { type: output, dims, ...quant },
    run(xData, out) {
      if (!(xData instanceof Uint8Array) || xData.length !== pixels * k) fail('x', `must be a Uint8Array of ${pixels * k} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkDisjoint('out', out, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData, out);
      if (size === 0) return;
      out.set(refQSpmmNhwc(rows, k, pixels, w.dense(), xData, aZeroPoint, type, stage));
    },
  };
}

/** The oracle: qspmm's reference on x [P, K] transposed, its [N, P] result transposed to [P, N]. */
export function refQSpmmNhwc(rows: number, k: number, pixels: number, w: Int8Array, x: Uint8Array, aZeroPoint: number,
  type: new (n: number) => Out, stage: Parameters<typeof refQSpmmOutput>[3]): Out {
  const xt = new Uint8Array(x.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < k; c++) xt[c * pixels + p] = x[p * k + c];
  const yt = new type(rows * pixels);
  refQSpmmOutput(refQSpmmInt32(rows, k, pixels, w, xt, aZeroPoint), pixels, yt, stage);
  const y = new type(yt.length);
  for (let n = 0; n < rows; n++) for (let p = 0; p < pixels; p++) y[p * rows + n] = yt[n * pixels + p];
  return y;
}
