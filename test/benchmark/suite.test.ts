/**
 * The kernel suite's cases time the same work on both sides: each CPU case's
 * sparq call and its onnxruntime model give the same values (compared by
 * moments of their values, since some pose the product transposed), so a speedup
 * is never a ratio of two different computations. Integer cases are
 * compared where onnxruntime's int8 is exact (x86 with VNNI, aarch64):
 * without VNNI its u8s8 products saturate in int16.
 */
import assert from 'node:assert/strict';

import { loadOrt } from '../../src/runtime/compare/ort.js';
import { machineInfo } from '../../src/machine-info.js';
import type { Tensor } from '../../src/tensor.js';
import { cpuCases } from '../../src/benchmark/suite.js';

type Values = ArrayLike<number>;

/** Sum, sum of magnitudes, sum of squares, min and max: what any layout of the same values shares. */
function moments(v: Values) {
  let sum = 0, abs = 0, squares = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    abs += Math.abs(v[i]);
    squares += v[i] * v[i];
    min = Math.min(min, v[i]);
    max = Math.max(max, v[i]);
  }
  return { n: v.length, sum, abs, squares, min, max };
}

/** The largest relative difference of the two sets' moments. */
function difference(ours: Values, theirs: Values): number {
  const [a, b] = [moments(ours), moments(theirs)];
  assert.equal(a.n, b.n);
  const range = Math.max(Math.abs(b.min), Math.abs(b.max), 1e-30);
  return Math.max(
    Math.abs(a.sum - b.sum) / Math.max(b.abs, 1e-30), Math.abs(a.squares - b.squares) / Math.max(b.squares, 1e-30),
    Math.abs(a.min - b.min) / range, Math.abs(a.max - b.max) / range,
  );
}

describe('benchmark: the suite times the same work on both sides', function () {
  this.timeout(120_000);

  it('every quick CPU case: sparq and onnxruntime agree', async () => {
    const ort = await loadOrt();
    const m = await machineInfo();
    const int8Exact = m.cpu.isaLevels.includes('avx512vnni') || m.cpu.arch === 'arm64';
    // The GEMV shape only adds seconds of setup (16M weights); every other shape of every group is here.
    const cases = cpuCases(true).filter((c) => c.shape !== 'gemv 4096' && (c.unit === 'GFLOP/s' || c.group === 'quantize' || c.group === 'dequantize' || int8Exact));
    assert.ok(cases.length >= 30, `${cases.length} cases`);
    for (const c of cases) {
      const run = await c.setup({ threads: 2, ort });
      try {
        const ours = (run.sparq() as Tensor).data as Values;
        const theirs = Object.values((await run.ort!()) as Record<string, { data: Values }>)[0].data;
        // Floats: sums of up to 1024 products; 8-bit outputs: a rounding step either way; int32: exact (the moments' own rounding aside).
        const tolerance = c.unit === 'GFLOP/s' ? 1e-4 : /uint8|int8|quantize/.test(c.kernel) ? 1 / 64 : 1e-9;
        const d = difference(ours, theirs);
        assert.ok(d <= tolerance, `${c.kernel} ${c.shape} ${c.sparsity}: ${d}`);
        assert.ok(run.variant, `${c.kernel}: no variant recorded`);
      } finally {
        await run.release();
      }
    }
  });
});
