/** Reading ONNX scale / zero-point inputs (per tensor, or per axis) for the quantized operators. */
import type { Value } from '../onnx/model.js';
import { ModelError } from '../onnx/model.js';

export interface QuantInputs {
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/** A per-tensor float32 scale input. */
export function quantParam(scale: Value | undefined, what: string): { scale: number } {
  if (scale === undefined) throw new ModelError(`${what} must be a constant`);
  if (scale.type !== 'float32' || scale.data.length !== 1) throw new ModelError(`${what} must be one float32 value, got ${scale.type} [${scale.dims}]`);
  return { scale: scale.data[0] as number };
}

/**
 * Scale and zero point of `x`: one each (per tensor) or one per index of
 * `axis` of x (per axis; undefined axis allows per tensor only).
 */
export function quantParams(scale: Value | undefined, zeroPoint: Value | undefined, x: Value, axis: number | undefined, what: string): QuantInputs {
  if (scale === undefined) throw new ModelError(`${what}'s scale is required`);
  if (scale.type !== 'float32') throw new ModelError(`${what}'s scale must be float32, got ${scale.type}`);
  const count = scale.data.length;
  const channels = axis === undefined ? 1 : x.dims[axis];
  if (count !== 1 && count !== channels) throw new ModelError(`${what}'s scale has ${count} values; expected 1${axis === undefined ? '' : ` or ${channels} (axis ${axis})`}`);
  if (zeroPoint !== undefined && zeroPoint.data.length !== count) throw new ModelError(`${what}'s zero point has ${zeroPoint.data.length} values, its scale ${count}`);
  const zeroPoints = zeroPoint === undefined ? new Int32Array(count) : Int32Array.from(zeroPoint.data as ArrayLike<number>);
  return { scales: Float32Array.from(scale.data as Float32Array), zeroPoints };
}

/**
 * A reader of an activation's per-tensor scale and zero point inputs (the
 * QLinear ops' x_scale / x_zero_point), checked when a run reads them and
 * remembered for the same input values: they are constants in every
 * exported model, and re-reading them was a cost per run at batch 1.
 */
export function activationQuantReader(what: string): (scale: Value | undefined, zeroPoint: Value | undefined, x: Value) => { scale: number; zeroPoint: number } {
  let last: { scale: Value | undefined; zeroPoint: Value | undefined; quant: { scale: number; zeroPoint: number } } | undefined;
  return (scale, zeroPoint, x) => {
    if (last !== undefined && last.scale === scale && last.zeroPoint === zeroPoint && scale !== undefined) return last.quant;
    const q = quantParams(scale, zeroPoint, x, undefined, what);
    last = { scale, zeroPoint, quant: { scale: q.scales[0], zeroPoint: q.zeroPoints[0] } };
    return last.quant;
  };
}
