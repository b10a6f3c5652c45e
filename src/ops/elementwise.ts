/**
 * Which binary broadcasts the f32-elementwise kernels run: b the same shape
 * as a, or b one value per row of a viewed as [rows, inner] (a [1 or N, C,
 * 1, 1] scale or bias on [N, C, H, W], a scalar), or the same with a and b
 * swapped. The runtime runs every other broadcast on its general loops.
 */
import { sizeOf } from '../tensor.js';

export interface BinaryPlan {
  /** The result's dims (the full operand's). */
  dims: number[];
  rows: number;
  inner: number;
  /** 0: the other operand advances with the full one; else it holds bRows values, row r reading value r % bRows. */
  bRows: number;
  /** The full operand is b (a is the per-row one): a - b is then b's 'rsub'. */
  swapped: boolean;
}

/** Right-aligned to `rank` with leading 1s. */
function aligned(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - dims.length).fill(1), ...dims];
}

/** `small` as one value per row of `full` (equal rank), or undefined. */
function perRow(full: readonly number[], small: readonly number[]): { rows: number; inner: number; bRows: number } | undefined {
  let k = full.length;
  while (k > 0 && small[k - 1] === 1) k--;
  let j = 0;
  while (j < k && small[j] === 1) j++;
  for (let i = j; i < k; i++) if (small[i] !== full[i]) return undefined;
  return { rows: sizeOf(full.slice(0, k)), inner: sizeOf(full.slice(k)), bRows: sizeOf(small) };
}

/** The kernels' view of a (op) b, or undefined for a broadcast they do not run. */
export function planBinary(aDims: readonly number[], bDims: readonly number[]): BinaryPlan | undefined {
  const rank = Math.max(aDims.length, bDims.length);
  const a = aligned(aDims, rank), b = aligned(bDims, rank);
  if (a.every((d, i) => d === b[i])) return { dims: a, rows: 1, inner: sizeOf(a), bRows: 0, swapped: false };
  const bSmall = perRow(a, b);
  if (bSmall) return { dims: a, ...bSmall, swapped: false };
  const aSmall = perRow(b, a);
  if (aSmall) return { dims: b, ...aSmall, swapped: true };
  return undefined;
}
