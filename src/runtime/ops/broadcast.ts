/**
 * Multidirectional (numpy) broadcasting for the binary elementwise operators.
 * A pair of shapes is reduced once to the fewest loops with the same meaning:
 * size-1 output dims are dropped and neighbouring dims where the same operand
 * (or neither) repeats are merged. The innermost merged dim becomes a run in
 * which each operand either advances by one element or stays fixed, so the
 * common CNN cases are a single run (same shape, scalar) or one run per
 * channel (bias [C,1,1] on [N,C,H,W]) with no index arithmetic per element.
 */
import { ModelError } from '../onnx/model.js';

/** The shape `a` and `b` broadcast to. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[i - rank + a.length] ?? 1;
    const y = b[i - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ModelError(`shapes [${a}] and [${b}] cannot be broadcast together (${x} vs ${y} at output axis ${i})`);
    dims.push(x === 1 ? y : x);
  }
  return dims;
}

/**
 * The three loops of one binary operator over a run of `n` outputs at `o`:
 * both operands advancing, or one of them fixed at its element.
 */
export interface Rows<A> {
  both(out: A, o: number, a: A, ia: number, b: A, ib: number, n: number): void;
  aFixed(out: A, o: number, a: A, ia: number, b: A, ib: number, n: number): void;
  bFixed(out: A, o: number, a: A, ia: number, b: A, ib: number, n: number): void;
}

/** Rows that call `f` per element: for the integer types, whose tensors are small shape arithmetic. */
export function callbackRows<A extends { [i: number]: E }, E>(f: (x: E, y: E) => E): Rows<A> {
  return {
    both: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = f(a[ia + i], b[ib + i]); },
    aFixed: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = f(a[ia], b[ib + i]); },
    bFixed: (out, o, a, ia, b, ib, n) => { for (let i = 0; i < n; i++) out[o + i] = f(a[ia + i], b[ib]); },
  };
}

/** out = a (op) b elementwise with broadcasting; `out` holds broadcastDims(aDims, bDims) elements. */
export function broadcastApply<A>(aDims: readonly number[], bDims: readonly number[], a: A, b: A, out: A, rows: Rows<A>): void {
  const dims = broadcastDims(aDims, bDims);
  if (dims.includes(0)) return;
  const rank = dims.length;
  // Merged loops, outermost first: their size and whether a / b repeat along them.
  const sizes: number[] = [];
  const aRepeats: boolean[] = [];
  const bRepeats: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    if (dims[i] === 1) continue;
    const ar = (aDims[i - rank + aDims.length] ?? 1) === 1;
    const br = (bDims[i - rank + bDims.length] ?? 1) === 1;
    const last = sizes.length - 1;
    if (last >= 0 && aRepeats[last] === ar && bRepeats[last] === br) sizes[last] *= dims[i];
    else {
      sizes.push(dims[i]);
      aRepeats.push(ar);
      bRepeats.push(br);
    }
  }
  if (sizes.length === 0) {
    rows.both(out, 0, a, 0, b, 0, 1);
    return;
  }
  const loops = sizes.length - 1;
  const run = sizes[loops];
  const row = aRepeats[loops] ? rows.aFixed : bRepeats[loops] ? rows.bFixed : rows.both;
  // Element strides of a and b along the outer loops (0 where they repeat).
  const aStride = new Array<number>(loops);
  const bStride = new Array<number>(loops);
  let aStep = aRepeats[loops] ? 1 : run;
  let bStep = bRepeats[loops] ? 1 : run;
  for (let k = loops - 1; k >= 0; k--) {
    aStride[k] = aRepeats[k] ? 0 : aStep;
    bStride[k] = bRepeats[k] ? 0 : bStep;
    if (!aRepeats[k]) aStep *= sizes[k];
    if (!bRepeats[k]) bStep *= sizes[k];
  }
  const index = new Array<number>(loops).fill(0);
  const total = sizes.reduce((p, s) => p * s, 1);
  let ia = 0, ib = 0;
  for (let o = 0; o < total; o += run) {
    row(out, o, a, ia, b, ib, run);
    for (let k = loops - 1; k >= 0; k--) {
      ia += aStride[k];
      ib += bStride[k];
      if (++index[k] < sizes[k]) break;
      index[k] = 0;
      ia -= aStride[k] * sizes[k];
      ib -= bStride[k] * sizes[k];
    }
  }
}
