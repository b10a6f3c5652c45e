/**
 * im2col: lays out NCHW images as GEMM rows so a 2-D convolution runs on
 * gemm/qgemm: conv(x, W) = im2col(x) * W' with W' the [C/group*KH*KW, Cout/group]
 * weights of each group.
 */
import { refIm2col, refIm2colNhwc } from '../reference/im2col.js';
import { convGeometry, im2colPadValue, type Im2colArgs } from '../../ops/im2col.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import { checkDisjoint, checkResultSize, checkTensor, checkTensorShape, fail, outputTensor } from '../../validate.js';

export interface Im2colOptions extends Im2colArgs {
  /** Force one kernel variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the result here (reused storage of the input's type and the result's size). */
  out?: Float32Array | Uint8Array;
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

/** An NHWC im2col call validated once for images of one shape: run() checks only the two arrays. */
export interface Im2colNhwcPlan {
  /** [N * outH * outW, KH * KW * C]: the GEMM rows, columns (kh, kw, c) with c fastest. */
  readonly dims: readonly [number, number];
  /** Lays x [N, H, W, C] out into col (of x's type and dims' size, not overlapping x). */
  run(x: Float32Array | Uint8Array, col: Float32Array | Uint8Array): void;
}

/**
 * Validates an im2col of NHWC images like `x` ([N, H, W, C], float32, or
 * uint8 padded with options.padValue or its zero point) once, for many runs
 * (the addon's planIm2colNhwc): each output pixel's row is its window's
 * taps, each tap the C channels of one input pixel, the order of weights
 * reordered to [(kh, kw, c), OC]. One group only.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planIm2colNhwc(x: Omit<Tensor<'float32' | 'uint8'>, 'data'>, options: Omit<Im2colOptions, 'out'>): Im2colNhwcPlan {
  const { type, dims } = checkTensorShape('x', x, ['float32', 'uint8'], 4);
  const [n, h, w, c] = dims;
  const g = convGeometry([n, c, h, w], options);
  if (g.groups !== 1) fail('options.group', 'must be 1 for NHWC images');
  const padValue = im2colPadValue(x, options);
  const variant = checkVariant(options);
  const rows = n * g.outH * g.outW, cols = c * g.kernelH * g.kernelW;
  checkResultSize([rows, cols]);
  const ArrayType = type === 'float32' ? Float32Array : Uint8Array;
  const size = rows * cols, xSize = n * h * w * c;
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planIm2colNhwc({
    variant, type, batch: n, channels: c, height: h, width: w, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH, strideW: g.strideW,
    dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, padValue,
  });
  return {
    dims: [rows, cols],
    run(xData, col) {
      if (!(xData instanceof ArrayType) || xData.length !== xSize) fail('x', `must be a ${ArrayType.name} of ${xSize} values, as planned`);
      if (!(col instanceof ArrayType) || col.length !== size) fail('col', `must be a ${ArrayType.name} of ${size} values`);
      checkDisjoint('col', col, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData, col);
      if (size > 0) refIm2colNhwc(xData, col, g, padValue);
    },
  };
}
