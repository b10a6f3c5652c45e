/**
 * The random draws of the API fuzzer: one generator per call, seeded from
 * (run seed, call index), so any call is regenerated on its own from those
 * two numbers (a crash is replayed without rerunning the calls before it).
 */
import { mulberry32 } from '../../../src/random.js';

export class Draw {
  private readonly next: () => number;

  constructor(seed: number, index: number) {
    // Mixes the two so that neighbouring indices start far apart.
    this.next = mulberry32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }

  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** A small dimension: mostly 1..max, sometimes 0 (empty tensors are valid). */
  dim(max = 6): number {
    return this.chance(0.08) ? 0 : this.int(1, max);
  }
  /** Floats in [-2, 2], a quarter of them 0 (pruned weights, ReLU outputs). */
  floats(n: number): Float32Array {
    return Float32Array.from({ length: n }, () => (this.chance(0.25) ? 0 : Math.fround(this.next() * 4 - 2)));
  }
  ints<T extends Uint8Array | Int8Array | Int32Array>(ctor: new (n: number) => T, n: number, lo: number, hi: number): T {
    const out = new ctor(n);
    for (let i = 0; i < n; i++) out[i] = this.chance(0.2) ? 0 : this.int(lo, hi);
    return out;
  }
  /** A positive float32 scale between 2^-10 and 1. */
  scale(): number {
    return Math.fround(2 ** -(this.next() * 10));
  }
}
