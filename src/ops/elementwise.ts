/**
 * Which binary broadcasts the f32-elementwise kernels run: b the same shape
 * as a, or b one value per row of a viewed as [rows, inner] (a [1 or N, C,
 * 1, 1] scale or bias on [N, C, H, W], a scalar), or b one row of `inner`
 * values per block of rows (an [N or 1, 1, 1, C] one on the channels-last
 * [N, H, W, C]), or the same with a and b swapped. The runtime runs every
 * other broadcast on its general loops.
 */
import { sizeOf } from '../tensor.js';

export interface BinaryPlan {
  /** The result's dims (the full operand's). */
  dims: number[];
  rows: number;
  inner: number;
  /**
   * 0: the other operand advances with the full one; else it holds bRows
   * values, row r reading value r % bRows, or with bColumns bRows rows of
   * `inner` values, each read by rows / bRows consecutive rows.
   */
  bRows: number;
  bColumns: boolean;
  /** The full operand is b (a is the per-row one): a - b is then b's 'rsub'. */
  swapped: boolean;
}

/** Right-aligned to `rank` with leading 1s. */
function aligned(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - dims.length).fill(1), ...dims];
}

type Broadcast = Pick<BinaryPlan, 'rows' | 'inner' | 'bRows' | 'bColumns'>;

/** `small` as one value per row of `full` (equal rank), or undefined. */
function perRow(full: readonly number[], small: readonly number[]): Broadcast | undefined {
  let k = full.length;
  while (k > 0 && small[k - 1] === 1) k--;
  let j = 0;
  while (j < k && small[j] === 1) j++;
  for (let i = j; i < k; i++) if (small[i] !== full[i]) return undefined;
  return { rows: sizeOf(full.slice(0, k)), inner: sizeOf(full.slice(k)), bRows: sizeOf(small), bColumns: false };
}

/**
 * `small` as one row per block of rows of `full` (equal rank): its trailing
 * dims equal full's (the row), the ones before them 1 (the block), the
 * leading ones equal again (one row per block), or undefined.
 */
function perColumn(full: readonly number[], small: readonly number[]): Broadcast | undefined {
  let k = full.length;
  while (k > 0 && small[k - 1] === full[k - 1]) k--;
  let j = k;
  while (j > 0 && small[j - 1] === 1) j--;
  if (k === full.length || j === k) return undefined;
  for (let i = 0; i < j; i++) if (small[i] !== full[i]) return undefined;
  return { rows: sizeOf(full.slice(0, k)), inner: sizeOf(full.slice(k)), bRows: sizeOf(small.slice(0, j)), bColumns: true };
}

/** The form of `small` against `full` the kernels run best: the longer contiguous run wins (an [1, 1, 1, C] operand is C-long rows, not C one-value rows). */
function broadcast(full: readonly number[], small: readonly number[]): Broadcast | undefined {
  const rows = perRow(full, small), columns = perColumn(full, small);
  if (rows && columns) return columns.inner > rows.inner ? columns : rows;
  return rows ?? columns;
}

/** The kernels' view of a (op) b, or undefined for a broadcast they do not run. */
export function planBinary(aDims: readonly number[], bDims: readonly number[]): BinaryPlan | undefined {
  const rank = Math.max(aDims.length, bDims.length);
  const a = aligned(aDims, rank), b = aligned(bDims, rank);
  if (a.every((d, i) => d === b[i])) return { dims: a, rows: 1, inner: sizeOf(a), bRows: 0, bColumns: false, swapped: false };
  const bSmall = broadcast(a, b);
  if (bSmall) return { dims: a, ...bSmall, swapped: false };
  const aSmall = broadcast(b, a);
  if (aSmall) return { dims: b, ...aSmall, swapped: true };
  return undefined;
}
