/**
 * The serving benches' results as markdown: the machine, each load point
 * (with sparq's throughput over onnxruntime's behind the same server at the
 * same point), the in-process ceiling, and issue 17's targets checked
 * against them. The targets are reported, pass or fail, never enforced: a
 * 2-core machine that also runs the load generator may miss them honestly.
 */
import { markdownTable } from '../../src/compress/report/format.js';
import type { MachineInfo } from '../../src/machine-info.js';
import type { BatchStats } from './batch-metrics.js';
import type { InProcessThroughput } from './in-process.js';
import { failedRequests, type LoadPoint } from './load.js';
import type { Protocol } from './requests.js';
import type { RssTrend } from './rss.js';
import type { Runtime } from './server-process.js';

/** The throughput target: served images/s over in-process batch-64 images/s at concurrency 64 with batching. */
export const THROUGHPUT_TARGET = 0.8;
/** The concurrency the targets are checked at. */
export const TARGET_CONCURRENCY = 64;

export interface ServedPoint extends LoadPoint {
  /** How the server batched the point's requests. */
  batch: BatchStats;
  /** The model's form ('fp32', 'int8 90% blocks'). */
  model: string;
  runtime: Runtime;
  protocol: Protocol;
  /** The server's --max-batch (1: batching off) and --max-delay-ms. */
  maxBatch: number;
  maxDelayMs: number;
}

export interface InProcessRow extends InProcessThroughput {
  model: string;
  runtime: Runtime;
}

