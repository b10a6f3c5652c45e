/**
 * ONNX convolution and pooling attributes (kernel_shape, strides, pads,
 * dilations, auto_pad, group) resolved against an input's spatial dims into
 * the 2-D geometry im2col takes. 1-D operators run as 2-D with height 1.
 */
import type { Im2colArgs } from '../../ops/im2col.js';
import { ModelError } from '../onnx/model.js';
import { type Attributes } from './op.js';

export interface WindowAttributes {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Explicit [top, left, bottom, right], or how auto_pad derives them. */
  pads: [number, number, number, number] | 'SAME_UPPER' | 'SAME_LOWER';
  /** Whether the operator is 1-D (inputs [N, C, W]). */
  oneD: boolean;
}

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Reads the window attributes of a node whose window has `spatial` dims (from the weight or kernel_shape). */
export function windowAttributes(attrs: Attributes, kernelShape: readonly number[]): WindowAttributes {
  const rank = kernelShape.length;
  if (rank !== 1 && rank !== 2) throw new ModelError(`${rank}-D windows are not supported (1-D and 2-D are)`);
  const list = (name: string, fallback: number, length: number): number[] => {
    const v = attrs.ints(name) ?? new Array(length).fill(fallback);
    if (v.length !== length || v.some((x) => !Number.isSafeInteger(x) || x < (name === 'pads' ? 0 : 1)))
      throw new ModelError(`attribute ${name} must be ${length} ${name === 'pads' ? 'non-negative' : 'positive'} integers, got [${v}]`);
    return v;
  };
  const to2 = (v: number[], fill: number): [number, number] => (rank === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const declared = attrs.ints('kernel_shape');
  if (declared && (declared.length !== rank || declared.some((k, i) => k !== kernelShape[i])))
    throw new ModelError(`attribute kernel_shape [${declared}] does not match the weight's [${kernelShape}]`);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (!AUTO_PADS.includes(autoPad)) throw new ModelError(`attribute auto_pad must be one of ${AUTO_PADS.join(', ')}, got ${autoPad}`);
  let pads: WindowAttributes['pads'];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') pads = autoPad;
  else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else {
    const p = list('pads', 0, 2 * rank);
    pads = rank === 1 ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
  }
  return {
    kernel: to2([...kernelShape], 1),
    strides: to2(list('strides', 1, rank), 1),
    dilations: to2(list('dilations', 1, rank), 1),
    pads,
    oneD: rank === 1,
  };
}

/** The NCHW dims of an input as the 2-D operators see it ([N, C, W] -> [N, C, 1, W]). */
export function as4d(dims: readonly number[], w: WindowAttributes): [number, number, number, number] {
  const rank = w.oneD ? 3 : 4;
  if (dims.length !== rank) throw new ModelError(`input must be ${rank}-D (N, C, ${w.oneD ? 'W' : 'H, W'}), got [${dims}]`);
  return w.oneD ? [dims[0], dims[1], 1, dims[2]] : [dims[0], dims[1], dims[2], dims[3]];
}

/** Pads for auto_pad SAME_*: the output is ceil(in / stride), the odd pad at the end (UPPER) or start (LOWER). */
function samePads(size: number, kernel: number, stride: number, dilation: number, upper: boolean): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size);
  const small = Math.floor(total / 2);
  return upper ? [small, total - small] : [total - small, small];
}

/** im2col options for an input of spatial size [h, w]. */
export function im2colOptions(w: WindowAttributes, h: number, width: number, group = 1): Im2colArgs & { pads: [number, number, number, number] } {
  let pads = w.pads;
  if (typeof pads === 'string') {
    const upper = pads === 'SAME_UPPER';
    const [t, b] = samePads(h, w.kernel[0], w.strides[0], w.dilations[0], upper);
    const [l, r] = samePads(width, w.kernel[1], w.strides[1], w.dilations[1], upper);
    pads = [t, l, b, r];
  }
  return { kernelShape: w.kernel, strides: w.strides, dilations: w.dilations, pads, group };
}

/**
 * im2col options for a convolution of an input of spatial size [h, w]. Unlike
 * a pool's, a convolution's kernel must fit the padded input (onnxruntime
 * rejects the node there too).
 * @throws ModelError when the dilated kernel is larger than the padded input.
 */
export function convOptions(w: WindowAttributes, h: number, width: number, group = 1): ReturnType<typeof im2colOptions> {
  const options = im2colOptions(w, h, width, group);
  const [top, left, bottom, right] = options.pads;
  const extent = w.kernel.map((k, i) => w.dilations[i] * (k - 1) + 1);
  const padded = [h + top + bottom, width + left + right];
  if (extent[0] > padded[0] || extent[1] > padded[1]) {
    const show = (d: number[]) => (w.oneD ? `${d[1]}` : d.join('x'));
    throw new ModelError(`the kernel (dilated ${show(extent)}) is larger than the padded input (${show(padded)})`);
  }
  return options;
}

/** Checks a convolution's input channels against its weight [OC, C/group, ...] (the CPU and GPU convs alike). */
export function checkChannels(x: { dims: readonly number[] }, w: { dims: readonly number[] }, groups: number): void {
  const c = x.dims[1];
  if (w.dims[1] * groups !== c) throw new ModelError(`weight [${w.dims}] with group ${groups} expects ${w.dims[1] * groups} input channels, got ${c}`);
}

/**
 * A convolution's input as the 2-D operators see it and the window resolved
 * for its size: the one geometry the CPU conv operator and the GPU conv run.
 * @throws ModelError for an input of the wrong rank or smaller than the dilated kernel.
 */
export function convRunGeometry(w: WindowAttributes, dims: readonly number[], group = 1): { dims: [number, number, number, number]; geometry: ReturnType<typeof convOptions> } {
  const x = as4d(dims, w);
  return { dims: x, geometry: convOptions(w, x[2], x[3], group) };
}

/** Output dims of a window op in the input's own rank. */
export function outputDims(w: WindowAttributes, n: number, c: number, oh: number, ow: number): number[] {
  return w.oneD ? [n, c, ow] : [n, c, oh, ow];
}
