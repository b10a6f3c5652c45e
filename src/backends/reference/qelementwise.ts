/**
 * Reference qx8-elementwise (semantics in kernels/qx8-elementwise/qx8-elementwise.h):
 * the float graph each fused node replaces, element by element:
 * DequantizeLinear ((v - zero point) * scale in float32), the float32 op and
 * clamp of f32-elementwise, QuantizeLinear (float32 division, NaN -> zero
 * point, saturate, round half to even), and plane means summed in
 * f32-elementwise's lane order.
 */
import { saturateRound } from '../../ops/round.js';

const f = Math.fround;

export type QBinaryOp = 'add' | 'sub' | 'rsub' | 'mul';

/** Per-tensor quantization of one operand or result (the scale a float32 value, as the kernels hold it). */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** How b lines up with x viewed as [rows, inner] (native.ts's Qx8BinaryCall). */
export interface QBroadcast {
  rows: number;
  inner: number;
  broadcast: 'same' | 'row' | 'column';
  bCount: number;
  bRepeat: number;
}

export function refDequantizeOne(v: number, q: QParams): number {
  return f((v - q.zeroPoint) * q.scale);
}

/** QuantizeLinear of one float32 into `y`'s type. */
export function refQuantizeOne(x: number, q: QParams, signed: boolean): number {
  let v = f(x / q.scale);
  if (Number.isNaN(v)) v = 0;
  return signed ? saturateRound(v, q.zeroPoint, -128, 127) : saturateRound(v, q.zeroPoint, 0, 255);
}

function combined(x: number, b: number, op: QBinaryOp): number {
  return f(op === 'add' ? x + b : op === 'sub' ? x - b : op === 'rsub' ? b - x : x * b);
}

/** y = Q(clamp(DQ(x) op DQ(b), min, max)), b lined up with x as `view` says. */
export function refQBinary(
  op: QBinaryOp, x: Uint8Array | Int8Array, b: Uint8Array | Int8Array, y: Uint8Array | Int8Array, view: QBroadcast,
  xq: QParams, bq: QParams, yq: QParams, min: number, max: number,
): void {
  const signed = y instanceof Int8Array;
  const { rows, inner, broadcast, bCount, bRepeat } = view;
  for (let r = 0, i = 0; r < rows; r++)
    for (let j = 0; j < inner; j++, i++) {
      const bIndex = broadcast === 'same' ? i : broadcast === 'row' ? r % bCount : (Math.floor(r / bRepeat) % bCount) * inner + j;
      let v = combined(refDequantizeOne(x[i], xq), refDequantizeOne(b[bIndex], bq), op);
      v = v < min ? min : v;
      v = v > max ? max : v;
      y[i] = refQuantizeOne(v, yq, signed);
    }
}

/** y[i] = table[x[i] as a byte]. */
export function refLookup(x: Uint8Array | Int8Array, table: Uint8Array | Int8Array, y: Uint8Array | Int8Array): void {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < x.length; i++) y[i] = table[bytes[i]];
}

/** The float32 sum of DQ(x[at(i)]), i < n: 16 running sums (lane i % 16), added as a tree, then the tail in order. */
function dequantizedSum(x: Uint8Array | Int8Array, at: (i: number) => number, n: number, q: QParams): number {
  const lanes = new Array<number>(16).fill(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) for (let l = 0; l < 16; l++) lanes[l] = f(lanes[l] + refDequantizeOne(x[at(i + l)], q));
  for (let half = 8; half >= 1; half /= 2) for (let l = 0; l < half; l++) lanes[l] = f(lanes[l] + lanes[l + half]);
  let sum = lanes[0];
  for (; i < n; i++) sum = f(sum + refDequantizeOne(x[at(i)], q));
  return sum;
}

/** y[n * channels + c] = Q(mean of DQ(x) over plane (n, c)); x [images, channels, plane] or (channelsLast) [images, plane, channels]. */
export function refQGlobalAveragePool(
  x: Uint8Array | Int8Array, y: Uint8Array | Int8Array, images: number, channels: number, plane: number, channelsLast: boolean, xq: QParams, yq: QParams,
): void {
  const signed = y instanceof Int8Array;
  for (let n = 0; n < images; n++)
    for (let c = 0; c < channels; c++) {
      const at = channelsLast ? (i: number) => (n * plane + i) * channels + c : (i: number) => (n * channels + c) * plane + i;
      y[n * channels + c] = refQuantizeOne(f(dequantizedSum(x, at, plane, xq) / plane), yq, signed);
    }
}
