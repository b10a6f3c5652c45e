import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { cpu, loadNative, nativeStatus } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a snippet in a fresh Node with the given environment. */
function runNode(code: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('native loader', () => {
  it('loads the built addon in this process', () => {
    assert.ok(nativeStatus().addon, nativeStatus().attempts.join('\n'));
    assert.equal(cpu.info().implementation, 'native');
  });

  it('does not fall back when an explicit path fails to load', () => {
    const r = loadNative('/nonexistent/sparq.node');
    assert.deepEqual(r.attempts, ['/nonexistent/sparq.node: not found']);
    assert.equal(r.explicitFailed, true);
    const child = runNode(`import { cpu } from './src/index.ts'; cpu.info();`, { SPARQ_NATIVE_PATH: '/nonexistent/sparq.node' });
    assert.notEqual(child.status, 0);
    assert.match(child.stderr, /nonexistent\/sparq\.node: not found/);
  });

  it('falls back to the TypeScript reference with one warning, and computes the same results', () => {
    const code = `
      import { cpu, tensor } from './src/index.ts';
      const a = tensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
      const b = tensor('float32', [3, 2], Float32Array.of(1, 0, 0, 1, 1, 1));
      const c = cpu.gemm(a, b, { bias: Float32Array.of(0.5, -100), activation: 'relu' });
      const q = cpu.qgemm(tensor('uint8', [1, 3], Uint8Array.of(255, 0, 7), { zeroPoint: 1 }), tensor('int8', [3, 1], Int8Array.of(-128, 5, 127)));
      await cpu.gemmAsync(a, b);
      console.log(JSON.stringify({ impl: cpu.info().implementation, c: Array.from(c.data), q: Array.from(q.data) }));
    `;
    const r = runNode(code, { SPARQ_DISABLE_NATIVE: '1', SPARQ_REQUIRE_NATIVE: '0' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { impl: 'reference', c: [4.5, 0, 10.5, 0], q: [254 * -128 + -1 * 5 + 6 * 127] });
    assert.equal(r.stderr.match(/SPARQ_NO_NATIVE/g)?.length, 1, r.stderr);
  });

  it('makes a missing addon an error when SPARQ_REQUIRE_NATIVE=1', () => {
    const r = runNode(`import { cpu } from './src/index.ts'; cpu.info();`, { SPARQ_DISABLE_NATIVE: '1', SPARQ_REQUIRE_NATIVE: '1' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /native addon not found/);
  });

  it('SPARQ_ISA caps the ISA at load, and setIsaLimit at run time', () => {
    const code = `import { cpu } from './src/index.ts'; const a = cpu.info().isa; cpu.setIsaLimit('none'); console.log(a, cpu.info().isa === 'scalar');`;
    const r = runNode(code, { SPARQ_ISA: 'scalar' });
    assert.equal(r.stdout.trim(), `scalar ${!['avx2', 'avx512', 'avx512vnni', 'amx', 'neon'].includes(cpu.info().isa)}`, r.stderr);
    cpu.setIsaLimit('avx2');
    try {
      assert.ok(['avx2', 'scalar'].includes(cpu.info().isa));
    } finally {
      cpu.setIsaLimit('none');
    }
  });
});
