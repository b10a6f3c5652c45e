/**
 * Reference quantize / dequantize / requantize / min-max: the oracle for the
 * element-wise C++ kernels, bit for bit (formulas in their headers).
 */
import { roundHalfEven, saturateRound } from '../../ops/round.js';

const fround = Math.fround;

export interface RowParams {
  outer: number;
  channels: number;
  inner: number;
}

/** Calls fn(index, channel) over an [outer, channels, inner] view. */
function forEach({ outer, channels, inner }: RowParams, fn: (index: number, channel: number) => void): void {
  let i = 0;
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++) for (let e = 0; e < inner; e++) fn(i++, c);
}

const pick = <T extends ArrayLike<number>>(values: T, c: number): number => values[values.length === 1 ? 0 : c];

export function refQuantize(
  x: Float32Array,
  y: Uint8Array | Int8Array,
  view: RowParams,
  scales: Float32Array,
  zeroPoints: Int32Array,
): void {
  const [lo, hi] = y instanceof Uint8Array ? [0, 255] : [-128, 127];
  forEach(view, (i, c) => {
    let v = fround(x[i] / pick(scales, c));
    if (Number.isNaN(v)) v = 0;
    y[i] = saturateRound(v, pick(zeroPoints, c), lo, hi);
  });
}

export function refDequantize(
  x: Uint8Array | Int8Array,
  y: Float32Array,
  view: RowParams,
  scales: Float32Array,
  zeroPoints: Int32Array,
): void {
  forEach(view, (i, c) => {
    y[i] = fround((x[i] - pick(zeroPoints, c)) * pick(scales, c));
  });
}

export interface RefOutputStage {
  /** One value, or one per channel. */
  multipliers: Float32Array;
  bias?: Int32Array;
  zeroPoints: Int32Array;
  outMin: number;
  outMax: number;
  fmin: number;
  fmax: number;
}

/** One accumulator through the output stage (qs32-qx8-requantize.h). */
export function refOutput(acc: number, c: number, s: RefOutputStage, float: boolean): number {
  const withBias = s.bias ? (acc + pick(s.bias, c)) | 0 : acc;
  let x = fround(fround(withBias) * pick(s.multipliers, c));
  if (float) {
    // Selects, as qs32-qx8-requantize.h: a NaN x stays NaN, a NaN bound is ignored.
    x = s.fmin > x ? s.fmin : x;
    return s.fmax < x ? s.fmax : x;
  }
  // NaN (only from a NaN or infinite multiplier) quantizes to the zero point.
  return saturateRound(Number.isNaN(x) ? 0 : x, pick(s.zeroPoints, c), s.outMin, s.outMax);
}

export function refRequantize(acc: Int32Array, y: Uint8Array | Int8Array | Float32Array, view: RowParams, stage: RefOutputStage): void {
  const float = y instanceof Float32Array;
  forEach(view, (i, c) => {
    y[i] = refOutput(acc[i], c, stage, float);
  });
}

/** Per-channel min and max ignoring NaN; +inf/-inf when a channel has no numbers. */
export function refMinmax(x: Float32Array, view: RowParams): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(view.channels).fill(Infinity);
  const max = new Float32Array(view.channels).fill(-Infinity);
  forEach(view, (i, c) => {
    const v = x[i];
    if (v < min[c]) min[c] = v;
    if (v > max[c]) max[c] = v;
  });
  return { min, max };
}

export { roundHalfEven };
