/**
 * Depthwise 2-D convolution of float32 channels-last (NHWC) tensors, the
 * layout the CPU session keeps between convs: ONNX Conv with group == C on
 * x [N, H, W, C], weights as ONNX stores them ([C * M, 1, KH, KW]), bias and
 * a clamp (after HardSigmoid or HardSwish, MobileNetV3's) fused, on f32-dwconv2d-nhwc (vectors across channels; weights
 * packed once when the call is planned). Any kernel, strides, pads and
 * dilations; 3x3 and 5x5 at horizontal stride 1 and 2 keep their weights in
 * registers.
 */
import { refDwconv2dNhwc } from '../reference/dwconv2d-nhwc.js';
import { refActivated } from '../reference/elementwise.js';
import { dwconv2dGeometry, type DwConv2dArgs } from '../../ops/dwconv2d.js';
import { resolveActivation, type PointwiseActivation } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkDisjoint, checkObject, checkResultSize, checkTensor, checkTensorShape, fail, outputTensor } from '../../validate.js';

export interface Dwconv2dNhwcOptions extends Omit<DwConv2dArgs, 'group'> {
  /** Per output channel (C * M values). */
  bias?: Float32Array;
  /**
   * Applied last: a clamp ('relu', or { min, max }: ReLU6 is { min: 0, max: 6 }), 'hardswish', 'hardsigmoid', or
   * { kind, alpha, beta, min, max } (HardSigmoid's alpha and beta; the clamp after either).
   */
  activation?: PointwiseActivation;
  /** Force one f32-dwconv2d-nhwc variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
}

/** A dwconv2dNhwc call checked, and its weights packed, once for inputs of one shape: run() only checks the arrays. */
export interface Dwconv2dNhwcPlan {
  /** The result's dims [N, outH, outW, C * M]. */
  readonly dims: readonly number[];
  /** Runs on x (the planned shape) into y (the result's size; not overlapping x). */
  run(x: Float32Array, y: Float32Array): void;
}

/**
 * dwconv2dNhwc checked once for x of `xShape`'s type and dims [N, H, W, C]
 * with w [C * M, 1, KH, KW] (M output channels per input channel; output
 * channel c * M + m reads input channel c): the weights and bias are copied
 * and packed now, so later changes to w or options.bias do not reach the
 * plan. Each run() checks only the arrays.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planDwconv2dNhwc(xShape: Omit<Tensor<'float32'>, 'data'>, wIn: Tensor<'float32'>, options: Dwconv2dNhwcOptions = {}): Dwconv2dNhwcPlan {
  const [n, h, wd, c] = checkTensorShape('x', xShape, ['float32'], 4).dims;
  const w = checkTensor('w', wIn, ['float32'], 4);
  checkObject('options', options);
  const g = dwconv2dGeometry([n, c, h, wd], w.dims, { strides: options.strides, pads: options.pads, dilations: options.dilations });
  const outChannels = c * g.multiplier;
  const bias = checkBias(options.bias, 'float32', outChannels);
  const act = resolveActivation('options.activation', options.activation);
  const variant = checkVariant(options);
  const dims = [g.batch, g.outH, g.outW, outChannels];
  checkResultSize(dims);
  const xLength = n * h * wd * c, yLength = dims.reduce((a, b) => a * b, 1);
  const addon = yLength > 0 ? native() : null;
  const plan = addon?.planF32Dwconv2dNhwc({
    variant, w: w.data, bias: bias ?? null, batch: g.batch, channels: c, multiplier: g.multiplier, height: g.height, width: g.width,
    kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
    padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, post: act.kind === 'clamp' ? 'none' : act.kind,
    alpha: act.alpha, beta: act.beta, min: act.min, max: act.max,
  });
  // The reference path (no addon) reads copies, as the native plan does.
  const reference = !plan && yLength > 0 ? { w: w.data.slice(), bias: bias?.slice() } : undefined;
  return {
    dims,
    run(x, y) {
      if (!(x instanceof Float32Array) || x.length !== xLength) fail('x', `must be a Float32Array of ${xLength} elements`);
      if (!(y instanceof Float32Array) || y.length !== yLength) fail('y', `must be a Float32Array of ${yLength} elements`);
      checkDisjoint('y', y, 'x', x);
      if (plan) addon!.runPlan(plan, x, y);
      else if (reference) {
        refDwconv2dNhwc(g, x, reference.w, reference.bias, -Infinity, Infinity, y);
        for (let i = 0; i < y.length; i++) y[i] = refActivated(y[i], act);
      }
    },
  };
}

/**
 * NHWC x [N, H, W, C] convolved depthwise with w [C * M, 1, KH, KW]:
 * [N, outH, outW, C * M], sized as ONNX Conv sizes it; planDwconv2dNhwc
 * once and run, into options.out when given.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dwconv2dNhwc(xIn: Tensor<'float32'>, w: Tensor<'float32'>, options: Dwconv2dNhwcOptions & { out?: Float32Array } = {}): Tensor<'float32'> {
  const x = checkTensor('x', xIn, ['float32'], 4);
  const plan = planDwconv2dNhwc(x, w, options);
  const y = outputTensor(options.out, { 'x.data': x.data }, 'float32', plan.dims);
  plan.run(x.data, y.data);
  return y;
}
