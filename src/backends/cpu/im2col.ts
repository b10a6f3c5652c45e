/**
 * im2col: lays out NCHW images as GEMM rows so a 2-D convolution runs on
 * gemm/qgemm: conv(x, W) = im2col(x) * W' with W' the [C/group*KH*KW, Cout/group]
 * weights of each group.
 */
import { refIm2col, type Im2colGeometry } from '../reference/im2col.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import type { Tensor } from '../../tensor.js';
import { checkDim, checkInt, checkObject, checkTensor, fail, outputTensor, typeFail } from '../../validate.js';

export interface Im2colOptions {
  kernelShape: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX Conv orders them. */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  group?: number;
  /** Padding value for uint8 input: the input's zero point (default x.zeroPoint ?? 0). float32 pads with 0. */
  padValue?: number;
  /** Force one kernel variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the result here (reused storage of the input's type and the result's size). */
  out?: Float32Array | Uint8Array;
}

function pair(name: string, value: unknown, fallback: number, min: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (!Array.isArray(value) || value.length !== 2) typeFail(name, 'must be an array of 2 numbers');
  return [checkInt(`${name}[0]`, value[0], min, 2 ** 31), checkInt(`${name}[1]`, value[1], min, 2 ** 31)];
}

/** Output geometry of a convolution, validated. */
export function convGeometry(dims: readonly number[], options: Im2colOptions): Im2colGeometry {
  checkObject('options', options);
  const [batch, channels, height, width] = dims;
  const [kernelH, kernelW] = pair('options.kernelShape', options.kernelShape ?? typeFail('options.kernelShape', 'is required'), 1, 1);
  const [strideH, strideW] = pair('options.strides', options.strides, 1, 1);
  const [dilationH, dilationW] = pair('options.dilations', options.dilations, 1, 1);
  let pads = [0, 0, 0, 0];
  if (options.pads !== undefined) {
    if (!Array.isArray(options.pads) || options.pads.length !== 4) typeFail('options.pads', 'must be an array of 4 numbers [top, left, bottom, right]');
    pads = options.pads.map((p, i) => checkDim(`options.pads[${i}]`, p));
  }
  const groups = options.group === undefined ? 1 : checkInt('options.group', options.group, 1, 2 ** 31);
  if (channels % groups !== 0) fail('options.group', `must divide the ${channels} input channels`);
  const extentH = dilationH * (kernelH - 1) + 1, extentW = dilationW * (kernelW - 1) + 1;
  const paddedH = height + pads[0] + pads[2], paddedW = width + pads[1] + pads[3];
  if (extentH > paddedH || extentW > paddedW) fail('options.kernelShape', `(dilated ${extentH}x${extentW}) is larger than the padded input ${paddedH}x${paddedW}`);
  return {
    batch, groups, channelsPerGroup: channels / groups, height, width, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
    padTop: pads[0], padLeft: pads[1],
    outH: Math.floor((paddedH - extentH) / strideH) + 1,
    outW: Math.floor((paddedW - extentW) / strideW) + 1,
  };
}

/** The value im2col writes in the padding: 0 for float32, options.padValue or the zero point for uint8; validated. */
export function im2colPadValue(x: { type: 'float32' | 'uint8'; zeroPoint?: number | Int32Array }, options: Im2colOptions): number {
  if (x.type === 'uint8') {
    const zp = options.padValue ?? x.zeroPoint ?? 0;
    if (typeof zp !== 'number') typeFail('options.padValue', 'must be a number');
    return checkInt('options.padValue', zp, 0, 255);
  }
  if (options.padValue !== undefined && options.padValue !== 0) fail('options.padValue', 'must be 0 for float32 input');
  return 0;
}

function im2colCall(xIn: Tensor<'float32' | 'uint8'>, options: Im2colOptions): CpuCall<Tensor<'float32' | 'uint8'>> {
  const x = checkTensor('x', xIn, ['float32', 'uint8'], 4);
  const g = convGeometry(x.dims, options);
  const padValue = im2colPadValue(x, options);
  const variant = checkVariant(options);
  const rows = g.batch * g.outH * g.outW, cols = g.channelsPerGroup * g.kernelH * g.kernelW;
  const col = outputTensor(options.out, { 'x.data': x.data }, x.type, [g.groups, rows, cols], x.type === 'uint8' ? { scale: x.scale, zeroPoint: x.zeroPoint } : undefined);
  return {
    result: col,
    empty: col.data.length === 0,
    native: (addon, async) =>
      addon.im2col({
        variant, x: x.data, col: col.data, batch: g.batch, groups: g.groups, channelsPerGroup: g.channelsPerGroup,
        height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW,
        dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
        padValue, async,
      }),
    reference: () => refIm2col(x.data, col.data, g, padValue),
  };
}

/**
 * NCHW x -> [group, N * outH * outW, C/group * KH * KW] rows for GEMM.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function im2col(x: Tensor<'float32' | 'uint8'>, options: Im2colOptions): Tensor<'float32' | 'uint8'> {
  return runSync(im2colCall(x, options));
}

export async function im2colAsync(x: Tensor<'float32' | 'uint8'>, options: Im2colOptions): Promise<Tensor<'float32' | 'uint8'>> {
  return runAsync(im2colCall(x, options));
}
