/**
 * One load point: autocannon holds `connections` requests in flight (each
 * connection sends the next request when its answer arrives) for a fixed
 * time, and the point is summarized as the median of its per-second request
 * counts, latency percentiles, every kind of failure, and the cores the
 * server and the load generator each used (they share the machine).
 */
import autocannon, { type Result } from 'autocannon';

import { summarize } from '../../src/benchmark/timing.js';
import { checkInt } from '../../src/validate.js';
import { readCpuSeconds } from './proc.js';
import type { LoadRequest } from './requests.js';

/** A request not answered within this many seconds counts as failed (a timeout). */
const REQUEST_TIMEOUT_S = 30;

export interface LoadPoint {
  connections: number;
  durationS: number;
  /** Completed requests, whatever their status. */
  requests: number;
  /** Median of the per-second counts of completed requests. */
  requestsPerSecond: number;
  /** Of the 2xx answers, from autocannon's per-request times (its own histogram keeps whole milliseconds only). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Answers with a status outside 2xx (400s, 503s from a full queue, 500s). */
  non2xx: number;
  /** Connection errors and timeouts (timeouts are counted among the errors). */
  errors: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** CPU seconds per second the server process used (all its threads), and the load generator's process. */
  serverCores: number;
  loadCores: number;
}

/** The point from autocannon's result, the 2xx answers' latencies (ms) and the cores used. */
export function loadPoint(result: Result, connections: number, latenciesMs: number[], cores: { serverCores: number; loadCores: number }): LoadPoint {
  const latency = latenciesMs.length > 0 ? summarize(latenciesMs) : { p50Ms: NaN, p99Ms: NaN };
  return {
    connections,
    durationS: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.p50,
    latencyP50Ms: latency.p50Ms,
    latencyP99Ms: latency.p99Ms,
    non2xx: result.non2xx,
    errors: result.errors,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count])),
    ...cores,
  };
}

/** Requests that did not succeed: non-2xx answers, errors and timeouts. */
export function failedRequests(point: LoadPoint): number {
  return point.non2xx + point.errors;
}

/** Sends `request` to the server at `url` (process `serverPid`) from `connections` connections for `durationS` seconds. */
export async function runLoad(url: string, request: LoadRequest, { connections, durationS, serverPid }: { connections: number; durationS: number; serverPid: number }): Promise<LoadPoint> {
  checkInt('connections', connections, 1, 10_000);
  checkInt('durationS', durationS, 1, 24 * 3600);
  const latenciesMs: number[] = [];
  const serverCpuS = readCpuSeconds(serverPid);
  const ownCpu = process.cpuUsage();
  const start = performance.now();
  const instance = autocannon({
    url: new URL(request.path, url).href, method: 'POST', headers: request.headers, body: request.body, connections, duration: durationS, timeout: REQUEST_TIMEOUT_S,
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latenciesMs.push(ms);
  });
  const result = await instance;
  const wallS = (performance.now() - start) / 1000;
  const own = process.cpuUsage(ownCpu);
  return loadPoint(result, connections, latenciesMs, { serverCores: (readCpuSeconds(serverPid) - serverCpuS) / wallS, loadCores: (own.user + own.system) / 1e6 / wallS });
}

/** One request of `request` with fetch: throws with the server's answer unless it is 200, so a protocol mismatch stops the bench before a load point fills with 400s. */
export async function checkRequest(url: string, request: LoadRequest): Promise<void> {
  const response = await fetch(new URL(request.path, url), { method: 'POST', headers: request.headers, body: new Uint8Array(request.body) });
  if (response.status !== 200) throw new Error(`${request.protocol} POST ${request.path}: ${response.status} ${(await response.text()).slice(0, 300)}`);
}
