/**
 * Depthwise 2-D convolution of float32 NCHW tensors (ONNX Conv with group ==
 * input channels), and grouped convolution with few channels per group, bias
 * and a clamp fused, on f32-dwconv2d: any kernel, strides, pads and
 * dilations, with vector paths for 3x3 and 5x5 at horizontal stride 1 and 2;
 * every group in one native call.
 */
import { refDwconv2d } from '../reference/dwconv2d.js';
import { dwconv2dGeometry, type DwConv2dArgs, type DwConv2dGeometry } from '../../ops/dwconv2d.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkObject, checkTensor, checkTensorShape, fail, outputTensor } from '../../validate.js';

export interface Dwconv2dOptions extends DwConv2dArgs {
  /** Per output channel (OC values). */
  bias?: Float32Array;
  /** The clamp applied last: 'relu', or { min, max } (ReLU6: { min: 0, max: 6 }). */
  activation?: Activation;
  /** Force one f32-dwconv2d variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the [N, OC, outH, outW] result here (a Float32Array of its size sharing no memory with x, w or bias). */
  out?: Float32Array;
}

/** A dwconv2d call checked once for inputs of one shape: run() only checks the arrays' lengths. */
export interface Dwconv2dPlan {
  /** The result's dims [N, OC, outH, outW]. */
  readonly dims: readonly number[];
  /** Runs on x (the planned shape) into y (the result's size; not overlapping x, w or bias). */
  run(x: Float32Array, y: Float32Array): void;
}

interface Setup {
  g: DwConv2dGeometry;
  dims: number[];
  bias: Float32Array | undefined;
  call(x: Float32Array, y: Float32Array): CpuCall<void>;
}

function setup(xShape: Omit<Tensor<'float32'>, 'data'>, w: Tensor<'float32'>, options: Omit<Dwconv2dOptions, 'out'>): Setup {
  checkObject('options', options);
  const g = dwconv2dGeometry(xShape.dims, w.dims, options);
  const outChannels = g.channels / g.groupChannels * g.multiplier;
  const bias = checkBias(options.bias, 'float32', outChannels);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  const dims = [g.batch, outChannels, g.outH, g.outW];
  return {
    g, dims, bias,
    call: (x, y) => ({
      result: undefined,
      empty: y.length === 0,
      native: (addon, async) =>
        addon.f32Dwconv2d({
          variant, x, w: w.data, bias: bias ?? null, y, batch: g.batch, channels: g.channels, groupChannels: g.groupChannels,
          multiplier: g.multiplier, height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH,
          strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH,
          outW: g.outW, min, max, async,
        }),
      reference: () => refDwconv2d(g, x, w.data, bias, min, max, y),
    }),
  };
}

function dwconv2dCall(xIn: Tensor<'float32'>, wIn: Tensor<'float32'>, options: Dwconv2dOptions): CpuCall<Tensor<'float32'>> {
  const x = checkTensor('x', xIn, ['float32'], 4);
  const w = checkTensor('w', wIn, ['float32'], 4);
  const s = setup(x, w, options);
  const y = outputTensor(options.out, { 'x.data': x.data, 'w.data': w.data, 'options.bias': s.bias }, 'float32', s.dims);
  return { ...s.call(x.data, y.data), result: y };
}

/**
 * NCHW x [N, C, H, W] convolved with w [OC, C / group, KH, KW] in `group`
 * groups (default C: depthwise, OC = C * M output channels, M per input
 * channel): [N, OC, outH, outW], sized as ONNX Conv sizes it. Made for
 * depthwise and few channels per group (each input channel is one pass over
 * the output); conv2d and the conv operator's GEMM suit many.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dwconv2d(x: Tensor<'float32'>, w: Tensor<'float32'>, options: Dwconv2dOptions = {}): Tensor<'float32'> {
  return runSync(dwconv2dCall(x, w, options));
}

export async function dwconv2dAsync(x: Tensor<'float32'>, w: Tensor<'float32'>, options: Dwconv2dOptions = {}): Promise<Tensor<'float32'>> {
  return runAsync(dwconv2dCall(x, w, options));
}

/**
 * dwconv2d checked once for x of `xShape`'s type and dims (the runtime's
 * prepared layers): each run() checks only the arrays' lengths.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planDwconv2d(xShape: Omit<Tensor<'float32'>, 'data'>, wIn: Tensor<'float32'>, options: Omit<Dwconv2dOptions, 'out'> = {}): Dwconv2dPlan {
  checkTensorShape('x', xShape, ['float32'], 4);
  const w = checkTensor('w', wIn, ['float32'], 4);
  const s = setup(xShape, w, options);
  const xLength = xShape.dims.reduce((a, b) => a * b, 1), yLength = s.dims.reduce((a, b) => a * b, 1);
  return {
    dims: s.dims,
    run(x, y) {
      if (!(x instanceof Float32Array) || x.length !== xLength) fail('x', `must be a Float32Array of ${xLength} elements`);
      if (!(y instanceof Float32Array) || y.length !== yLength) fail('y', `must be a Float32Array of ${yLength} elements`);
      runSync(s.call(x, y));
    },
  };
}
