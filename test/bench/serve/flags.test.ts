/** The serving benches' shared flags: --max-delay-ms's non-negative integers and --out's JSON file. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { FlagError } from '../../../src/cli/conventions.js';
import { nonNegativeInt, outFlag, writeJson } from '../../../bench/serve/flags.js';

describe('bench/serve: flags', () => {
  it('nonNegativeInt takes 0, falls back when absent, refuses the rest naming the flag', () => {
    assert.equal(nonNegativeInt('max-delay-ms', '0', 2), 0);
    assert.equal(nonNegativeInt('max-delay-ms', undefined, 2), 2);
    for (const bad of ['-1', '1.5', '', 'x', '99999999999999999999']) {
      assert.throws(() => nonNegativeInt('max-delay-ms', bad, 2), (e: Error) => e instanceof FlagError && e.message === `--max-delay-ms must be a non-negative integer, got ${bad}`);
    }
  });

  it('--out writes the JSON into its file, folders made; an empty name is refused before the run', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sparq-serve-flags-'));
    try {
      const file = path.join(dir, 'a', 'b', 'serve.json');
      writeJson({ points: [1, 2] }, { out: outFlag(file), json: false });
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { points: [1, 2] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => outFlag(''), FlagError);
  });
});
