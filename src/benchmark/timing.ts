/**
 * Repeated runs summarized as p50 and p99 milliseconds per call. Medians,
 * not means: machines that run benchmarks are often shared and noisy.
 * Calls far shorter than a millisecond are timed in groups (each sample is
 * a group's mean), so the clock's resolution and the loop's own cost do
 * not swamp a microsecond kernel; p99 is then the slowest group's mean.
 */
import type { Stats } from './results.js';

export interface TimeOptions {
  /** Milliseconds of timed runs (after one untimed warm-up call). */
  budgetMs: number;
  /** Samples taken however long they take (default 5). */
  minRuns?: number;
}

/** A sample lasts at least this long: calls shorter than it are grouped. */
const SAMPLE_MS = 0.5;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** p50/p99 of per-call milliseconds. */
export function summarize(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), runs: sorted.length };
}

/** Times `fn` (sync, or async when it returns a promise): milliseconds per call. */
export async function timeCalls(fn: () => unknown, { budgetMs, minRuns = 5 }: TimeOptions): Promise<Stats> {
  let start = performance.now();
  await fn();
  const group = Math.max(1, Math.floor(SAMPLE_MS / Math.max(performance.now() - start, 1e-4)));
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < minRuns || performance.now() < end) {
    start = performance.now();
    for (let i = 0; i < group; i++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
    samples.push((performance.now() - start) / group);
  }
  return summarize(samples);
}
