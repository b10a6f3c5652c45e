/**
 * The ONNX mutation fuzzer (test/fuzz/onnx/) at a fixed seed: every mutant
 * of the seed models ends in a documented error or in outputs the
 * reference backend agrees with, with no crash, hang or runaway memory.
 * Then every model a past run found a defect with, committed under
 * test/fuzz/onnx/regressions/, gets the outcome its fix gives it. Long
 * runs: npm run fuzz:onnx -- --minutes N [--seed S].
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { fuzzOnnx } from './onnx/driver.js';

const REGRESSIONS = new URL('./onnx/regressions/', import.meta.url);
const CHILD = new URL(`./onnx/regression-child${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

/** Each committed finding, what it did before its fix, and the clean error the fix gives. */
const EXPECTED: Record<string, { was: string; error: string; message: RegExp }> = {
  'range-start-minus-2e53.onnx': { was: 'a V8 fatal error (crash): Range pushed its 2^53 values into a JS array', error: 'LimitError', message: /Range\(-9007199254740992, 4, 1\), 9007199254740996 values, needs .* over the maxTensorBytes limit/ },
  'constant-of-shape-2e53.onnx': { was: 'TypeError "Invalid typed array length" out of ConstantOfShape', error: 'LimitError', message: /ConstantOfShape.*value \[9007199254740991,16\] needs .* over the maxTensorBytes limit/ },
  'two-producers.onnx': { was: 'ran on one backend and failed on the other: two nodes wrote "logits_5"', error: 'ModelError', message: /values produced more than once: "logits_5"/ },
};

describe('ONNX mutation fuzzer', () => {
  it('runs 5000 mutants at seed 1 with only clean errors and outputs the reference backend agrees with', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-onnx-fuzz-'));
    const summary = await fuzzOnnx({ seed: 1, mutants: 5000, outDir });
    const report = JSON.stringify(summary.findings, null, 2);
    assert.deepEqual(summary.findings, [], `findings (mutants saved under ${outDir}): ${report}`);
    assert.equal(summary.mutants, 5000);
    // The run reached every stage: mutants the loader refuses, the graph checks refuse, and ones that run and are checked.
    assert.ok(summary.rejected.OnnxLoadError > 100 && summary.rejected.ModelError > 100, JSON.stringify(summary.rejected));
    assert.ok(summary.checked > 500, `${summary.checked} runs checked against the reference backend`);
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('has an expected outcome for every committed regression', () => {
    assert.deepEqual(fs.readdirSync(REGRESSIONS).sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, { was, error, message }] of Object.entries(EXPECTED))
    it(`regression ${file} (was ${was}) is refused with a ${error}`, () => {
      const out = execFileSync(process.execPath, [...process.execArgv, CHILD.pathname, new URL(file, REGRESSIONS).pathname], { encoding: 'utf8', timeout: 60_000 });
      const outcome = JSON.parse(out.trim().split('\n').at(-1)!) as { kind: string; error?: string; message?: string };
      assert.equal(outcome.kind, 'rejected', out);
      assert.equal(outcome.error, error, out);
      assert.match(outcome.message ?? '', message);
    });
});
