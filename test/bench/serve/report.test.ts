/** The serving benches' tables and issue 17's target checks. */
import assert from 'node:assert/strict';

import type { LoadPoint } from '../../../bench/serve/load.js';
import { inProcessTable, loadTable, targetChecks, type InProcessRow, type ServedPoint } from '../../../bench/serve/report.js';

function point(overrides: Partial<ServedPoint>): ServedPoint {
  const load: LoadPoint = {
    connections: 64, durationS: 10, requests: 1000, requestsPerSecond: 100, latencyP50Ms: 5, latencyP99Ms: 9, non2xx: 0, errors: 0, statuses: { 200: 1000 }, serverCores: 1.5, loadCores: 0.25,
  };
  return { ...load, model: 'fp32', runtime: 'sparq', protocol: 'v2-binary', maxBatch: 64, maxDelayMs: 2, batch: { meanRows: 16, meanMs: 40 }, ...overrides };
}

const inProcess: InProcessRow[] = [
  { model: 'fp32', runtime: 'sparq', batch: 64, batchMs: 4, imagesPerSecond: 1000 },
  { model: 'fp32', runtime: 'onnxruntime', batch: 64, batchMs: 8, imagesPerSecond: 500 },
];

describe('bench/serve: targetChecks()', () => {
  it('served c64 batched v2-binary throughput over in-process batch-64, failures, and p99 against 2 x delay + one batch', () => {
    const points = [
      point({ requestsPerSecond: 850, latencyP99Ms: 8 }),
      point({ runtime: 'onnxruntime', requestsPerSecond: 350, latencyP99Ms: 12.5, non2xx: 1 }),
      // Not the target's point: another concurrency, batching off, another protocol.
      point({ connections: 16, requestsPerSecond: 5000 }),
      point({ maxBatch: 1, maxDelayMs: 0, requestsPerSecond: 5000 }),
      point({ protocol: 'v2-json', requestsPerSecond: 5000 }),
    ];
    const [sparq, ort] = targetChecks(points, inProcess);
    assert.deepEqual(sparq, {
      model: 'fp32', runtime: 'sparq', servedPerSecond: 850, inProcessPerSecond: 1000, ratio: 0.85, throughputPasses: true, failed: 0, p99Ms: 8, p99BoundMs: 8, latencyPasses: true,
    });
    assert.equal(ort.ratio, 0.7);
    assert.equal(ort.throughputPasses, false);
    assert.equal(ort.failed, 1);
    assert.equal(ort.p99BoundMs, 12);
    assert.equal(ort.latencyPasses, false);
  });

  it('a failed request fails the throughput target whatever the ratio', () => {
    const [check] = targetChecks([point({ requestsPerSecond: 2000, errors: 2 })], inProcess.slice(0, 1));
    assert.equal(check.ratio, 2);
    assert.equal(check.failed, 2);
    assert.equal(check.throughputPasses, false);
  });

  it('no check without a batched point at concurrency 64', () => {
    assert.deepEqual(targetChecks([point({ connections: 16 })], inProcess), []);
  });
});

describe('bench/serve: tables', () => {
  it("sparq's load rows carry their throughput over onnxruntime's at the same point, and the batches in the engine", () => {
    // 300 req/s in batches of 16 rows taking 40 ms each: 18.75 batches/s x 40 ms = 0.75 batches in the engine on average.
    const rows = loadTable([point({ requestsPerSecond: 300 }), point({ runtime: 'onnxruntime', requestsPerSecond: 200 }), point({ maxBatch: 1, requestsPerSecond: 100 })]).split('\n');
    assert.equal(rows.length, 5);
    assert.match(rows[2], /^\| fp32 \| sparq \| v2-binary \| 64 \/ 2 ms \| 64 \| 300 \| 1\.50x \| 5\.00 \| 9\.00 \| 0 \| 0 \| 16\.0 \| 40\.00 \| 0\.75 \| 1\.50 \/ 0\.25 \|$/);
    assert.match(rows[3], /\| onnxruntime \| .* \| 200 \| {2}\|/);
    assert.match(rows[4], /\| off \| 64 \| 100 \| {2}\|/, 'batching off has no onnxruntime counterpart here');
  });

  it("the in-process rows carry sparq's images/s over onnxruntime's", () => {
    const rows = inProcessTable(inProcess).split('\n');
    assert.equal(rows[2], '| fp32 | sparq | 64 | 4.00 | 1000 | 2.00x |');
    assert.equal(rows[3], '| fp32 | onnxruntime | 64 | 8.00 | 500 |  |');
  });
});
