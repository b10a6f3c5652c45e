/**
 * A process's resident memory over time, and whether it grows: the soak
 * samples the server's VmRSS while it is under load and fits a line through
 * the samples taken after warm-up (arenas, caches and JIT fill up first).
 */
import { fail } from '../../src/validate.js';

export interface RssSample {
  /** Seconds since the load started. */
  atS: number;
  bytes: number;
}

export interface RssTrend {
  samples: number;
  firstBytes: number;
  lastBytes: number;
  maxBytes: number;
  /** The least-squares line's slope through the samples: bytes gained per minute. */
  bytesPerMinute: number;
}

/** First, last and largest of `samples` (in time order), and their slope; at least two samples at different times. */
export function rssTrend(samples: readonly RssSample[]): RssTrend {
  if (samples.length < 2) fail('samples', `must hold at least two samples to fit a slope, got ${samples.length}`);
  const n = samples.length;
  const meanT = samples.reduce((s, x) => s + x.atS, 0) / n;
  const meanB = samples.reduce((s, x) => s + x.bytes, 0) / n;
  const covariance = samples.reduce((s, x) => s + (x.atS - meanT) * (x.bytes - meanB), 0);
  const variance = samples.reduce((s, x) => s + (x.atS - meanT) ** 2, 0);
  if (variance === 0) fail('samples', 'must span some time: every sample has the same atS');
  return {
    samples: n,
    firstBytes: samples[0].bytes,
    lastBytes: samples[n - 1].bytes,
    maxBytes: Math.max(...samples.map((x) => x.bytes)),
    bytesPerMinute: (covariance / variance) * 60,
  };
}
