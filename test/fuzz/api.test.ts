/**
 * The API fuzzer (test/fuzz/api/) at a fixed seed: CALLS random and mutated
 * calls to the public CPU API in a supervised child process, with no finding
 * (a crash, a hang, runaway memory, an error other than a TypeError/RangeError
 * naming an argument, a valid call refused or answered differently from the
 * reference). Long runs: npm run fuzz:api -- --minutes N [--seed S].
 * Also checks that the supervisor catches and pins what it is there to catch.
 */
import assert from 'node:assert/strict';

import { fuzzApi, type Summary } from './api/supervisor.js';

const SEED = 1;
const CALLS = 150_000;

function describeFindings(s: Summary): string {
  return s.findings.map((f) => `${f.kind} at call ${f.index}: ${f.what}: ${f.message}\n  ${f.source.slice(0, 600)}\n  replay: ${f.replay}`).join('\n');
}

describe('API fuzzer', function () {
  this.timeout(600_000);

  it(`makes ${CALLS} calls at seed ${SEED} with no finding, valid ones equal to the reference`, async () => {
    const s = await fuzzApi({ seed: SEED, calls: CALLS });
    assert.equal(s.findings.length, 0, describeFindings(s));
    assert.equal(s.calls, CALLS);
    // Both halves of the oracle ran: results compared, invalid calls refused.
    assert.ok(s.checked > CALLS / 4 && s.rejected > CALLS / 4, JSON.stringify(s));
  });

  for (const kind of ['crash', 'hang', 'memory'] as const)
    it(`pins a ${kind} on the call that caused it and goes on after it`, async () => {
      const s = await fuzzApi({ seed: SEED, calls: 400, hangMs: 3000, maxRssBytes: 450 * 2 ** 20, sabotage: { index: 300, kind } });
      assert.deepEqual(s.findings.map((f) => [f.kind, f.index]), [[kind, 300]], describeFindings(s));
      assert.equal(s.calls, 400);
      assert.match(s.findings[0].replay, /^npm run fuzz:api -- --seed 1 --replay 300$/);
    });
});
