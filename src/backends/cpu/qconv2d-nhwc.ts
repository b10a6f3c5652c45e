/**
 * qconv2dNhwc: a group-1 quantized convolution of channels-last images,
 * planned once per input shape and quantization: uint8 x [N, H, W, C] with
 * int8 or uint8 weights W' [KH*KW*C, OC] (the ONNX weights [OC, C, KH, KW]
 * reordered to rows (kh, kw, c), c fastest, then transposed; per-tensor or
 * per-column zero points and scales), exact int32 sums returned raw or
 * requantized to uint8/int8 (or dequantized to float32) into
 * y [N, OH, OW, OC]: the bytes of qgemm on the NHWC im2col rows of x, so the
 * same as QLinearConv on the NCHW image. Native: kernels/qu8s8-conv2d-nhwc
 * (the windows of a tile of output pixels gathered into a cache-resident
 * buffer, then the qu8s8-gemm microkernels; no im2col matrix in memory).
 */
import { refIm2colNhwc } from '../reference/im2col.js';
import { refQGemmInt32, refQGemmOutput } from '../reference/qgemm.js';
import { convGeometry, type Im2colArgs } from '../../ops/im2col.js';
import { planQuantizedProduct, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { native } from '../../native.js';
import { TYPED_ARRAY_OF, sizeOf, type Tensor } from '../../tensor.js';
import { checkDisjoint, checkNoOverlap, checkObject, checkResultSize, checkTensorShape, fail } from '../../validate.js';
import { asPacked } from './gemm.js';
import type { QGemmWeights } from './qgemm.js';

export interface Qconv2dNhwcOptions extends QuantizedOutputOptions, Omit<Im2colArgs, 'group' | 'padValue'> {
  /** Force one qu8s8-gemm variant by name (tests, benchmarks); default: the best exact one for the weights. */
  variant?: string;
}

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

/** A group-1 conv planned for channels-last inputs of one shape and quantization: run() checks only the arrays. */
export interface Qconv2dNhwcPlan {
  /** The result's dims [N, OH, OW, OC], type and quantization (per-channel scales along axis 3). */
  readonly result: Omit<Tensor, 'data'>;
  run(x: Uint8Array, out: Out): void;
}

/**
 * Validates a channels-last conv for x like `x` (dims and quantization; no
 * data needed), for many runs. The plan holds the packed weights weakly
 * (pack them once with packWeights and share them between plans).
 * @param x uint8 [N, H, W, C] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`; the padding reads the zero point
 * @param w int8/uint8 W' [KH*KW*C, OC] with per-tensor or per-column (axis 1) scale and zero point, or packWeights() of it
 * @param options the window (kernelShape required), the output stage (as qgemm's), `variant`
 * @returns the plan; its result is [N, OH, OW, OC] of options.output's type
 * @throws TypeError/RangeError naming the bad argument.
 */
export function planQconv2dNhwc(x: Omit<Tensor<'uint8'>, 'data'>, wIn: QGemmWeights, options: Qconv2dNhwcOptions): Qconv2dNhwcPlan {
  const xs = checkTensorShape('x', x, ['uint8'], 4);
  checkObject('options', options);
  const [batch, height, width, channels] = xs.dims;
  const group = (options as Im2colArgs).group;
  if (group !== undefined && group !== 1) fail('options.group', 'must be 1 (depthwise and grouped convs have their own kernels)');
  const g = convGeometry([batch, channels, height, width], { ...options, group: 1 });
  const k = g.kernelH * g.kernelW * channels;
  const w = asPacked('w', wIn, ['int8', 'uint8'], k);
  const oc = w.n;
  const q = planQuantizedProduct('x', xs, w, options, oc, 3);
  const dims = [batch, g.outH, g.outW, oc];
  checkResultSize(dims);
  const xSize = sizeOf(xs.dims), size = sizeOf(dims), rows = batch * g.outH * g.outW;
  const type = TYPED_ARRAY_OF[q.output] as new (n: number) => Out;
  const addon = w.handle && size > 0 ? native() : null;
  const plan = addon && addon.planQu8s8Conv2dNhwc({
    variant: q.variant, weights: w.handle!, batch, channels, height, width, kernelH: g.kernelH, kernelW: g.kernelW, strideH: g.strideH,
    strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
    xZeroPoint: q.aZeroPoint, output: q.output, ldc: oc, bias: q.bias ?? null, multiplier: q.mult, outZeroPoint: q.outZeroPoint,
    outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
  });
  const stage = {
    multipliers: q.mult ? Float32Array.from(q.mult) : Float32Array.of(1), bias: q.bias && Int32Array.from(q.bias), zeroPoints: Int32Array.of(q.outZeroPoint),
    outMin: q.outMin, outMax: q.outMax, fmin: q.fmin, fmax: q.fmax,
  };
  return {
    result: { type: q.output, dims, ...q.quant },
    run(xData, out) {
      if (!(xData instanceof Uint8Array) || xData.length !== xSize) fail('x', `must be a Uint8Array of ${xSize} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkDisjoint('out', out, 'x', xData);
      if (plan) return addon!.runPlan(plan, xData, out);
      if (size === 0) return;
      checkNoOverlap('out', out, { w: w.source.data });
      const col = new Uint8Array(rows * k);
      refIm2colNhwc(xData, col, g, q.aZeroPoint);
      const acc = refQGemmInt32({ m: rows, n: oc, k, a: col, aZeroPoint: q.aZeroPoint, b: w.source.data as Uint8Array | Int8Array, bZeroPoints: w.zeroPoints });
      refQGemmOutput(acc, oc, out, stage);
    },
  };
}
