/**
 * A deliberately wrong variant, for the tests that prove validate catches a
 * broken kernel: the check's results with 1 added to their middle element
 * (a byte at 255 wraps to 0: wrong either way), far outside every float
 * tolerance and off by one for integers.
 */
import type { KernelCheck, Values } from './check.js';

export function withInjectedFault<Case>(check: KernelCheck<Case>): KernelCheck<Case> {
  return {
    ...check,
    async run(c, variant) {
      const got = await check.run(c, variant);
      if (got.length === 0) return got;
      const wrong = Array.from(got);
      wrong[got.length >> 1] += 1;
      return new (got.constructor as new (xs: ArrayLike<number>) => Values)(wrong);
    },
  };
}
