/**
 * The channels-last convolution operator: x [N, H, W, C] -> y [N, OH, OW, OC]
 * for the NHWC layout (runtime/passes/nhwc-layout.ts). In NHWC a pixel's
 * channels are one contiguous row, so a group-1 conv is one GEMM over all
 * the pixels of the batch:
 *
 *   1x1, stride 1, unpadded:  x as it lies [N*H*W, C] x W' [C, OC]
 *   any other window:         im2col rows [N*OH*OW, KH*KW*C] x W' [KH*KW*C, OC]
 *
 * and the GEMM's [pixels, OC] result IS the NHWC output: no transposes.
 * W' is the ONNX weight [OC, C, KH, KW] reordered once to rows (kh, kw, c),
 * c fastest, the order of the im2col rows. Float32 runs planGemm (bias and
 * clamp fused, HardSwish / HardSigmoid in place after); uint8 runs planQGemm
 * with the requantized output stage of the NCHW operator (per-channel weight
 * scales, int32 bias, x zero point), so both layouts give the same bytes.
 */
import { tensor, type QType, type QuantParams, type Tensor } from '../../../tensor.js';
import type { ResolvedActivation } from '../../../ops/activation.js';
import { convGeometry } from '../../../ops/im2col.js';
import { activate } from '../elementwise.js';
import { planGemm } from '../gemm.js';
import { packWeights, type PackedWeights } from '../pack.js';
import { planQGemm } from '../qgemm.js';
import type { ConvLayer } from './operator.js';
import type { ConvRunGeometry, ConvWeightSource } from './layer.js';

/** One input shape and quantization's call, checked once: run() takes only the arrays. */
export interface NhwcConvPlan {
  readonly type: 'float32' | QType;
  /** [N, OH, OW, OC]. */
  readonly dims: readonly [number, number, number, number];
  /** y (of `type`, dims' size) from x [N, H, W, C]; y must not overlap x. */
  run(x: Float32Array | Uint8Array, y: Float32Array | Uint8Array | Int8Array): void;
}

export interface NhwcConvOperator {
  /** For profiles: 'conv-nhwc-1x1', 'qconv-nhwc', ... */
  readonly label: string;
  /** The call for x of `xDims` [N, H, W, C] (uint8: quantized by `xQuant`), in `geometry` (the window resolved for x's H and W). */
  plan(xDims: readonly [number, number, number, number], xQuant: QuantParams, geometry: ConvRunGeometry): NhwcConvPlan;
}

/** Whether the window reads each pixel's channels as they lie: 1x1, stride 1, no padding. */
function isPointwise(kernel: readonly [number, number], geometry: ConvRunGeometry): boolean {
  const [sh, sw] = geometry.strides ?? [1, 1];
  return kernel[0] === 1 && kernel[1] === 1 && sh === 1 && sw === 1 && geometry.pads.every((p) => p === 0);
}

/** W' [KH*KW*C, OC] of ONNX weights [OC, C, KH, KW] (rows (kh, kw, c), c fastest), packed with the weights' quantization per column. */
function packNhwcWeights<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>): PackedWeights {
  const [oc, c, kh, kw] = w.dims;
  const taps = kh * kw;
  const reordered = new (w.data.constructor as new (n: number) => typeof w.data)(w.data.length);
  for (let o = 0; o < oc; o++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) reordered[(t * c + ch) * oc + o] = w.data[(o * c + ch) * taps + t];
  const quant: QuantParams = !w.scales ? {} : w.scales.length > 1
    ? { scale: w.scales, zeroPoint: w.zeroPoints, axis: 1 }
    : { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 };
  return packWeights(tensor(w.type, [taps * c, oc], reordered, quant) as Tensor<'float32' | 'int8' | 'uint8'>);
}

/**
 * Packs a group-1 layer's weights for NHWC once. Expects a layer the
 * caller validated (2-D, group 1, no fused pool; bias and quantization
 * sized to the weights) with a float32 or requantized (uint8/int8) result.
 */
export function prepareConvNhwc<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>): NhwcConvOperator {
  const { weights: w, output } = layer;
  if (output === 'int32') throw new RangeError('layer.output: int32 sums (ConvInteger) run NCHW only');
  const [oc, c, kh, kw] = w.dims;
  const kernel = [kh, kw] as const;
  const packed = packNhwcWeights(w);
  const kind = output === 'float32' ? 'conv' : 'qconv';
  return {
    label: kh === 1 && kw === 1 ? `${kind}-nhwc-1x1` : `${kind}-nhwc`,
    plan(xDims, xQuant, geometry) {
      const [n, h, width] = xDims;
      const { outH, outW } = convGeometry([n, c, h, width], geometry);
      const dims = [n, outH, outW, oc] as const;
      if (!isPointwise(kernel, geometry)) throw new RangeError(`prepareConvNhwc: a ${kh}x${kw} window with strides [${geometry.strides}] and pads [${geometry.pads}] needs the NHWC im2col, not built yet`);
      const rows = n * h * width;
      if (output === 'float32') {
        const gemm = planGemm({ type: 'float32', dims: [rows, c] }, packed, { bias: layer.bias as Float32Array | undefined, activation: layer.activation });
        const post = layer.postActivation;
        return { type: 'float32', dims, run: (x, y) => runFloat(gemm.run, x as Float32Array, y as Float32Array, dims, post) };
      }
      const qgemm = planQGemm({ type: 'uint8', dims: [rows, c], scale: xQuant.scale, zeroPoint: xQuant.zeroPoint }, packed, {
        output, outScale: layer.outScale, outZeroPoint: layer.outZeroPoint, bias: layer.bias as Int32Array | undefined, activation: layer.activation,
      });
      return { type: output, dims, run: (x, y) => qgemm.run(x as Uint8Array, y as Uint8Array | Int8Array) };
    },
  };
}

/** The float GEMM, then the HardSwish / HardSigmoid post-activation in place (the f32 gemm fuses only a clamp). */
function runFloat(gemm: (a: Float32Array, out: Float32Array) => void, x: Float32Array, y: Float32Array, dims: readonly number[],
  post: ResolvedActivation | undefined): void {
  gemm(x, y);
  if (post) activate({ type: 'float32', dims, data: y }, post, { out: y });
}
