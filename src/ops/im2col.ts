/**
 * The geometry of im2col and of a convolution's window over NCHW input
 * (output size, strides, pads, dilations, groups), checked, and im2col's
 * padding value: one plan for every backend.
 */
import { checkDim, checkInt, checkObject, fail, typeFail } from '../validate.js';

/** A convolution window over NCHW input, resolved (layout in kernels/x32-im2col/x32-im2col.h). */
export interface Im2colGeometry {
  batch: number;
  groups: number;
  channelsPerGroup: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** im2col's options every backend takes (also the window of a convolution). */
export interface Im2colArgs {
  kernelShape: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX Conv orders them. */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  group?: number;
  /** Padding value for uint8 input: the input's zero point (default x.zeroPoint ?? 0). float32 pads with 0. */
  padValue?: number;
}

function pair(name: string, value: unknown, fallback: number, min: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (!Array.isArray(value) || value.length !== 2) typeFail(name, 'must be an array of 2 numbers');
  return [checkInt(`${name}[0]`, value[0], min, 2 ** 31), checkInt(`${name}[1]`, value[1], min, 2 ** 31)];
}

/** Output geometry of a convolution, validated. */
export function convGeometry(dims: readonly number[], options: Im2colArgs): Im2colGeometry {
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
export function im2colPadValue(x: { type: 'float32' | 'uint8'; zeroPoint?: number | Int32Array }, options: Im2colArgs): number {
  if (x.type === 'uint8') {
    const zp = options.padValue ?? x.zeroPoint ?? 0;
    if (typeof zp !== 'number') typeFail('options.padValue', 'must be a number');
    return checkInt('options.padValue', zp, 0, 255);
  }
  if (options.padValue !== undefined && options.padValue !== 0) fail('options.padValue', 'must be 0 for float32 input');
  return 0;
}
