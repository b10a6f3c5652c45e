/**
 * The trainer's randomness: one small deterministic generator (mulberry32)
 * for weight init, dropout masks and shuffles, so the same seed gives the
 * same bits on every machine and Node version (Math.random() is neither
 * seedable nor specified), and the He/Glorot uniform initializers on it.
 */
import { checkInt } from '../../validate.js';

export class Random {
  private state: number;

  /** @param seed an integer in [0, 2^32) */
  constructor(seed: number) {
    this.state = checkInt('seed', seed, 0, 2 ** 32 - 1);
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `count` floats uniform in [-limit, limit). */
  uniform(count: number, limit: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (this.next() * 2 - 1) * limit;
    return out;
  }
}

/** A 32-bit FNV-1a hash of `text`: a layer's default seed from its name, so two layers of one network start apart. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How a layer's weights start: He uniform (for layers followed by ReLU, the default) or Glorot uniform. */
export type Init = 'he' | 'glorot';

/**
 * `count` weights uniform in [-limit, limit): He limit sqrt(6 / fanIn)
 * (keeps a ReLU layer's output variance), Glorot sqrt(6 / (fanIn + fanOut)).
 */
export function initWeights(init: Init, count: number, fanIn: number, fanOut: number, random: Random): Float32Array {
  const limit = init === 'he' ? Math.sqrt(6 / Math.max(fanIn, 1)) : Math.sqrt(6 / Math.max(fanIn + fanOut, 1));
  return random.uniform(count, limit);
}

