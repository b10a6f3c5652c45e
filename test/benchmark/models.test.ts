/**
 * benchModels(): the example models in quick mode with tiny timing budgets
 * (timings are never asserted on, only their shape and the speedup's
 * definition). Every row has the schema's fields and no others, passes its
 * check, and has the measured sparsity of its form. WebGPU rows appear when
 * an adapter is found; without one there is a note instead, and with
 * SPARQ_REQUIRE_WEBGPU=1 (CI) that fails. The rows without onnxruntime-node
 * are cpuRow() given no onnxruntime, checked against the reference backend.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { cpu } from '../../src/backends/cpu/backend.js';
import { EXAMPLE_MODELS_DIR } from '../../src/benchmark/fashion-mnist-models.js';
import { cpuRow, referenceOutputs, type BenchSubject } from '../../src/benchmark/model-rows.js';
import { benchModels } from '../../src/benchmark/models.js';
import type { ModelResult, ModelTiming } from '../../src/benchmark/results.js';
import { seededImages } from '../../src/benchmark/images.js';

const keys = (o: object) => Object.keys(o).sort();

function assertStats(s: unknown, what: string): void {
  assert.deepEqual(keys(s as object), ['imagesPerSec', 'p50Ms', 'p99Ms', 'runs'], what);
  const { p50Ms, p99Ms, runs, imagesPerSec } = s as Record<string, number>;
  assert.ok(p50Ms > 0 && p99Ms >= p50Ms && Number.isInteger(runs) && runs >= 1 && imagesPerSec > 0, `${what}: ${JSON.stringify(s)}`);
}

function assertTiming(t: ModelTiming, batch: number, withOrt: boolean, what: string): void {
  assert.deepEqual(keys(t), ['batch', 'onnxruntime', 'sparq', 'speedup'], what);
  assert.equal(t.batch, batch, what);
  assertStats(t.sparq, `${what} sparq`);
  assert.ok(Math.abs(t.sparq.imagesPerSec - (batch * 1000) / t.sparq.p50Ms) < 1e-9, what);
  if (!withOrt) return assert.deepEqual([t.onnxruntime, t.speedup], [null, null], what);
  assertStats(t.onnxruntime, `${what} onnxruntime`);
  assert.equal(t.speedup, t.onnxruntime!.p50Ms / t.sparq.p50Ms, `${what}: speedup = onnxruntime p50 / sparq p50`);
}

/** The row has exactly ModelResult's fields, a passing check, and its form's precision and sparsity. */
function assertRow(r: ModelResult, batch: number, withOrt: boolean): void {
  const what = `${r.model} ${r.form} ${r.backend}`;
  assert.deepEqual(keys(r), ['backend', 'check', 'form', 'latency', 'model', 'precision', 'sparsity', 'threads', 'throughput'], what);
  assert.equal(r.precision, r.form.includes('int8') ? 'int8' : 'fp32', what);
  // Pruned: 90% of the pruned layers' weights, the first conv and the classifier dense; int8: a few weights round to the zero point.
  assert.ok(r.form.includes('90%') ? r.sparsity > 0.85 && r.sparsity < 0.9 : r.sparsity < 0.05, `${what}: sparsity ${r.sparsity}`);
  assertTiming(r.latency!, 1, withOrt, `${what} latency`);
  assertTiming(r.throughput!, batch, withOrt, `${what} throughput`);
  const c = r.check!;
  assert.deepEqual(keys(c), ['exact', 'maxAbsError', 'oracle', 'pass', 'top1Agreement'], what);
  assert.ok(c.pass, `${what}: ${JSON.stringify(c)}`);
  assert.ok(c.top1Agreement! >= 0.9, what);
  assert.ok(c.maxAbsError < 1e-3, what);
  // int8 runs exact integer kernels on both backends against an exact oracle.
  if (r.precision === 'int8') assert.deepEqual([c.exact, c.maxAbsError], [true, 0], what);
}

const FORMS = ['fp32', 'int8', 'fp32 90% blocks', 'int8 90% blocks'];

