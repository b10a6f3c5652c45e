/**
 * The seeded generator behind everything sparq draws at random (compare()'s
 * feeds, the data loaders' shuffles and augmentation), so one seed gives the
 * same values on every machine and Node version.
 */

/**
 * mulberry32 (Tommy Ettinger): a 32-bit state advanced by 0x6D2B79F5 per
 * draw and mixed by two xorshift-multiply rounds into uniform values in
 * [0, 1) with 32 random bits each. Small and fast, and good enough for
 * shuffles and test data (it is not a cryptographic generator).
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
