/**
 * The libFuzzer harnesses of the C++ kernels (test/fuzz/native): built with
 * clang, ASan and UBSan into build-fuzz/ (kept between runs), each replays
 * its committed regressions and then fuzzes a fixed number of inputs at a
 * fixed seed, failing on any crash, sanitizer finding, mismatch with the
 * scalar variant or hang. Without clang the test skips, unless
 * SPARQ_REQUIRE_FUZZ=1 (CI) makes it fail. Long runs: npm run fuzz:native.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildHarnesses, fuzz, harnessNames, missingTools, regressionFiles, replay, root } from './native/libfuzzer.js';

// Inputs per harness in CI: about 30 s for all six here once built (qu8s8-gemm,
// the slowest, runs ~100 inputs/s under ASan). SPARQ_FUZZ_RUNS sets another count.
const RUNS = Number(process.env.SPARQ_FUZZ_RUNS ?? 2000);
const SEED = 1;

describe('kernel fuzz harnesses (libFuzzer, ASan + UBSan)', function () {
  let binaries = new Map<string, string>();
  let scratch = '';

  before(function () {
    this.timeout(1_800_000);
    const missing = missingTools();
    if (missing.length > 0) {
      if (process.env.SPARQ_REQUIRE_FUZZ === '1')
        assert.fail(`SPARQ_REQUIRE_FUZZ=1 but ${missing.join(', ')} not found (apt-get install clang-14 libclang-rt-14-dev llvm-14 cmake)`);
      this.skip();
    }
    binaries = buildHarnesses(join(root, 'build-fuzz'));
    scratch = mkdtempSync(join(tmpdir(), 'sparq-fuzz-'));
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  for (const name of harnessNames()) {
    it(`${name}: the committed regressions and ${RUNS} inputs at seed ${SEED}, no finding`, function () {
      this.timeout(900_000);
      replay(binaries.get(name)!, regressionFiles(name));
      const run = fuzz(name, binaries.get(name)!, { seed: SEED, runs: RUNS, artifactDir: join(scratch, name), inputTimeoutS: 60 });
      assert.equal(run.crashes + run.hangs, 0, `${name} found ${run.crashes} crash(es), ${run.hangs} hang(s):\n${run.output}`);
      assert.ok(run.executions >= RUNS, `${name} ran ${run.executions} of ${RUNS} inputs:\n${run.output}`);
    });
  }
});
