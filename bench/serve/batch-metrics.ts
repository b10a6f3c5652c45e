/**
 * How the server batched a load point, from its Prometheus counters
 * (GET /metrics) read before and after: the mean rows per batch and the mean
 * time a batch took in the engine. With the throughput they say where a
 * server's time goes: rows/s over rows per batch x ms per batch is the share
 * of the time the engine was busy, and the rest is HTTP, parsing and waiting.
 */
import { fail } from '../../src/validate.js';

export interface BatchCounters {
  rows: number;
  batches: number;
  inferenceSeconds: number;
}

export interface BatchStats {
  /** Mean rows per batch run over the point. */
  meanRows: number;
  /** Mean milliseconds per batch run (the hand-off to the engine worker included). */
  meanMs: number;
}

/** The value of `metric` with label model="`model`" in Prometheus text; 0 when the model has not run yet (no sample). */
function sample(text: string, metric: string, model: string): number {
  const labels = `model="${model.replace(/["\\]/g, '\\$&')}"`;
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels));
  if (line === undefined) return 0;
  const value = Number(line.slice(line.lastIndexOf(' ') + 1));
  if (!Number.isFinite(value)) fail('text', `has a ${metric} sample that is not a number: ${line}`);
  return value;
}

/** `model`'s batch counters in the server's /metrics text. */
export function batchCounters(text: string, model: string): BatchCounters {
  if (typeof text !== 'string') throw new TypeError('text must be the Prometheus text of /metrics');
  return {
    rows: sample(text, 'sparq_batch_size_sum', model),
    batches: sample(text, 'sparq_batch_size_count', model),
    inferenceSeconds: sample(text, 'sparq_inference_duration_seconds_sum', model),
  };
}

/** The batches run between two readings; NaN when none ran. */
export function batchStats(before: BatchCounters, after: BatchCounters): BatchStats {
  const batches = after.batches - before.batches;
  return { meanRows: (after.rows - before.rows) / batches, meanMs: ((after.inferenceSeconds - before.inferenceSeconds) * 1000) / batches };
}

export async function readBatchCounters(url: string, model: string): Promise<BatchCounters> {
  const response = await fetch(new URL('/metrics', url));
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  return batchCounters(await response.text(), model);
}

/** Runs `load` and adds how the server batched `model`'s requests meanwhile. */
export async function withBatchStats<T extends object>(url: string, model: string, load: () => Promise<T>): Promise<T & { batch: BatchStats }> {
  const before = await readBatchCounters(url, model);
  const result = await load();
  return { ...result, batch: batchStats(before, await readBatchCounters(url, model)) };
}
