/**
 * How far one tensor is from another: the errors, cosine similarity and
 * top-1 agreement compare() reports, and whether they count as agreement.
 */

/** A tensor of either runtime: sparq's Values and onnxruntime's Tensors both fit (onnxruntime's string tensors too: they never match sparq's types). */
export interface TensorLike {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string>;
}

/** How far sparq's value is from onnxruntime's. */
export interface ValueErrors {
  /** Why no errors could be computed (element types or dims differ); null when they agree. The errors are then Infinity, cosine 0. */
  mismatch: string | null;
  maxAbsError: number;
  /** maxAbsError over the largest |onnxruntime value| (0 when both are all zeros), so near-zero elements do not blow it up. */
  maxRelError: number;
  /** Cosine similarity of the two as vectors, over the elements finite in both (1 when those are all zeros); NaN and infinity disagreements show in maxAbsError. */
  cosine: number;
  /** Every element equal (NaN equals NaN). */
  exact: boolean;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The errors of `actual` (sparq) against `expected` (onnxruntime), in float64.
 * int64 differences are taken on the BigInts, so values past 2^53 are not rounded together.
 */
export function valueErrors(actual: TensorLike, expected: TensorLike): ValueErrors {
  if (actual.type !== expected.type || !sameDims(actual.dims, expected.dims)) {
    return { mismatch: `sparq gives ${actual.type} [${actual.dims}], onnxruntime ${expected.type} [${expected.dims}]`, maxAbsError: Infinity, maxRelError: Infinity, cosine: 0, exact: false };
  }
  let maxAbs = 0, scale = 0, dot = 0, na = 0, nb = 0, exact = true;
  const a = actual.data, b = expected.data;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i], bi = b[i];
    const same = ai === bi || (ai !== ai && bi !== bi);
    const x = Number(ai), y = Number(bi);
    if (!same) {
      exact = false;
      const d = typeof ai === 'bigint' ? Math.abs(Number(ai - (bi as bigint))) : Math.abs(x - y);
      // NaN against a number is a disagreement of unbounded size.
      maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
    }
    if (Number.isFinite(y)) scale = Math.max(scale, Math.abs(y));
    if (Number.isFinite(x) && Number.isFinite(y)) {
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  }
  const maxRel = maxAbs === 0 ? 0 : scale === 0 ? Infinity : maxAbs / scale;
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
  return { mismatch: null, maxAbsError: maxAbs, maxRelError: maxRel, cosine, exact };
}

/** Whether sparq's value counts as agreeing: same type and dims, and exact, or for float32 within `tolerance` relative error. */
export function agrees(type: string, errors: ValueErrors, tolerance: number): boolean {
  if (errors.mismatch !== null) return false;
  return errors.exact || (type === 'float32' && errors.maxRelError <= tolerance);
}

function argmax(data: TensorLike['data'], start: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (Number(data[start + j]) > Number(data[start + best])) best = j;
  return best;
}

/** The fraction of rows of two [N, C] values (C > 1) whose argmax agree; null for other shapes or no rows. */
export function top1Agreement(actual: TensorLike, expected: TensorLike): number | null {
  if (actual.dims.length !== 2 || !sameDims(actual.dims, expected.dims)) return null;
  const [rows, classes] = actual.dims;
  if (rows === 0 || classes < 2) return null;
  let agree = 0;
  for (let r = 0; r < rows; r++) if (argmax(actual.data, r * classes, classes) === argmax(expected.data, r * classes, classes)) agree++;
  return agree / rows;
}
