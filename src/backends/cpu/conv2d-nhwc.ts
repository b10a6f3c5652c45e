/**
 * Group-1 2-D convolution of float32 channels-last (NHWC) tensors on the
 * GEMM weights W [KH*KW*C, OC] (rows (kh, kw, c), c fastest: the im2col
 * rows' order), without an im2col matrix in memory: f32-conv2d-nhwc feeds
 * the f32-gemm microkernels the input itself, one window row of KW*C
 * contiguous floats per call, with lda = the stride in pixels (a "shifted
 * GEMM"; borders clip the window instead of padding a copy). Bias and a
 * clamp are fused. Any kernel, strides, pads and dilations.
 * channelsFirst: x is NCHW [N, C, H, W] (an image read where it lies
 * instead of transposed first) and W's rows are (c, kh, kw), ONNX's weight
 * order; the windows are gathered per strip from the channel planes, y is
 * still NHWC. (The runtime keeps its stems behind a transpose: with the
 * vectorized 3-row interleave that measured as fast.)
 */
import { refIm2col, refIm2colNhwc } from '../reference/im2col.js';
import { refGemm } from '../reference/gemm.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { convGeometry } from '../../ops/im2col.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkDisjoint, checkObject, checkResultSize, checkTensorShape, fail, typeFail } from '../../validate.js';
import { asPacked, type GemmWeights } from './gemm.js';

export interface Conv2dNhwcOptions {
  /** [KH, KW]: W has KH * KW * C rows. */
  kernelShape: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX Conv orders them. */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  /** Per output channel (OC values). */
  bias?: Float32Array;
  activation?: Activation;
  /** Force one f32-gemm variant (its microkernel) by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** x is [N, C, H, W] and W's rows (c, kh, kw) (ONNX's weight [OC, C, KH, KW] transposed); default false: x [N, H, W, C], rows (kh, kw, c). */
  channelsFirst?: boolean;
}

/** A conv2dNhwc call checked once for inputs of one shape: run() only checks the arrays. */
export interface Conv2dNhwcPlan {
  /** The result's dims [N, outH, outW, OC]. */
  readonly dims: readonly [number, number, number, number];
  /** Runs on x (the planned shape) into y (the result's size; not overlapping x). */
  run(x: Float32Array, y: Float32Array): void;
}

/**
 * A convolution of NHWC x of `xShape`'s dims [N, H, W, C] (channelsFirst: NCHW, [N, C, H, W]) with W
 * [KH*KW*C, OC] (a float32 tensor, or packed once with packWeights()),
 * checked once. The bias is copied now; packed weights are shared, not copied.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planConv2dNhwc(xShape: Omit<Tensor<'float32'>, 'data'>, wIn: GemmWeights, options: Conv2dNhwcOptions): Conv2dNhwcPlan {
  checkObject('options', options);
  const channelsFirst = options.channelsFirst ?? false;
  if (typeof channelsFirst !== 'boolean') typeFail('options.channelsFirst', 'must be a boolean');
  const dims4 = checkTensorShape('x', xShape, ['float32'], 4).dims;
  const [n, h, wd, c] = channelsFirst ? [dims4[0], dims4[2], dims4[3], dims4[1]] : dims4;
  const g = convGeometry([n, c, h, wd], { kernelShape: options.kernelShape, strides: options.strides, pads: options.pads, dilations: options.dilations });
  const k = g.kernelH * g.kernelW * c;
  const w = asPacked('w', wIn, ['float32'], k);
  const oc = w.n;
  const bias = checkBias(options.bias, 'float32', oc);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  const dims = [n, g.outH, g.outW, oc] as const;
  checkResultSize(dims);
  const xLength = n * h * wd * c, yLength = n * g.outH * g.outW * oc;
  const addon = w.handle && yLength > 0 ? native() : null;
  const plan = addon?.planF32Conv2dNhwc({
    variant, weights: w.handle!, batch: n, channels: c, height: h, width: wd, kernelH: g.kernelH, kernelW: g.kernelW,
    strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft,
    outH: g.outH, outW: g.outW, bias: bias ?? null, min, max, channelsFirst,
  });
  // The reference path (no addon, or C = 0: no packed weights) is im2col + GEMM, with a copy of the bias as the plan has.
  const reference = bias?.slice();
  return {
    dims,
    run(x, y) {
      if (!(x instanceof Float32Array) || x.length !== xLength) fail('x', `must be a Float32Array of ${xLength} elements`);
      if (!(y instanceof Float32Array) || y.length !== yLength) fail('y', `must be a Float32Array of ${yLength} elements`);
      checkDisjoint('y', y, 'x', x);
      if (plan) return addon!.runPlan(plan, x, y);
      if (yLength === 0) return;
      const m = n * g.outH * g.outW;
      const col = new Float32Array(m * k);
      // Rows (c, kh, kw) from the NCHW oracle, (kh, kw, c) from the NHWC one: W's row order either way.
      if (channelsFirst) refIm2col(x, col, { ...g, groups: 1 }, 0);
      else refIm2colNhwc(x, col, g, 0);
      y.set(refGemm({ m, n: oc, k, a: col, b: w.source.data as Float32Array, bias: reference, min, max }));
    },
  };
}
