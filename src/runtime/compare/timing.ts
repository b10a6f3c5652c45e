/** compare()'s timing: p50/p99 latency and throughput of sparq and onnxruntime on the same threads. */
import type { Stats } from '../../benchmark/results.js';
import { timeCalls } from '../../benchmark/timing.js';
import { checkBoolean, checkInt, checkObject } from '../../validate.js';
import type { Feeds, InferenceSession } from '../session.js';
import { withBatch } from './feeds.js';
import { toOrt, type Ort, type OrtSession } from './ort.js';

export interface CompareTimingOptions {
  /** Time single-sample runs (default true). */
  batch1?: boolean;
  /** Batch of the throughput runs (default 64); 0 skips them. */
  batch?: number;
  /** Milliseconds of timed runs per runtime and measurement (default 500); at least 5 runs are timed. */
  budgetMs?: number;
}

/** Milliseconds per run (runs: the samples behind p50/p99). */
export type RunStats = Stats;

export interface ThroughputStats extends RunStats {
  /** Samples per second at the median run time. */
  perSec: number;
}

export interface Measurement<S extends RunStats> {
  /** The batch (first dim) of the feeds timed. */
  batch: number;
  sparq: S;
  ort: S;
  /** onnxruntime's median time over sparq's: above 1, sparq is faster. */
  speedup: number;
}

export interface CompareTiming {
  threads: number;
  /** Latency of single-sample runs (the given feeds' batch when the model fixes it; see notes); null when not asked for. */
  batch1: Measurement<RunStats> | null;
  /** Throughput at options.timing.batch; null when skipped (see notes). */
  throughput: Measurement<ThroughputStats> | null;
  /** Why a measurement was skipped or run at another batch. */
  notes: string[];
}

const DEFAULT_BATCH = 64;
const DEFAULT_BUDGET_MS = 500;
const MIN_RUNS = 5;

export function timingOptions(t: boolean | CompareTimingOptions): Required<CompareTimingOptions> | null {
  if (t === false) return null;
  if (t === true) return { batch1: true, batch: DEFAULT_BATCH, budgetMs: DEFAULT_BUDGET_MS };
  checkObject('options.timing', t);
  return {
    batch1: checkBoolean('options.timing.batch1', t.batch1 ?? true),
    batch: checkInt('options.timing.batch', t.batch ?? DEFAULT_BATCH, 0, 65536),
    budgetMs: checkInt('options.timing.budgetMs', t.budgetMs ?? DEFAULT_BUDGET_MS, 1, 600_000),
  };
}

export async function measure(ort: Ort, sparq: InferenceSession, reference: OrtSession, feeds: Feeds, threads: number, options: Required<CompareTimingOptions>): Promise<CompareTiming> {
  const notes: string[] = [];
  const both = async (f: Feeds) => {
    const ortFeeds = toOrt(ort, f);
    return { sparq: await timeCalls(() => sparq.run(f), { budgetMs: options.budgetMs, minRuns: MIN_RUNS }), ort: await timeCalls(() => reference.run(ortFeeds), { budgetMs: options.budgetMs, minRuns: MIN_RUNS }) };
  };
  const batchOf = (f: Feeds) => Object.values(f)[0]?.dims[0] ?? 1;
  let batch1: Measurement<RunStats> | null = null;
  if (options.batch1) {
    let single = withBatch(feeds, sparq.inputs, 1);
    if (typeof single === 'string') {
      notes.push(`latency at the feeds' batch: ${single}`);
      single = feeds;
    }
    const t = await both(single);
    batch1 = { batch: batchOf(single), ...t, speedup: t.ort.p50Ms / t.sparq.p50Ms };
  }
  let throughput: Measurement<ThroughputStats> | null = null;
  if (options.batch > 0) {
    const batched = withBatch(feeds, sparq.inputs, options.batch);
    if (typeof batched === 'string') notes.push(`no throughput at batch ${options.batch}: ${batched}`);
    else {
      const t = await both(batched);
      const perSec = (s: RunStats): ThroughputStats => ({ ...s, perSec: (options.batch * 1000) / s.p50Ms });
      throughput = { batch: options.batch, sparq: perSec(t.sparq), ort: perSec(t.ort), speedup: t.ort.p50Ms / t.sparq.p50Ms };
    }
  }
  return { threads, batch1, throughput, notes };
}
