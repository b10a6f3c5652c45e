/**
 * The suite from code, through the package's entry point as an app imports
 * it: validateKernels, runBench, compareResults and renderReport (which
 * loads Vega on its first call), and machineInfo.
 */
import assert from 'node:assert/strict';

import * as sparq from '../../src/index.js';

describe('benchmark: the package entry point', function () {
  this.timeout(120_000);

  it('validates, benchmarks, compares and reports from code as the commands do', async () => {
    const validation = await sparq.validateKernels({ level: 'quick', only: ['f32-qx8-quantize'] });
    assert.ok(validation.ok);
    const results = await sparq.runBench({ quick: true, only: ['quantize'], backends: ['cpu'], threads: [1], budgetMs: 5 });
    assert.equal(results.format, 'sparq-bench');
    assert.deepEqual(results.machine.cpu, (await sparq.machineInfo()).cpu);
    const comparison = sparq.compareResults(results, results);
    assert.ok(comparison.kernels.length > 0 && comparison.kernels.every((k) => k.rate.ratio === 1));
    assert.throws(() => sparq.parseBenchResults('{}', 'x.json'), sparq.BenchFileError);
    const html = await sparq.renderReport(results);
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /<svg/);
    await assert.rejects(sparq.renderReport({} as sparq.BenchResults), TypeError);
  });
});
