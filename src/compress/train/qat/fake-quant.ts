/**
 * Fake quantization: forward quantizes and dequantizes exactly as ONNX's
 * QuantizeLinear -> DequantizeLinear pair (x / scale in float32, round half
 * to even, add the zero point, saturate to the integer range, then
 * (q - zero point) * scale in float32), so the float network sees the
 * values the exported QDQ model computes on. Its derivative is zero almost
 * everywhere, so backward is the clipped straight-through estimator: the
 * gradient passes unchanged where x lies inside the representable range
 * [(0 - zp) * scale, (255 - zp) * scale] of uint8 and is 0 where the forward
 * saturated (moving x there changes nothing).
 */
import { cpu } from '../../../backends/cpu/backend.js';

/** A uint8 quantization grid: QuantizeLinear's scale and zero point. */
export interface Grid {
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * Writes fakeQuant(x) into `out` (may be x) on sparq's quantize and dequantize
 * kernels, through `codes` (x's uint8 values), and, when `inside` is given,
 * 1 where x lies in the grid's representable range, else 0 (the STE's mask).
 */
export function fakeQuantize(x: Float32Array, grid: Grid, out: Float32Array, codes: Uint8Array, inside?: Uint8Array): void {
  const { scale, zeroPoint } = grid;
  const q = cpu.quantize({ type: 'float32', dims: [x.length], data: x }, { type: 'uint8', scale, zeroPoint, out: codes });
  cpu.dequantize(q, { out });
  if (!inside) return;
  const lo = (0 - zeroPoint) * scale, hi = (255 - zeroPoint) * scale;
  for (let i = 0; i < x.length; i++) inside[i] = x[i] >= lo && x[i] <= hi ? 1 : 0;
}

/** The STE's backward: dy where the forward's input was inside its range, 0 elsewhere, into `out` (may be dy). */
export function straightThrough(dy: Float32Array, inside: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < dy.length; i++) out[i] = inside[i] ? dy[i] : 0;
}

/** Min and max of x (0, 0 when empty). */
export function extent(x: Float32Array): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  return x.length === 0 ? [0, 0] : [min, max];
}
