/**
 * Size limits (validate.ts): no call loops over, or allocates for, a
 * dimension that only its dims describe. Each case runs in a child process
 * (test/fixtures/huge-dims.ts) with a time limit, since a synchronous call
 * stuck in such a loop would never give the test back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What each call must do, quickly. */
const EXPECTED: Record<string, RegExp> = {
  'packWeights [0, 2^53-1]': /^RangeError: b\.dims\[1\] must be a non-negative integer <= 2\^31 - 1, got 9007199254740991$/,
  'transpose [2^53-1, 0]': /^RangeError: x\.dims\[0\] must be a non-negative integer <= 2\^31 - 1/,
  'gemm b [0, 2^53-1]': /^RangeError: b\.dims\[1\] must be a non-negative integer <= 2\^31 - 1/,
  'im2col [2^31, 0, 2^16, 2^16]': /^RangeError: x\.dims\[0\] must be a non-negative integer <= 2\^31 - 1, got 2147483648$/,
  'int8 packWeights [0, 2^28]': /^returned$/,
  'int8 packWeights [0, 2^31-1]': /^returned$/,
  'qgemm K mismatch before packing b': /^RangeError: b has K = 4 rows but a has K = 3 columns$/,
  'gemm K mismatch before packing b': /^RangeError: b has K = 4 rows but a has K = 3 columns$/,
  'dims spanning more than 2^32 - 1': /^RangeError: x\.dims \[2147483647, 0, 3\] span 6442450941 elements with zero dimensions counted as 1, more than 2\^32 - 1$/,
  'a result of more than 2^32 - 1': /^RangeError: result \[65536, 65537\] would hold 4295032832 elements, more than 2\^32 - 1$/,
  'int8 weights packing into more than 16 GiB': /^RangeError: b \[1, 2147483647\] would pack into \d+ bytes, more than 2\^34 \(16 GiB\)$/,
  'im2col [2^31-1, 0, 1, 1]': /^returned$/,
  'gemm [2^31-1, 0] x [0, 0]': /^returned$/,
  'qgemm [0, 0] x int8 [0, 2^28]': /^returned$/,
  'transposeAsync [2^31-1, 0]': /^returned$/,
  'addon transpose, rows 2^53-1': /^RangeError: rows must be in \[0, 4294967295\]$/,
  'addon transpose, rows 2^32-1': /^returned$/,
  'addon im2col, batch 2^32-1': /^returned$/,
  'addon im2col, groups 2^32-1': /^returned$/,
  'addon maxPool, planes 2^32-1': /^returned$/,
  'addon quantize, outer 2^32-1': /^returned$/,
  'addon minmax, outer 2^32-1': /^returned$/,
  'addon packF32Weights [0, 2^32-1]': /^RangeError: k and n must be >= 1$/,
  'addon packQ8Weights [0, 2^32-1]': /^RangeError: k and n must be >= 1$/,
  'addon f32SpmmNm, rows 2^32-1': /^returned$/,
  'addon packQ8Sparse, k 2^32-1': /^RangeError: rows and k must be < 2\^31$/,
};

describe('size limits', () => {
  it('calls over huge dimensions with empty arrays throw or return at once, in TypeScript and in the addon', function () {
    this.timeout(90_000);
    const fixture = fileURLToPath(new URL('./fixtures/huge-dims.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
    const results = child.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { name: string; outcome: string; ms: number });
    const names = Object.keys(EXPECTED);
    const stuck = names[results.length];
    assert.equal(results.length, names.length, `stuck in '${stuck}' (${child.signal ?? `exit ${child.status}`}): ${child.stderr.slice(-2000)}`);
    for (const [i, { name, outcome, ms }] of results.entries()) {
      assert.equal(name, names[i]);
      assert.match(outcome, EXPECTED[name], name);
      // Generous for a loaded machine; the loops these replace took seconds to hours.
      assert.ok(ms < 1000, `${name} took ${ms} ms`);
    }
  });
});
