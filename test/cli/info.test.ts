import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import os from 'node:os';

import type { MachineInfo } from '../../src/cli/info.js';
import { cpu } from '../../src/index.js';
import { sparq } from './spawn.js';

describe('cli: sparq info', () => {
  it('--json: the machine, the cap, each family\'s chosen variant, the addon, WebGPU, onnxruntime, Node, OS', async () => {
    // The command's thread count is its process's: SPARQ_THREADS pins it (this process's count is whatever its last test set).
    const { code, stdout, stderr } = await sparq(['info', '--json'], { SPARQ_THREADS: '3' });
    assert.equal(code, 0, stderr);
    const m = JSON.parse(stdout) as MachineInfo;
    assert.deepEqual(Object.keys(m), ['cpu', 'backend', 'families', 'webgpu', 'onnxruntime', 'node', 'os', 'memoryBytes']);
    assert.deepEqual(Object.keys(m.cpu), ['model', 'cores', 'arch', 'isaLevels', 'isaCap', 'isa']);
    assert.ok(m.cpu.model.length > 0);
    assert.equal(m.cpu.cores, os.availableParallelism());
    assert.equal(m.cpu.arch, process.arch);
    assert.equal(m.cpu.isaLevels[0], 'scalar');
    const here = cpu.info();
    assert.equal(m.cpu.isa, here.isa);
    assert.equal(m.cpu.isaCap, process.env.SPARQ_ISA ?? 'none');
    assert.deepEqual(m.backend, { implementation: here.implementation, addonPath: here.addonPath, threads: 3 });
    assert.deepEqual(m.families.map((f) => f.family), Object.keys(here.variants));
    for (const f of m.families) {
      assert.equal(f.chosen, here.variants[f.family].find((v) => v.supported)?.name ?? null, f.family);
      assert.deepEqual(f.variants, here.variants[f.family].map(({ name, isa, supported }) => ({ name, isa, supported })));
    }
    assert.ok(Array.isArray(m.webgpu.adapters));
    assert.ok(m.webgpu.adapters.length > 0 ? m.webgpu.error === null : typeof m.webgpu.error === 'string');
    for (const a of m.webgpu.adapters) {
      assert.equal(typeof a.vendor, 'string');
      assert.equal(a.backend, { linux: 'vulkan', darwin: 'metal', win32: 'd3d12' }[process.platform as string]);
      assert.equal(typeof a.fallback, 'boolean');
      assert.ok(Array.isArray(a.features));
      assert.ok(a.limits.maxBufferSize > 0);
    }
    assert.equal(m.onnxruntime, (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version);
    assert.equal(m.node, process.version);
    assert.deepEqual(m.os, { platform: process.platform, release: os.release(), type: os.type() });
    assert.equal(m.memoryBytes, os.totalmem());
  });

  it('follows SPARQ_ISA: the cap in force and the variants it leaves, marked in the table', async function () {
    if (!cpu.info().variants['f32-gemm']?.some((v) => v.isa === 'avx2' && v.supported)) this.skip(); // x86 with AVX2 only
    const [json, text] = await Promise.all([sparq(['info', '--json'], { SPARQ_ISA: 'scalar' }), sparq(['info'], { SPARQ_ISA: 'scalar' })]);
    const m = JSON.parse(json.stdout) as MachineInfo;
    assert.equal(m.cpu.isaCap, 'scalar');
    assert.equal(m.cpu.isa, 'scalar');
    assert.ok(m.cpu.isaLevels.includes('avx2'), 'the CPU still has AVX2; the cap only stops its use');
    for (const f of m.families) assert.match(f.chosen ?? '', /-scalar$/, f.family);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^isa: scalar avx2.*; cap scalar; running scalar$/m);
    assert.match(text.stdout, /^ {2}f32-gemm +-f32-gemm-\S+-avx512 -f32-gemm-\S+-avx2 \*f32-gemm-\S+-scalar$/m);
    assert.match(text.stdout, /^webgpu:\n {2}(none found|\S)/m);
    assert.match(text.stdout, /^onnxruntime-node: \d+\.\d+\.\d+$/m);
  });
});
