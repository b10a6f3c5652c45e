/** The batch counters read from the server's Prometheus text. */
import assert from 'node:assert/strict';

import { batchCounters, batchStats } from '../../../bench/serve/batch-metrics.js';

const text = (rows: number, count: number, seconds: number) => `# HELP sparq_batch_size Rows (axis-0 entries) per batch run
# TYPE sparq_batch_size histogram
sparq_batch_size_bucket{le="64",model="cifar-fp32"} ${count}
sparq_batch_size_sum{model="cifar-fp32"} ${rows}
sparq_batch_size_count{model="cifar-fp32"} ${count}
sparq_batch_size_sum{model="other"} 999
sparq_batch_size_count{model="other"} 1
sparq_inference_duration_seconds_sum{model="cifar-fp32"} ${seconds}
sparq_inference_duration_seconds_count{model="cifar-fp32"} ${count}
`;

describe('bench/serve: batch counters', () => {
  it("reads the model's sums and counts, not another model's", () => {
    assert.deepEqual(batchCounters(text(120, 10, 0.05), 'cifar-fp32'), { rows: 120, batches: 10, inferenceSeconds: 0.05 });
  });

  it('a model that has not run has no samples yet: zeros', () => {
    assert.deepEqual(batchCounters(text(1, 1, 1), 'cifar-int8-blocks'), { rows: 0, batches: 0, inferenceSeconds: 0 });
  });

  it('mean rows and ms per batch between two readings; NaN when no batch ran', () => {
    const stats = batchStats(batchCounters(text(120, 10, 0.05), 'cifar-fp32'), batchCounters(text(920, 60, 0.15), 'cifar-fp32'));
    assert.equal(stats.meanRows, 16);
    assert.ok(Math.abs(stats.meanMs - 2) < 1e-9);
    const none = batchStats({ rows: 5, batches: 1, inferenceSeconds: 1 }, { rows: 5, batches: 1, inferenceSeconds: 1 });
    assert.ok(Number.isNaN(none.meanRows) && Number.isNaN(none.meanMs));
  });

  it('refuses a sample that is not a number', () => {
    assert.throws(() => batchCounters('sparq_batch_size_sum{model="m"} abc\n', 'm'), /RangeError: text has a sparq_batch_size_sum sample that is not a number/);
  });
});
