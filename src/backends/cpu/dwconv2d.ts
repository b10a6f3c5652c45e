/**
 * Depthwise 2-D convolution of float32 NCHW tensors (ONNX Conv with group ==
 * input channels), bias and a clamp fused, on f32-dwconv2d: any kernel,
 * strides, pads and dilations, with vector paths for 3x3 and 5x5 at
 * horizontal stride 1 and 2.
 */
import { refDwconv2d } from '../reference/dwconv2d.js';
import { dwconv2dGeometry, type DwConv2dArgs } from '../../ops/dwconv2d.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkObject, checkTensor, outputTensor } from '../../validate.js';

export interface Dwconv2dOptions extends DwConv2dArgs {
  /** Per output channel (C * multiplier values). */
  bias?: Float32Array;
  /** The clamp applied last: 'relu', or { min, max } (ReLU6: { min: 0, max: 6 }). */
  activation?: Activation;
  /** Force one f32-dwconv2d variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the [N, C * multiplier, outH, outW] result here (a Float32Array of its size sharing no memory with x, w or bias). */
  out?: Float32Array;
}

function dwconv2dCall(xIn: Tensor<'float32'>, wIn: Tensor<'float32'>, options: Dwconv2dOptions): CpuCall<Tensor<'float32'>> {
  const x = checkTensor('x', xIn, ['float32'], 4);
  const w = checkTensor('w', wIn, ['float32'], 4);
  checkObject('options', options);
  const g = dwconv2dGeometry(x.dims, w.dims, options);
  const outChannels = g.channels * g.multiplier;
  const bias = checkBias(options.bias, 'float32', outChannels);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, { 'x.data': x.data, 'w.data': w.data, 'options.bias': bias }, 'float32', [g.batch, outChannels, g.outH, g.outW]);
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) =>
      addon.f32Dwconv2d({
        variant, x: x.data, w: w.data, bias: bias ?? null, y: y.data, batch: g.batch, channels: g.channels, multiplier: g.multiplier,
        height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW,
        dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, min, max, async,
      }),
    reference: () => refDwconv2d(g, x.data, w.data, bias, min, max, y.data),
  };
}

/**
 * NCHW x [N, C, H, W] convolved channel by channel with w [C * M, 1, KH, KW]
 * (M output channels per input channel; ONNX Conv with group = C):
 * [N, C * M, outH, outW], sized as ONNX Conv sizes it.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dwconv2d(x: Tensor<'float32'>, w: Tensor<'float32'>, options: Dwconv2dOptions = {}): Tensor<'float32'> {
  return runSync(dwconv2dCall(x, w, options));
}

export async function dwconv2dAsync(x: Tensor<'float32'>, w: Tensor<'float32'>, options: Dwconv2dOptions = {}): Promise<Tensor<'float32'>> {
  return runAsync(dwconv2dCall(x, w, options));
}
