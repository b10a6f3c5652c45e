/**
 * What one kernel family's check is: seeded cases, the CPU backend's result
 * with a chosen variant, the reference backend's result, and how the two
 * are compared (exactly for integer results, within a stated tolerance for
 * float ones).
 */
import type { NativeVariant } from '../native.js';

export type ValidateLevel = 'quick' | 'full';

/** A result array of any element type the kernels write. */
export type Values = ArrayLike<number>;

/** How far got is from want, and where it first failed (null: within tolerance everywhere). */
export interface Comparison {
  worstAbs: number;
  worstRel: number;
  failedAt: number | null;
}

export interface KernelCheck<Case = unknown> {
  /** The row's name and what --only takes: the native family name where there is one. */
  family: string;
  /** Where run() computes: the CPU backend (default) or a WebGPU device. */
  backend?: 'cpu' | 'webgpu';
  /** The native family whose variants run this check (each one this CPU supports, by name), or null for one run. */
  variantsOf: string | null;
  /** The stated tolerance, as the table's footnote shows it. */
  tolerance: string;
  /** The same cases for the same seed on every machine; 'full' adds sizes. */
  cases(seed: number, level: ValidateLevel): Case[];
  /** The shape and options that reproduce a case, one line. */
  describe(c: Case): string;
  /** Whether a variant runs this case at all (some variants take a narrower input range). */
  accepts?(variant: NativeVariant, c: Case): boolean;
  run(c: Case, variant: string | undefined): Values | Promise<Values>;
  reference(c: Case): Values;
  compare(got: Values, want: Values, c: Case): Comparison;
}

/** Equal value for value: zeros of either sign equal, NaN equals NaN. */
export function exact(got: Values, want: Values): Comparison {
  return within(got, want, () => 0);
}

/** Equal bit for bit up to NaN payloads: zero signs told apart (gradients, activations). */
export function identical(got: Values, want: Values): Comparison {
  const result = exact(got, want);
  if (result.failedAt === null) result.failedAt = Array.prototype.findIndex.call(want, (w: number, i: number) => !Object.is(got[i], w)) as number;
  if (result.failedAt === -1) result.failedAt = null;
  return result;
}

/**
 * |got - want| <= bound(want) everywhere; a non-finite want must be met by
 * the same value (NaN by NaN, Inf by the same Inf).
 */
export function within(got: Values, want: Values, bound: (want: number) => number): Comparison {
  const result: Comparison = { worstAbs: 0, worstRel: 0, failedAt: got.length === want.length ? null : Math.min(got.length, want.length) };
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const g = got[i], w = want[i];
    const same = Number.isFinite(w) ? Math.abs(g - w) <= bound(w) : Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w));
    const abs = Number.isNaN(g) !== Number.isNaN(w) ? Infinity : Number.isFinite(w) ? Math.abs(g - w) : same ? 0 : Infinity;
    result.worstAbs = Math.max(result.worstAbs, abs);
    result.worstRel = Math.max(result.worstRel, abs === 0 ? 0 : abs / Math.max(Math.abs(w), Number.MIN_VALUE));
    if (!same && result.failedAt === null) result.failedAt = i;
  }
  return result;
}

/** The float tolerance of a K-term dot product of values in [-1, 1]: 1e-5 (1 + |want|) + K * 2e-7. */
export function dotTolerance(k: number): (want: number) => number {
  return (w) => 1e-5 * (1 + Math.abs(w)) + k * 2e-7;
}

/** A K-term dot product's tolerance as the table states it. */
export const DOT_TOLERANCE = '|err| <= 1e-5 (1 + |ref|) + K * 2e-7 (K terms of values in [-1, 1]: K * eps * max|a| * max|b| with margin)';
