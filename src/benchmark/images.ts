/** Seeded stand-ins for images where no dataset is at hand: the same pixels on every machine, so runs compare. */
import { mulberry32 } from '../random.js';

/** `n` NCHW images of [c, h, w] with pixels uniform in [0, 1) (the examples' inputs are pixels / 255). */
export function seededImages(n: number, [c, h, w]: readonly [number, number, number], seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n * c * h * w }, random);
}
