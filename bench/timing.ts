/** Time-boxed repeated timing with medians: this machine is shared and noisy. */
export interface Timing {
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
  /** Minimum number of timed runs. */
  minRuns?: number;
  /** Stop adding runs after this many milliseconds (once minRuns are done). */
  budgetMs?: number;
  warmup?: number;
}

/** Times `fn` (sync or async) in seconds per call. */
export async function timeIt(fn: () => unknown, options: TimeOptions = {}): Promise<Timing> {
  const { minRuns = 10, budgetMs = 1500, warmup = 2 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < budgetMs && samples.length < 10000)) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return summarize(samples);
}
