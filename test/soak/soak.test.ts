// The soak at CI size (issue 18): run-soak.ts in a child process (it needs
// --expose-gc, which mocha's process lacks, and a hang must be the child's
// time-out), with fewer iterations than `npm run soak` and the same bound.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { gpuOrSkip, releaseGpu } from '../webgpu/gpu.js';
import type { CaseResult } from './run-soak.js';

const driver = fileURLToPath(new URL('./run-soak.ts', import.meta.url));

/** Runs the soak with `args`; fails on a time-out, a failed case or a last line that is not its JSON. */
function soak(args: string[]): CaseResult[] {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', driver, '--seed', '1', ...args], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(child.signal, null, `the soak hung (killed by ${child.signal}): ${child.stderr.slice(-2000)}`);
  const lines = child.stdout.trimEnd().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]) as { pass: boolean; results: CaseResult[] };
  assert.ok(summary.pass && child.status === 0, `a case failed:\n${lines.slice(0, -1).join('\n')}\n${child.stderr.slice(-2000)}`);
  return summary.results;
}

describe('soak (CI size)', () => {
  after(releaseGpu);

  it('runs every CPU kernel family and the CIFAR session 2,000 times and 100 create/release cycles without growth or a changed result', function () {
    this.timeout(300_000);
    const results = soak(['--backend', 'cpu', '--runs', '2000', '--cycles', '100']);
    assert.ok(results.length >= 10 && results.every((r) => r.mismatches === 0 && r.growth.nativeHeld <= 0));
  });

  // Fewer on WebGPU: a CIFAR run takes 50-100 ms on lavapipe (CI's adapter).
  it('runs every WebGPU case 200 times and 30 create/release cycles with no buffer kept', async function () {
    this.timeout(300_000);
    // Skips without an adapter, and fails under SPARQ_REQUIRE_WEBGPU=1.
    await gpuOrSkip(this);
    await releaseGpu();
    const results = soak(['--backend', 'webgpu', '--runs', '200', '--cycles', '30']);
    assert.ok(results.length >= 9 && results.every((r) => r.growth.gpuBuffers !== null && r.growth.gpuBuffers <= 0));
  });
});
