/**
 * runBench(): rows as the schema has them, the ISA cap applied to sparq
 * alone and given back, onnxruntime-node missing (an injected loader that
 * fails as the import would) leaving sparq's side with a note, and options
 * checked by name.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/backends/cpu/backend.js';
import { native } from '../../src/native.js';
import { runBench } from '../../src/benchmark/run-bench.js';
import { BENCH_FORMAT, BENCH_VERSION } from '../../src/benchmark/results.js';

const TINY = { quick: true, budgetMs: 5, backends: ['cpu' as const], threads: [1] };


describe('benchmark: runBench', function () {
  this.timeout(120_000);

  it('without onnxruntime-node: sparq rows with onnxruntime and speedup null, and a note saying why', async () => {
    const missing = () => Promise.reject(new Error("Cannot find package 'onnxruntime-node' imported from src/runtime/compare/ort.ts"));
    const r = await runBench({ ...TINY, only: ['quantize', 'dequantize'], loadOnnxruntime: missing });
    assert.equal(r.format, BENCH_FORMAT);
    assert.equal(r.version, BENCH_VERSION);
    assert.deepEqual(r.kernels.map((k) => k.group), ['quantize', 'dequantize']);
    for (const k of r.kernels) {
      assert.equal(k.onnxruntime, null);
      assert.equal(k.speedup, null);
      assert.ok(k.sparq.rate > 0 && k.sparq.p50Ms > 0 && k.sparq.runs >= 5, JSON.stringify(k));
    }
    assert.ok(r.notes.some((n) => /^onnxruntime-node not loaded.*Cannot find package 'onnxruntime-node'/.test(n)), r.notes.join('\n'));
    assert.deepEqual([r.models, r.accuracy], [[], []]);
  });

  it('with onnxruntime: each row has both sides, speedup = onnxruntime p50 / sparq p50, rate = ops / p50', async () => {
    const r = await runBench({ ...TINY, only: ['gemm'] });
    assert.ok(r.kernels.length > 0);
    for (const k of r.kernels) {
      assert.ok(k.onnxruntime, k.kernel);
      assert.equal(k.onnxruntime.baseline, 'MatMul');
      assert.equal(k.onnxruntime.provider, 'cpu');
      assert.equal(k.speedup, k.onnxruntime.p50Ms / k.sparq.p50Ms);
      assert.ok(Math.abs(k.sparq.rate - k.ops / k.sparq.p50Ms / 1e6) <= 1e-9 * k.sparq.rate);
      assert.ok(k.sparq.p99Ms >= k.sparq.p50Ms);
      assert.equal(k.family, 'f32-gemm');
    }
  });

  it('--isa scalar: sparq runs its scalar variants and says onnxruntime is not capped; the cap and threads in force come back', async function () {
    if (!native()) this.skip();
    const [before, threads] = [native()!.cpuInfo().isaLimit, cpu.info().threads];
    const r = await runBench({ ...TINY, only: ['quantize'], isa: 'scalar' });
    assert.equal(r.options.isa, 'scalar');
    assert.match(r.kernels[0].variant!, /-scalar$/);
    assert.ok(r.notes.some((n) => /capped at scalar; onnxruntime is not capped/.test(n)));
    assert.equal(native()!.cpuInfo().isaLimit, before);
    assert.equal(cpu.info().threads, threads);
  });

  it('checks its options, naming the bad one', async () => {
    await assert.rejects(runBench({ threads: [0] }), { name: 'RangeError', message: /^options\.threads\[0\]/ });
    await assert.rejects(runBench({ threads: [] }), { name: 'TypeError', message: /^options\.threads/ });
    await assert.rejects(runBench({ backends: ['tpu' as 'cpu'] }), { name: 'RangeError', message: /^options\.backends\[0\]/ });
    await assert.rejects(runBench({ only: ['fft' as 'gemm'] }), { name: 'RangeError', message: /^options\.only\[0\]/ });
    await assert.rejects(runBench({ isa: 'sse2' as 'avx2' }), { name: 'RangeError', message: /^options\.isa/ });
    await assert.rejects(runBench({ budgetMs: 0 }), { name: 'RangeError', message: /^options\.budgetMs/ });
  });
});
