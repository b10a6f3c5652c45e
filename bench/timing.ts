/**
 * Timing through benchmark.js, summarized as medians: this machine is shared
 * and noisy, so tables report p50 (and p99) of the samples, never the mean of
 * one run. Both sides of a comparison are run as deferred (promise) benchmarks,
 * so onnxruntime's async run() and sparq's sync calls pay the same harness cost.
 */
import Benchmark from 'benchmark';

export interface Timing {
  /** Seconds per call, one value per benchmark.js cycle. */
  samples: number[];
  p50: number;
  p99: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

export interface TimeOptions {
  /** Time budget for the samples, in milliseconds. */
  budgetMs?: number;
  minSamples?: number;
}

/** Times `fn` (sync or async) in seconds per call. */
export function timeIt(fn: () => unknown, { budgetMs = 1500, minSamples = 10 }: TimeOptions = {}): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark({
      defer: true,
      maxTime: budgetMs / 1000,
      minSamples,
      fn: (deferred: { resolve(): void }) => {
        Promise.resolve(fn()).then(() => deferred.resolve(), reject);
      },
      onComplete: () => resolve(summarize([...bench.stats.sample])),
      onError: () => reject((bench as unknown as { error: Error }).error),
    });
    bench.run({ async: true });
  });
}
