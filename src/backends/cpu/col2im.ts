/**
 * col2im: the adjoint of the NHWC im2col (planIm2colNhwc), for the backward
 * pass of a convolution run as im2col + GEMM: with conv = col * W and col =
 * im2col(x), dL/dx = col2im(dL/dcol) where dL/dcol = dL/dy * W^T. Each row of
 * col is scattered back onto the pixels its taps read and summed there;
 * taps in the padding are dropped. float32 only (it adds).
 */
import { refCol2imNhwc } from '../reference/col2im.js';
import { convGeometry, type Im2colArgs } from '../../ops/im2col.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import { checkDims, checkDisjoint, checkObject, checkResultSize, checkTensor, fail, outputTensor } from '../../validate.js';

export interface Col2imOptions extends Omit<Im2colArgs, 'group' | 'padValue'> {
  /** Force one f32-col2im variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
}

/** A col2im checked once for images of one shape: run() checks only the two arrays. */
export interface Col2imNhwcPlan {
  /** [N * outH * outW, KH * KW * C]: the rows col must hold (planIm2colNhwc's dims for the same images). */
  readonly colDims: readonly [number, number];
  /** The images' dims [N, H, W, C]. */
  readonly dims: readonly [number, number, number, number];
  /** Writes image (zeroed, then summed into) from col; image of dims' size, not overlapping col. */
  run(col: Float32Array, image: Float32Array): void;
}

/**
 * col2im into float32 NHWC images of `imageDims` [N, H, W, C] for a window of
 * `options` (im2col's: kernelShape, strides, pads [top, left, bottom, right],
 * dilations), checked once for many runs (the addon's planCol2imNhwc).
 * Every variant sums each pixel's terms in one order (rows, then kh, then
 * kw), so results are equal bit for bit across variants and thread counts.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planCol2imNhwc(imageDims: readonly number[], options: Col2imOptions): Col2imNhwcPlan {
  const [n, h, w, c] = checkDims('imageDims', imageDims, 4);
  checkObject('options', options);
  const g = convGeometry([n, c, h, w], { kernelShape: options.kernelShape, strides: options.strides, pads: options.pads, dilations: options.dilations });
  const variant = checkVariant(options);
  const colDims = [n * g.outH * g.outW, g.kernelH * g.kernelW * c] as const;
  checkResultSize(colDims);
  checkResultSize([n, h, w, c]);
  const colSize = colDims[0] * colDims[1], size = n * h * w * c;
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planCol2imNhwc({
    variant, batch: n, channels: c, height: h, width: w, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW,
    dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
  });
  return {
    colDims,
    dims: [n, h, w, c],
    run(col, image) {
      if (!(col instanceof Float32Array) || col.length !== colSize) fail('col', `must be a Float32Array of ${colSize} values, as planned`);
      if (!(image instanceof Float32Array) || image.length !== size) fail('image', `must be a Float32Array of ${size} values`);
      checkDisjoint('image', image, 'col', col);
      if (plan) return addon!.runPlan(plan, col, image);
      if (size > 0) refCol2imNhwc(col, image, g);
    },
  };
}

/**
 * col [N * outH * outW, KH * KW * C] (float32, im2col's NHWC rows) -> the NHWC
 * images [N, H, W, C] of `options.imageDims` that the rows' taps read, each
 * pixel the sum of its taps; planCol2imNhwc once and run, into options.out
 * when given.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function col2imNhwc(colIn: Tensor<'float32'>, options: Col2imOptions & { imageDims: readonly number[]; out?: Float32Array }): Tensor<'float32'> {
  const col = checkTensor('col', colIn, ['float32'], 2);
  checkObject('options', options);
  const plan = planCol2imNhwc(checkDims('options.imageDims', options.imageDims, 4), options);
  if (col.dims[0] !== plan.colDims[0] || col.dims[1] !== plan.colDims[1])
    fail('col.dims', `[${col.dims}] must be [${plan.colDims}] for images [${plan.dims}] and this window`);
  const image = outputTensor(options.out, { 'col.data': col.data }, 'float32', plan.dims);
  plan.run(col.data, image.data);
  return image;
}
