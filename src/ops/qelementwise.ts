/**
 * The quantized binary kernels (qx8-elementwise) run the broadcasts the
 * float ones do (planBinary): b the same shape as a; one value per row of a
 * ([1 or N, C, 1, 1] on [N, C, H, W]); one row of `inner` values per block
 * of rows (a [1 or N, 1, 1, C] operand on [N, H, W, C], the NHWC layout's
 * squeeze-excite scale); or either with a and b swapped. Here in the
 * binding's terms.
 */
import { planBinary } from './elementwise.js';

export interface QBinaryPlan {
  /** The result's dims (the full operand's). */
  dims: number[];
  rows: number;
  inner: number;
  broadcast: 'same' | 'row' | 'column';
  /** 'row': values of the small operand; 'column': its rows of `inner` values. */
  bCount: number;
  /** 'column': consecutive rows that read one row of the small operand. */
  bRepeat: number;
  /** The full operand is b: a - b is then b's 'rsub'. */
  swapped: boolean;
}

/** The kernels' view of a (op) b, or undefined for a broadcast they do not run. */
export function planQBinary(aDims: readonly number[], bDims: readonly number[]): QBinaryPlan | undefined {
  const plan = planBinary(aDims, bDims);
  if (!plan) return undefined;
  const { dims, rows, inner, bRows, swapped } = plan;
  if (bRows === 0) return { dims, rows, inner, broadcast: 'same', bCount: 0, bRepeat: 1, swapped };
  if (!plan.bColumns) return { dims, rows, inner, broadcast: 'row', bCount: bRows, bRepeat: 1, swapped };
  return { dims, rows, inner, broadcast: 'column', bCount: bRows, bRepeat: rows / bRows, swapped };
}
