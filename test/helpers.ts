/** Shared test utilities: a seeded RNG, random tensors, and exact/approximate array comparisons. */
import assert from 'node:assert/strict';

import { familyVariants, native, type NativeFamily } from '../src/native.js';

/** mulberry32: small, fast, seeded, so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInts<T extends Uint8Array | Int8Array | Int32Array>(ctor: new (n: number) => T, n: number, lo: number, hi: number, r: () => number): T {
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(r() * (hi - lo + 1));
  return out;
}

export function randomFloats(n: number, r: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** Exact equality, reporting the first differing index. */
export function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0))
      assert.fail(`${what}: index ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** |actual - expected| <= atol + rtol * |expected| everywhere. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i], a = actual[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      assert.fail(`${what}: index ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * assertClose where expected may hold Inf or NaN: those positions must hold
 * the same value (NaN where NaN, Infinity of the same sign), the finite ones
 * be within tolerance (sparse against dense results on inputs with Inf/NaN).
 */
export function assertCloseNonfinite(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i], a = actual[i];
    const same = Number.isFinite(e) ? Math.abs(a - e) <= atol + rtol * Math.abs(e) : Object.is(a, e);
    if (!same) assert.fail(`${what}: index ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Max |a - b| relative to max |b|. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / Math.max(scale, 1e-30);
}

/** Native variant names of a family, best first, that this CPU runs. Fails when the addon is missing: tests must not silently skip native code. */
export function nativeVariants(family: NativeFamily): string[] {
  const addon = native();
  assert.ok(addon, 'the native addon must be built for these tests (npm run build:native)');
  return familyVariants(addon, family).filter((v) => v.supported).map((v) => v.name);
}
