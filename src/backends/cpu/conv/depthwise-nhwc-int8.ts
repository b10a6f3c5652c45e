/**
 * The int8 depthwise path of the channels-last conv operator (nhwc.ts): a
 * quantized layer with one input channel per group (isDepthwise) runs on
 * cpu.planQdwconv2dNhwc (qu8s8-dwconv2d-nhwc: exact int32 sums vectorized
 * across channels, requantized in the kernel), any window, stride, dilation
 * and padding. Its weights go as stored (int8 or uint8, with their zero
 * points): the plan packs them less their zero points, so no layer is left
 * out for weights far from their zero point.
 */
import { tensor, type QType, type QuantParams, type Tensor } from '../../../tensor.js';
import { planQdwconv2dNhwc } from '../qdwconv2d-nhwc.js';
import type { ConvRunGeometry } from './layer.js';
import type { ConvLayer } from './operator.js';

/** nhwc.ts's operator for this path (declared here, as nhwc.ts imports this file). */
export interface QDepthwiseNhwc {
  readonly label: 'qconv-dw-nhwc';
  /** y [N, OH, OW, OC] from uint8 x of `xDims` [N, H, W, C] quantized by `xQuant`, in `geometry`. */
  plan(xDims: readonly [number, number, number, number], xQuant: QuantParams, geometry: ConvRunGeometry): {
    readonly type: QType;
    readonly dims: readonly [number, number, number, number];
    run(x: Uint8Array, y: Uint8Array | Int8Array): void;
  };
}

/** The layer on NHWC uint8 x; expects a quantized depthwise layer with a requantized (uint8/int8) result and no fused pool. */
export function prepareQDepthwiseNhwc(layer: ConvLayer<'float32' | 'int8' | 'uint8'>): QDepthwiseNhwc {
  const { weights: w, output } = layer;
  if (w.type === 'float32' || !w.scales || (output !== 'uint8' && output !== 'int8')) throw new RangeError('layer: the NHWC int8 depthwise path takes quantized weights and a uint8/int8 result');
  const { scales, zeroPoints = Int32Array.of(0) } = w;
  // Per channel when either is (a layer may pair one scale with per-channel zero points, or the reverse).
  const oc = w.dims[0];
  const quant: QuantParams = scales.length === 1 && zeroPoints.length === 1
    ? { scale: scales[0], zeroPoint: zeroPoints[0] }
    : { scale: Float32Array.from({ length: oc }, (_, c) => scales[scales.length === 1 ? 0 : c]), zeroPoint: Int32Array.from({ length: oc }, (_, c) => zeroPoints[zeroPoints.length === 1 ? 0 : c]), axis: 0 };
  const weights = tensor(w.type, w.dims, w.data as Uint8Array | Int8Array, quant) as Tensor<'int8' | 'uint8'>;
  return {
    label: 'qconv-dw-nhwc',
    plan(xDims, xQuant, geometry) {
      const plan = planQdwconv2dNhwc({ type: 'uint8', dims: [...xDims], ...xQuant }, weights, {
        strides: geometry.strides, pads: geometry.pads, dilations: geometry.dilations, output, outScale: layer.outScale,
        outZeroPoint: layer.outZeroPoint, bias: layer.bias as Int32Array | undefined, activation: layer.activation,
      });
      return { type: output, dims: plan.result.dims as [number, number, number, number], run: (x, y) => plan.run(x, y) };
    },
  };
}
