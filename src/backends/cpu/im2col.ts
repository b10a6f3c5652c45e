/**
 * im2col: lays out NCHW images as GEMM rows so a 2-D convolution runs on
 * gemm/qgemm: conv(x, W) = im2col(x) * W' with W' the [C/group*KH*KW, Cout/group]
 * weights of each group.
 */
import { refIm2col } from '../reference/im2col.js';
import { convGeometry, im2colPadValue, type Im2colArgs } from '../../ops/im2col.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { checkVariant } from '../../ops/variant.js';
import type { Tensor } from '../../tensor.js';
import { checkTensor, outputTensor } from '../../validate.js';

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
