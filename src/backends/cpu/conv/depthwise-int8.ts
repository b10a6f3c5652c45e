/**
 * The int8 depthwise path of the conv operator: a quantized layer with one
 * channel per group (isDepthwise) runs on cpu.qdwconv2d (exact int32 sums,
 * requantized in the kernel) instead of one tiny GEMM per group after
 * im2col. Its weights are taken off their zero points once; weights whose
 * values then leave int8 (uint8 weights far from their zero point) stay on
 * the im2col path.
 */
import { sizeOf, tensor, type QuantParams, type Tensor } from '../../../tensor.js';
import type { Activation } from '../../../ops/activation.js';
import type { Conv2dOptions } from '../conv2d.js';
import { planQdwconv2d, type Qdwconv2dPlan } from '../qdwconv2d.js';
import { maxPooled } from './direct.js';
import { unpooledAllocate, type ConvAllocate, type ConvRunGeometry, type ConvValue, type ConvWeightSource, type ConvWindow } from './layer.js';

/** Plans kept per layer: one per input shape and quantization (a model runs one or a few). */
const MAX_PLANS = 8;

export interface QDepthwiseConv {
  /** int8 [OC, 1, KH, KW], zero points taken off, with the layer's scales. */
  readonly weights: Tensor<'int8'>;
  readonly plans: Map<string, Qdwconv2dPlan>;
}

/** The layer's weights as qdwconv2d takes them, or undefined when a value minus its zero point leaves [-128, 127]. */
export function prepareQDepthwise(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, window: ConvWindow): QDepthwiseConv | undefined {
  if (w.type === 'float32' || !w.scales) return undefined;
  const [oc] = w.dims;
  const taps = w.data.length / oc;
  const zeroPoint = (c: number) => w.zeroPoints?.[w.zeroPoints.length === 1 ? 0 : c] ?? 0;
  const values = new Int8Array(w.data.length);
  for (let i = 0; i < values.length; i++) {
    const v = w.data[i] - zeroPoint(Math.floor(i / taps));
    if (v < -128 || v > 127) return undefined;
    values[i] = v;
  }
  const quant: QuantParams = w.scales.length === 1 ? { scale: w.scales[0] } : { scale: w.scales, axis: 0 };
  return { weights: tensor('int8', [oc, 1, window.kernel[0], window.kernel[1]], values, quant), plans: new Map() };
}

/** The output stage of the layer's result type: int32 sums (ConvInteger), or requantized with the fused clamp. */
export interface QDepthwiseOutput {
  output: 'int32' | 'uint8' | 'int8';
  outScale?: number;
  outZeroPoint?: number;
  bias?: Int32Array;
  activation?: Activation;
  pool?: Conv2dOptions['pool'];
}

/** Runs the layer on NCHW uint8 `x` (quantized by `xQuant`) in `geometry`; the max pool, if fused, after. */
export function runQDepthwise(dw: QDepthwiseConv, x: ConvValue<'float32' | 'uint8'>, xQuant: QuantParams, geometry: ConvRunGeometry,
  stage: QDepthwiseOutput, allocate: ConvAllocate): ConvValue {
  const key = `${x.dims} ${xQuant.scale} ${xQuant.zeroPoint}`;
  let plan = dw.plans.get(key);
  if (plan === undefined) {
    const { output, outScale, outZeroPoint, bias, activation } = stage;
    plan = planQdwconv2d({ type: 'uint8', dims: x.dims, ...xQuant }, dw.weights, {
      strides: geometry.strides, pads: geometry.pads, dilations: geometry.dilations, output, bias,
      ...(output === 'int32' ? {} : { outScale, outZeroPoint, activation }),
    });
    if (dw.plans.size >= MAX_PLANS) dw.plans.clear();
    dw.plans.set(key, plan);
  }
  const { type, dims } = plan.result;
  const y = unpooledAllocate(stage.pool, allocate)(type as 'int32' | 'uint8' | 'int8', sizeOf(dims)) as Int32Array | Uint8Array | Int8Array;
  plan.run(x.data as Uint8Array, y);
  return maxPooled({ type, dims, data: y } as ConvValue, stage.pool, allocate);
}
