/**
 * qdwconv2dNhwc: qdwconv2d on channels-last images, planned once per input
 * shape and quantization: uint8 x [N, H, W, C] with int8 or uint8 weights
 * [C * M, 1, KH, KW] and their zero points (per tensor or per output
 * channel), exact int32 sums returned raw or requantized to uint8/int8 (or
 * dequantized to float32) into y [N, OH, OW, C * M], as qdwconv2d computes
 * them on the NCHW image. The weights are packed into the plan, less their
 * zero points. Native: kernels/qu8s8-dwconv2d-nhwc.
 */
import { refQdwconv2dNhwc } from '../reference/qdwconv2d.js';
import { dwconv2dGeometry, type DwConv2dArgs } from '../../ops/dwconv2d.js';
import { planQuantizedProduct, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { native } from '../../native.js';
import { TYPED_ARRAY_OF, sizeOf, type Tensor } from '../../tensor.js';
import { checkNoOverlap, checkObject, checkQuantParams, checkResultSize, checkTensor, checkTensorShape, fail, typeFail } from '../../validate.js';

export interface Qdwconv2dNhwcOptions extends QuantizedOutputOptions, Omit<DwConv2dArgs, 'group'> {
  /** Force one qu8s8-dwconv2d-nhwc variant by name (tests, benchmarks); default: the best for this CPU when planned. */
  variant?: string;
}

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

/** A depthwise layer planned for channels-last inputs of one shape and quantization: run() checks only the arrays. */
export interface Qdwconv2dNhwcPlan {
  /** The result's dims [N, OH, OW, OC], type and quantization (per-channel scales along axis 3). */
  readonly result: Omit<Tensor, 'data'>;
  run(x: Uint8Array, out: Out): void;
}

/**
 * Validates a channels-last depthwise call for x like `x` (dims and
 * quantization; no data needed) and packs the weights, for many runs.
 * @param x uint8 [N, H, W, C] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`
 * @param w int8 or uint8 [C * M, 1, KH, KW] (M >= 1 output channels per channel), `zeroPoint` and `scale` per tensor or per output channel (`axis: 0`; scale optional for 'int32')
 * @returns the plan; its result is [N, OH, OW, C * M] of options.output's type, OH = floor((H + padTop + padBottom - dilationH * (KH - 1) - 1) / strideH) + 1 (likewise OW)
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planQdwconv2dNhwc(x: Omit<Tensor<'uint8'>, 'data'>, wIn: Tensor<'int8' | 'uint8'>, options: Qdwconv2dNhwcOptions = {}): Qdwconv2dNhwcPlan {
  const xs = checkTensorShape('x', x, ['uint8'], 4);
  checkObject('options', options);
  const w = checkTensor('w', wIn, ['int8', 'uint8'], 4);
  const [batch, height, width, channels] = xs.dims;
  const g = dwconv2dGeometry([batch, channels, height, width], w.dims, { strides: options.strides, pads: options.pads, dilations: options.dilations });
  if (w.axis !== undefined && typeof w.scale === 'number') typeFail('w.scale', 'must be an array when w.axis is set');
  const { scales, zeroPoints, axis } = checkQuantParams('w.', w.scale ?? 1, w.zeroPoint, w.axis, w.dims, w.type);
  if (axis !== undefined && axis !== 0) typeFail('w.axis', 'must be 0 (per output channel) for depthwise weights');
  const outChannels = g.channels * g.multiplier;
  const q = planQuantizedProduct('x', xs, { scales }, options, outChannels, 3);
  const dims = [g.batch, g.outH, g.outW, outChannels];
  checkResultSize(dims);
  const xSize = sizeOf(xs.dims), size = sizeOf(dims);
  const type = TYPED_ARRAY_OF[q.output] as new (n: number) => Out;
  const reads = { w: w.data, 'options.bias': q.bias };
  const addon = native();
  const plan = addon && size > 0
    ? addon.planQu8s8Dwconv2dNhwc({
      variant: q.variant, w: w.data, wZeroPoint: zeroPoints, batch: g.batch, channels: g.channels, channelMultiplier: g.multiplier, height: g.height,
      width: g.width, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
      padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, xZeroPoint: q.aZeroPoint, output: q.output, ldc: outChannels,
      bias: q.bias ?? null, multiplier: q.mult, outZeroPoint: q.outZeroPoint, outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
    })
    : undefined;
  // The reference's weights: off their zero points, which int8 or uint8 weights may leave int8 for.
  const taps = g.kernelH * g.kernelW;
  const weightsOff = () => Int16Array.from(w.data, (v, i) => v - zeroPoints[zeroPoints.length === 1 ? 0 : Math.floor(i / taps)]);
  return {
    result: { type: q.output, dims, ...q.quant },
    run(xData, out) {
      if (!(xData instanceof Uint8Array) || xData.length !== xSize) fail('x', `must be a Uint8Array of ${xSize} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkNoOverlap('out', out, { x: xData, ...reads });
      if (size === 0) return;
      if (plan) addon!.runPlan(plan, xData, out);
      else refQdwconv2dNhwc(g, xData, q.aZeroPoint, weightsOff(), out, {
        multipliers: q.mult ?? Float32Array.of(1), bias: q.bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
      });
    },
  };
}