export interface TargetCheck {
  model: string;
  runtime: Runtime;
  servedPerSecond: number;
  inProcessPerSecond: number;
  /** servedPerSecond / inProcessPerSecond. */
  ratio: number;
  throughputPasses: boolean;
  failed: number;
  p99Ms: number;
  /** 2 x the batching delay + one batch's in-process run time. */
  p99BoundMs: number;
  latencyPasses: boolean;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const batching = (p: ServedPoint) => (p.maxBatch > 1 ? `${p.maxBatch} / ${p.maxDelayMs} ms` : 'off');
const cores = (p: LoadPoint) => `${fixed(p.serverCores, 2)} / ${fixed(p.loadCores, 2)}`;
/**
 * Rows and ms per batch, and the batches in the engine on average (Little's law: batches/s x s per batch);
 * near 1 or above, the engine is the bottleneck; well below, the HTTP side is.
 */
const batches = (p: ServedPoint) => [fixed(p.batch.meanRows, 1), fixed(p.batch.meanMs, 2), fixed((p.requestsPerSecond / p.batch.meanRows) * (p.batch.meanMs / 1000), 2)];
const BATCH_COLUMNS = ['rows / batch', 'ms / batch', 'batches in engine'];
const passFail = (ok: boolean) => (ok ? 'pass' : '**fail**');

/** One line naming the CPU, its ISA, the threads, and who shares the cores. */
export function machineLine(machine: MachineInfo, threads: number): string {
  const { model, cores, isa } = machine.cpu;
  return `${model}, ${cores} cores, ISA ${isa}; server --threads ${threads}; onnxruntime-node ${machine.onnxruntime ?? 'absent'}; Node ${machine.node}. `
    + 'The load generator (autocannon) runs on the same machine and shares its cores with the server.';
}

/** The point of the same model, protocol, batching and concurrency on the other runtime. */
function counterpart(points: readonly ServedPoint[], p: ServedPoint, runtime: Runtime): ServedPoint | undefined {
  return points.find((o) => o.runtime === runtime && o.model === p.model && o.protocol === p.protocol && o.maxBatch === p.maxBatch
    && o.maxDelayMs === p.maxDelayMs && o.connections === p.connections);
}

/** Every load point; sparq's rows carry their throughput over onnxruntime's at the same point. */
export function loadTable(points: readonly ServedPoint[]): string {
  const rows = points.map((p) => {
    const ort = p.runtime === 'sparq' ? counterpart(points, p, 'onnxruntime') : undefined;
    return [p.model, p.runtime, p.protocol, batching(p), String(p.connections), fixed(p.requestsPerSecond, 0),
      ort ? `${fixed(p.requestsPerSecond / ort.requestsPerSecond, 2)}x` : '', fixed(p.latencyP50Ms, 2), fixed(p.latencyP99Ms, 2), String(p.non2xx), String(p.errors), ...batches(p), cores(p)];
  });
  return markdownTable(['model', 'runtime', 'protocol', 'batching (max / delay)', 'concurrency', 'req/s (median)', 'sparq / ort', 'p50 ms', 'p99 ms', 'non-2xx', 'errors',
    ...BATCH_COLUMNS, 'cores: server / load gen'], rows);
}

export function inProcessTable(rows: readonly InProcessRow[]): string {
  return markdownTable(['model', 'runtime', 'batch', 'ms per batch (median)', 'images/s', 'sparq / ort'],
    rows.map((r) => {
      const ort = r.runtime === 'sparq' ? rows.find((o) => o.runtime === 'onnxruntime' && o.model === r.model && o.batch === r.batch) : undefined;
      return [r.model, r.runtime, String(r.batch), fixed(r.batchMs, 2), fixed(r.imagesPerSecond, 0), ort ? `${fixed(r.imagesPerSecond / ort.imagesPerSecond, 2)}x` : ''];
    }));
}

/** Issue 17's targets for each model and runtime with an in-process figure and a batched point at TARGET_CONCURRENCY. */
export function targetChecks(points: readonly ServedPoint[], inProcess: readonly InProcessRow[]): TargetCheck[] {
  return inProcess.flatMap((base) => {
    const p = points.find((o) => o.model === base.model && o.runtime === base.runtime && o.protocol === 'v2-binary' && o.maxBatch > 1 && o.connections === TARGET_CONCURRENCY);
    if (!p) return [];
    const ratio = p.requestsPerSecond / base.imagesPerSecond;
    const p99BoundMs = 2 * p.maxDelayMs + base.batchMs;
    const failed = failedRequests(p);
    return [{
      model: base.model, runtime: base.runtime, servedPerSecond: p.requestsPerSecond, inProcessPerSecond: base.imagesPerSecond, ratio,
      throughputPasses: ratio >= THROUGHPUT_TARGET && failed === 0, failed, p99Ms: p.latencyP99Ms, p99BoundMs, latencyPasses: p.latencyP99Ms <= p99BoundMs,
    }];
  });
}

export function targetTable(checks: readonly TargetCheck[]): string {
  return markdownTable(
    ['model', 'runtime', `served req/s (c${TARGET_CONCURRENCY}, batching)`, 'in-process images/s (batch 64)', `ratio (target >= ${THROUGHPUT_TARGET})`, 'failed', 'throughput',
      'p99 ms', 'bound ms (2 x delay + batch)', 'latency'],
    checks.map((c) => [c.model, c.runtime, fixed(c.servedPerSecond, 0), fixed(c.inProcessPerSecond, 0), fixed(c.ratio, 2), String(c.failed), passFail(c.throughputPasses),
      fixed(c.p99Ms, 2), fixed(c.p99BoundMs, 2), passFail(c.latencyPasses)]),
  );
}

export interface SoakResult extends ServedPoint {
  minutes: number;
  /** Seconds of load before the memory trend starts. */
  warmupS: number;
  /** The server's RSS after warm-up. */
  rss: RssTrend;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export function soakTable(r: SoakResult): string {
  return markdownTable(
    ['model', 'runtime', 'batching (max / delay)', 'concurrency', 'minutes', 'requests', 'req/s (median)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors',
      ...BATCH_COLUMNS, 'cores: server / load gen', 'RSS first / last / max MiB', 'RSS slope MiB/min'],
    [[r.model, r.runtime, batching(r), String(r.connections), String(r.minutes), String(r.requests), fixed(r.requestsPerSecond, 0), fixed(r.latencyP50Ms, 2),
      fixed(r.latencyP99Ms, 2), String(r.non2xx), String(r.errors), ...batches(r), cores(r), `${mib(r.rss.firstBytes)} / ${mib(r.rss.lastBytes)} / ${mib(r.rss.maxBytes)}`,
      (r.rss.bytesPerMinute / 2 ** 20).toFixed(2)]],
  );
}