describe('benchmark: benchModels()', () => {
  let result: { models: ModelResult[]; notes: string[] };
  let threadsBefore: number;

  before(async () => {
    threadsBefore = cpu.info().threads;
    result = await benchModels({ quick: true, threads: [1], backends: ['cpu', 'webgpu'], budgetMs: 5 });
  });

  it('times the four forms of both models on the CPU against onnxruntime, each row checked against its oracle', () => {
    const rows = result.models.filter((r) => r.backend === 'cpu');
    assert.deepEqual(rows.map((r) => `${r.model} ${r.form}`).sort(), [...FORMS.map((f) => `fashion-mnist-cnn ${f}`), ...FORMS.map((f) => `cifar10-cnn ${f}`)].sort());
    for (const r of rows) {
      assert.equal(r.threads, 1);
      assertRow(r, 16, true);
    }
    assert.equal(cpu.info().threads, threadsBefore, "the caller's thread count is restored");
  });

  it('says which images the models ran on', () => {
    assert.ok(result.notes.some((n) => /^fashion-mnist-cnn rows run on (the first 16 Fashion-MNIST test images|seeded random images)/.test(n)), result.notes.join('\n'));
    assert.ok(result.notes.some((n) => n.startsWith('cifar10-cnn has seeded, untrained weights')));
  });

  it('gives WebGPU rows checked against the same oracle when an adapter is found, else a note', function () {
    const rows = result.models.filter((r) => r.backend === 'webgpu');
    if (rows.length === 0) {
      assert.ok(result.notes.some((n) => n.startsWith('no WebGPU model rows: ')), result.notes.join('\n'));
      if (process.env.SPARQ_REQUIRE_WEBGPU === '1') assert.fail(`SPARQ_REQUIRE_WEBGPU=1 but no WebGPU rows: ${result.notes.join('; ')}`);
      this.skip();
    }
    assert.equal(rows.length, 8);
    // onnxruntime's WebGPU provider is timed where it starts; the note says when it did not.
    const ortWebGpu = !result.notes.some((n) => n.startsWith("onnxruntime's WebGPU execution provider did not start"));
    for (const r of rows) assertRow(r, 16, ortWebGpu);
  });

  it('without onnxruntime-node, times sparq alone and checks it against the reference backend', async () => {
    const bytes = new Uint8Array(readFileSync(`${EXAMPLE_MODELS_DIR}/int8-90-blocks.onnx`));
    const subject: BenchSubject = {
      model: 'fashion-mnist-cnn', form: 'int8 90% blocks', precision: 'int8', sparsity: 0.89, bytes,
      feeds: { input: { type: 'float32', dims: [4, 1, 28, 28], data: seededImages(4, [1, 28, 28], 3) } },
    };
    const settings = { batch: 4, budgetMs: 1, minRuns: 2 };
    const { result: r, note } = await cpuRow(subject, 1, null, await referenceOutputs(subject), settings);
    assert.equal(note, undefined);
    assertTiming(r.latency!, 1, false, 'latency');
    assertTiming(r.throughput!, 4, false, 'throughput');
    assert.deepEqual(r.check, { oracle: 'reference', maxAbsError: 0, exact: true, top1Agreement: 1, pass: true });
    const { result: unchecked } = await cpuRow(subject, 1, null, null, settings);
    assert.equal(unchecked.check, null);
  });

  it('names the bad option', async () => {
    const good = { quick: true, threads: [1], backends: ['cpu'] as ('cpu' | 'webgpu')[], budgetMs: 1 };
    await assert.rejects(benchModels(undefined as never), { name: 'TypeError', message: /options/ });
    await assert.rejects(benchModels({ ...good, quick: 1 as never }), { name: 'TypeError', message: /options\.quick/ });
    await assert.rejects(benchModels({ ...good, threads: [] }), { name: 'TypeError', message: /options\.threads/ });
    await assert.rejects(benchModels({ ...good, threads: [0] }), { name: 'RangeError', message: /options\.threads\[0\]/ });
    await assert.rejects(benchModels({ ...good, backends: ['tpu' as never] }), { name: 'RangeError', message: /options\.backends\[0\]/ });
    await assert.rejects(benchModels({ ...good, backends: ['cpu', 'cpu'] }), { name: 'RangeError', message: /options\.backends/ });
    await assert.rejects(benchModels({ ...good, budgetMs: 0 }), { name: 'RangeError', message: /options\.budgetMs/ });
  });
});
