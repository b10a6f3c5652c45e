/**
 * The sliding window the trainer's image layers share (Conv2d, its
 * depthwise form, MaxPool, AveragePool): kernel, strides, pads and
 * dilations checked once, the output size of an NHWC input, the window as
 * ONNX attributes.
 */
import type { Tensor } from '../../../tensor.js';
import { checkInt, fail, typeFail } from '../../../validate.js';

export interface WindowOptions {
  kernelShape: readonly [number, number];
  /** Default [1, 1]. */
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them; default none. */
  pads?: readonly [number, number, number, number];
  /** Default [1, 1]. */
  dilations?: readonly [number, number];
}

/** A window checked: every field present. */
export interface Window {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
}

function ints(name: string, value: unknown, length: number, min: number, fallback: number): number[] {
  if (value === undefined) return new Array<number>(length).fill(fallback);
  if (!Array.isArray(value) || value.length !== length) typeFail(name, `must be an array of ${length} integers`);
  return value.map((v, i) => checkInt(`${name}[${i}]`, v, min, 2 ** 31 - 1));
}

/** `options`' window checked, errors naming `${name}.kernelShape` and so on. */
export function checkWindow(name: string, options: WindowOptions): Window {
  if (options.kernelShape === undefined) typeFail(`${name}.kernelShape`, 'is required');
  const [kh, kw] = ints(`${name}.kernelShape`, options.kernelShape, 2, 1, 1);
  const [sh, sw] = ints(`${name}.strides`, options.strides, 2, 1, 1);
  const [t, l, b, r] = ints(`${name}.pads`, options.pads, 4, 0, 0);
  const [dh, dw] = ints(`${name}.dilations`, options.dilations, 2, 1, 1);
  return { kernel: [kh, kw], strides: [sh, sw], pads: [t, l, b, r], dilations: [dh, dw] };
}

/** The window of a conv whose weight is [OC, C, KH, KW]: options' window, where options.kernelShape, when given, must be [KH, KW]. */
export function weightWindow(options: Omit<WindowOptions, 'kernelShape'> & { kernelShape?: WindowOptions['kernelShape'] }, kh: number, kw: number): Window {
  const window = checkWindow('options', { ...options, kernelShape: options.kernelShape ?? [kh, kw] });
  if (window.kernel[0] !== kh || window.kernel[1] !== kw) fail('options.kernelShape', `[${window.kernel}] must be the weight's [${kh}, ${kw}]`);
  return window;
}

/** The window as im2col, the conv plans and the pools take it. */
export function windowArgs(w: Window) {
  return { kernelShape: w.kernel, strides: w.strides, pads: w.pads, dilations: w.dilations };
}

/** [N, outH, outW] of NHWC `input` [N, H, W, C] under `w` (ONNX Conv's sizes, floor rounding); a RangeError naming `layer` if the window does not fit. */
export function windowOutput(layer: string, w: Window, input: readonly number[]): [number, number, number] {
  if (input.length !== 4) fail(layer, `takes NHWC images [N, H, W, C], got [${input}]`);
  const size = (axis: 0 | 1) => {
    const extent = w.dilations[axis] * (w.kernel[axis] - 1) + 1;
    const padded = input[axis + 1] + w.pads[axis] + w.pads[axis + 2];
    if (extent > padded) fail(layer, `window (dilated ${extent}) is larger than the padded input (${padded}) of [${input}]`);
    return Math.floor((padded - extent) / w.strides[axis]) + 1;
  };
  return [input[0], size(0), size(1)];
}

/** The window as ONNX's Conv/MaxPool/AveragePool attributes (explicit pads, no auto_pad). */
export function windowAttributes(w: Window, dilations = true): Record<string, number[]> {
  const attributes: Record<string, number[]> = { kernel_shape: [...w.kernel], strides: [...w.strides], pads: [...w.pads] };
  if (dilations) attributes.dilations = [...w.dilations];
  return attributes;
}

/** `x` checked as the NHWC float32 input a layer was built for (rank 4, `channels` last). */
export function checkImages(layer: string, x: Tensor<'float32'>, channels?: number): readonly number[] {
  if (x?.type !== 'float32' || !(x.data instanceof Float32Array)) typeFail(layer, 'takes float32 tensors');
  if (x.dims.length !== 4 || (channels !== undefined && x.dims[3] !== channels))
    fail(layer, `takes NHWC images [N, H, W, ${channels ?? 'C'}], got [${x.dims}]`);
  return x.dims;
}
