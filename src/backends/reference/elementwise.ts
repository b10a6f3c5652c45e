/**
 * Reference f32-elementwise (semantics in kernels/f32-elementwise/f32-elementwise.h):
 * every product and sum rounded to float32 (Math.fround) before the next
 * operation, clamps that keep NaN, plane sums in the header's lane order.
 */
import type { ResolvedActivation } from '../../ops/activation.js';

const f = Math.fround;
const SIXTH = f(1 / 6);

function clamped(x: number, lo: number, hi: number): number {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

/** act(x) in float32. */
export function refActivated(x: number, a: ResolvedActivation): number {
  if (a.kind === 'hardsigmoid') x = clamped(f(f(a.alpha * x) + a.beta), 0, 1);
  else if (a.kind === 'hardswish') x = f(x * clamped(f(f(x * SIXTH) + 0.5), 0, 1));
  return clamped(x, a.min, a.max);
}

export type BinaryOp = 'add' | 'sub' | 'rsub' | 'mul';

function combined(x: number, b: number, op: BinaryOp): number {
  return f(op === 'add' ? x + b : op === 'sub' ? x - b : op === 'rsub' ? b - x : x * b);
}

/**
 * y = act(x) over `rows * inner` values, or act(x op b) with b the same size
 * (bRows 0), one value per row (b[r % bRows]), or with bColumns one row of
 * `inner` values per block of rows / bRows rows.
 */
export function refElementwise(op: 'none' | BinaryOp, x: Float32Array, b: Float32Array | null, y: Float32Array, rows: number, inner: number, bRows: number, a: ResolvedActivation, bColumns = false): void {
  const block = bColumns ? rows / bRows : 0;
  for (let r = 0, i = 0; r < rows; r++)
    for (let j = 0; j < inner; j++, i++) {
      const at = bRows === 0 ? i : bColumns ? Math.floor(r / block) * inner + j : r % bRows;
      y[i] = refActivated(op === 'none' ? x[i] : combined(x[i], b![at], op), a);
    }
}

/** The float32 sum of x[start, start + n): 16 running sums (lane i % 16), added as a tree, then the tail in order. */
export function refPlaneSum(x: Float32Array, start: number, n: number): number {
  const lanes = new Array<number>(16).fill(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) for (let l = 0; l < 16; l++) lanes[l] = f(lanes[l] + x[start + i + l]);
  for (let half = 8; half >= 1; half /= 2) for (let l = 0; l < half; l++) lanes[l] = f(lanes[l] + lanes[l + half]);
  let sum = lanes[0];
  for (; i < n; i++) sum = f(sum + x[start + i]);
  return sum;
}

/** y[p] = (sum of plane p) / plane, in float32. */
export function refGlobalAveragePool(x: Float32Array, y: Float32Array, planes: number, plane: number): void {
  for (let p = 0; p < planes; p++) y[p] = f(refPlaneSum(x, p * plane, plane) / plane);
}

/**
 * The NHWC form, x [images, plane, columns] -> y [images, columns]: the NCHW
 * pool on the transposed image, so each column sums in the plane order.
 */
export function refGlobalAveragePoolNhwc(x: Float32Array, y: Float32Array, images: number, plane: number, columns: number): void {
  const planes = new Float32Array(images * columns * plane);
  for (let n = 0; n < images; n++)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < columns; c++) planes[(n * columns + c) * plane + p] = x[(n * plane + p) * columns + c];
  refGlobalAveragePool(planes, y, images * columns, plane);
}
