/**
 * The arguments of quantize / dequantize / requantize, checked for any
 * backend, and what they give: output type, per-channel parameters, the
 * [outer, channels, inner] view, the requantize output stage. Nothing here
 * allocates the result; each backend does.
 */
import { saturateRound } from './round.js';
import { activationRange, type Activation } from './activation.js';
import { Q_RANGE, type QType, type QuantParams } from '../element-types.js';
import { axisView, checkObject, checkOneOf, checkQuantParams, fail, typeFail } from '../validate.js';

/** quantize's options every backend takes. */
export interface QuantizeArgs {
  type: QType;
  /** One scale, or one per index of `axis`. */
  scale: number | Float32Array | readonly number[];
  zeroPoint?: number | Int32Array | readonly number[];
  axis?: number;
}

/** requantize's options every backend takes. */
export interface RequantizeArgs {
  /** Output type; 'float32' dequantizes. */
  type: QType | 'float32';
  /** Output scale and zero point (quantized types only). */
  scale?: number;
  zeroPoint?: number;
  /** int32 added to each accumulator first: one value, or one per index of acc.axis. */
  bias?: Int32Array;
  activation?: Activation;
}

/** quantize's arguments, checked, for any backend: x's dims, the output type and its quantization parameters. */
export function planQuantize(dims: readonly number[], options: QuantizeArgs) {
  checkObject('options', options);
  const type = checkOneOf('options.type', options.type, ['uint8', 'int8'] as const);
  const { scales, zeroPoints, axis } = checkQuantParams('options.', options.scale, options.zeroPoint, options.axis, dims, type);
  const quant = axis === undefined ? { scale: scales[0], zeroPoint: zeroPoints[0] } : { scale: scales, zeroPoint: zeroPoints, axis };
  return { type, scales, zeroPoints, quant, view: axisView(dims, axis) };
}

/** dequantize's parameters, checked, for any backend: those the quantized tensor carries. */
export function planDequantize(x: QuantParams & { type: QType; dims: readonly number[] }) {
  const { scales, zeroPoints, axis } = checkQuantParams('x.', x.scale, x.zeroPoint, x.axis, x.dims, x.type);
  return { scales, zeroPoints, view: axisView(x.dims, axis) };
}

/**
 * requantize's arguments, checked, for any backend: the accumulators' dims
 * and scales, and the output stage (multipliers, zero point, clamp) they give.
 */
export function planRequantize(acc: QuantParams & { dims: readonly number[] }, options: RequantizeArgs) {
  checkObject('options', options);
  const type = checkOneOf('options.type', options.type, ['uint8', 'int8', 'float32'] as const);
  // The accumulator's own scale (a.scale * b.scale), per tensor or per axis; its zero point must be 0.
  const { scales: accScales, zeroPoints: accZps, axis } = checkQuantParams('acc.', acc.scale, acc.zeroPoint, acc.axis, acc.dims, 'int8');
  if (accZps.some((z) => z !== 0)) fail('acc.zeroPoint', 'must be 0: int32 accumulators have no zero point');
  const view = axisView(acc.dims, axis);
  const { bias } = options;
  if (bias !== undefined) {
    if (!(bias instanceof Int32Array)) typeFail('options.bias', 'must be an Int32Array');
    if (bias.length !== 1 && bias.length !== view.channels) fail('options.bias', `must have 1 or ${view.channels} values, got ${bias.length}`);
  }
  const range = activationRange('options.activation', options.activation);
  if (type === 'float32') return { type, view, bias, range, multipliers: accScales, zeroPoint: 0, outMin: 0, outMax: 0, quant: undefined };
  const out = checkQuantParams('options.', options.scale, options.zeroPoint, undefined, acc.dims, type);
  const outScale = out.scales[0], zeroPoint = out.zeroPoints[0];
  const q = Q_RANGE[type];
  return {
    type, view, bias, range, zeroPoint,
    multipliers: Float32Array.from(accScales, (s) => Math.fround(s / outScale)),
    // The real-valued clamp quantized like any value (ReLU: exactly the zero point).
    outMin: saturateRound(Math.fround(range.min / outScale), zeroPoint, q.min, q.max),
    outMax: saturateRound(Math.fround(range.max / outScale), zeroPoint, q.min, q.max),
    quant: { scale: outScale, zeroPoint },
  };
}
