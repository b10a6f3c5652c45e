/**
 * The aarch64 kernels, which this x86 suite cannot load: the native kernel
 * check (test/native/kernel-check) cross-built for aarch64 and run under
 * qemu-aarch64 with and without the dot-product extension (the x86 variants
 * are tested through the addon by test/kernels/). Without the cross toolchain
 * or qemu the test skips, unless SPARQ_REQUIRE_AARCH64=1 (CI) makes it fail.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function missingTools(tools: string[]): string[] {
  return tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/** The lines of one `== <title>` section of the script's output. */
function section(output: string, title: string): string[] {
  const start = output.indexOf(`== ${title}`);
  assert.ok(start >= 0, `no "${title}" run in:\n${output}`);
  const end = output.indexOf('\n== ', start + 1);
  return output.slice(start, end < 0 ? undefined : end).split('\n');
}

describe('kernels on aarch64 (kernel check under qemu-user)', () => {
  it('every NEON variant matches the scalar one on -cpu max and -cpu cortex-a53', function () {
    this.timeout(1_200_000);
    const missing = missingTools(['aarch64-linux-gnu-g++', 'qemu-aarch64', 'cmake']);
    if (missing.length > 0) {
      if (process.env.SPARQ_REQUIRE_AARCH64 === '1')
        assert.fail(`SPARQ_REQUIRE_AARCH64=1 but ${missing.join(', ')} not found (apt-get install g++-aarch64-linux-gnu qemu-user)`);
      this.skip();
    }
    const run = spawnSync(join(root, 'scripts/test-kernels-aarch64.sh'), [], {
      cwd: root, encoding: 'utf8', timeout: 1_140_000, maxBuffer: 64 << 20,
    });
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.signal, null, `the aarch64 check was killed (${run.signal}):\n${output.slice(-8000)}`);
    assert.equal(run.status, 0, output.slice(-8000));
    // cortex-a53 has no dot product: the neondot variants skip and plain NEON
    // ones are chosen, so both kinds ran on one of the two CPUs.
    const a53 = section(output, 'qemu-aarch64 -cpu cortex-a53');
    const max = section(output, 'qemu-aarch64 -cpu max');
    assert.ok(a53.some((l) => /^ {2}pass {2}\S+-neon /.test(l)), `no NEON variant passed on cortex-a53:\n${a53.join('\n')}`);
    assert.ok(!a53.some((l) => /^ {2}(pass|best) {2}\S+-neondot\b/.test(l)), 'a neondot variant ran without the dot product');
    assert.ok(!max.some((l) => /^ {2}skip /.test(l)), `-cpu max skipped a variant:\n${max.join('\n')}`);
  });
});
