/** loadPoint(): an autocannon result and the answers' latencies as one load point. */
import assert from 'node:assert/strict';

import type { Result } from 'autocannon';
import { failedRequests, loadPoint } from '../../../bench/serve/load.js';

const histogram = { average: 0, p50: 0, p99: 0, max: 0, total: 0 };
const result: Result = {
  requests: { ...histogram, p50: 950, total: 9600 },
  latency: { ...histogram, p50: 3, p99: 7 },
  duration: 10.02,
  errors: 3,
  timeouts: 1,
  non2xx: 5,
  statusCodeStats: { 200: { count: 9595 }, 503: { count: 5 } },
};

describe('bench/serve: loadPoint()', () => {
  it('median requests/s, latency percentiles of the 2xx answers, failures and statuses', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => (i + 1) / 10);
    const p = loadPoint(result, 16, latencies, { serverCores: 1.2, loadCores: 0.3 });
    assert.deepEqual(p, {
      connections: 16, durationS: 10.02, requests: 9600, requestsPerSecond: 950, latencyP50Ms: 5, latencyP99Ms: 9.9, non2xx: 5, errors: 3,
      statuses: { 200: 9595, 503: 5 }, serverCores: 1.2, loadCores: 0.3,
    });
    assert.equal(failedRequests(p), 8, 'timeouts are among the errors, not counted twice');
  });

  it('no 2xx answer: no latency', () => {
    const p = loadPoint(result, 1, [], { serverCores: 0, loadCores: 0 });
    assert.ok(Number.isNaN(p.latencyP50Ms) && Number.isNaN(p.latencyP99Ms));
  });
});
