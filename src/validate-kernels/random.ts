/** Seeded inputs for the kernel checks (mulberry32, so one seed gives the same cases everywhere). */
export { mulberry32 } from '../random.js';

export type Random = () => number;

export function floats(n: number, r: Random, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export function ints<T extends Uint8Array | Int8Array | Int32Array>(ctor: new (n: number) => T, n: number, lo: number, hi: number, r: Random): T {
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(r() * (hi - lo + 1));
  return out;
}

/** One of xs. */
export function pick<T>(xs: readonly T[], r: Random): T {
  return xs[Math.floor(r() * xs.length)];
}

/**
 * Sizes that walk the kernels' tile edges (1, below, at and above the 4, 8,
 * 16 and 32 wide tiles and vectors, primes); 'full' adds large ones.
 */
export const EDGE_SIZES = [1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64];
export const LARGE_SIZES = [127, 255, 1000];
