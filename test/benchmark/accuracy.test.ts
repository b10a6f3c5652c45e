/**
 * benchAccuracy(): the ten Fashion-MNIST example models on the installed
 * test set, rows in the schema's shape with the accuracy models.json
 * recorded; without the data a note saying how to install it and no rows.
 * Skipped where Debian's dataset-fashion-mnist is not installed, except
 * where SPARQ_REQUIRE_FASHION_MNIST=1 (CI) makes it fail.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/backends/cpu/backend.js';
import { benchAccuracy } from '../../src/benchmark/accuracy.js';
import { exampleModels } from '../../src/benchmark/fashion-mnist-models.js';
import type { AccuracyResult } from '../../src/benchmark/results.js';
import { DatasetNotFoundError, findFashionMnist, FASHION_MNIST_ENV } from '../../src/compress/data/index.js';

/** Whether the test set is installed; throws where it is missing and required. */
function installed(): boolean {
  try {
    findFashionMnist();
    return true;
  } catch (e) {
    if (!(e instanceof DatasetNotFoundError) || process.env.SPARQ_REQUIRE_FASHION_MNIST === '1') throw e;
    return false;
  }
}

describe('benchmark: benchAccuracy()', () => {
  it('scores all ten example models on the 10000 test images, fp32 and int8 as models.json recorded', async function () {
    if (!installed()) this.skip();
    const before = cpu.info().threads;
    const { accuracy, notes } = await benchAccuracy({ threads: 1 });
    assert.equal(cpu.info().threads, before, "the caller's thread count is restored");
    assert.deepEqual(notes, []);
    const models = exampleModels();
    assert.deepEqual(accuracy.map((r) => r.model), models.map((m) => m.file));
    for (const r of accuracy) {
      assert.deepEqual(Object.keys(r).sort(), ['backend', 'bits', 'dataset', 'images', 'model', 'precision', 'sparsity', 'structure', 'top1']);
      const m = models.find((x) => x.file === r.model)!;
      assert.equal(r.dataset, 'fashion-mnist');
      assert.equal(r.backend, 'cpu');
      assert.equal(r.images, 10000);
      assert.equal(r.bits, r.precision === 'int8' ? 8 : 32);
      assert.equal(r.precision, r.model.includes('int8') ? 'int8' : 'fp32');
      assert.ok(r.top1 > 0.85 && r.top1 <= 1, `${r.model}: ${r.top1}`);
      // compress.ts prunes conv2, conv3 and fc1 (nearly all the weights): 90% or 2:4 there.
      const sparsity = { dense: [0, 0.05], 'distilled half width': [0, 0.05], unstructured: [0.85, 0.9], 'blocks 4x1': [0.85, 0.9], '2:4': [0.45, 0.5] }[r.structure];
      assert.ok(sparsity && r.sparsity >= sparsity[0] && r.sparsity <= sparsity[1], `${r.model} (${r.structure}): sparsity ${r.sparsity}`);
      if (r.model === 'fp32.onnx' || r.model === 'int8.onnx') assert.ok(Math.abs(r.top1 - m.recordedTop1) <= 0.005, `${r.model}: ${r.top1}, recorded ${m.recordedTop1}`);
    }
    const structure = (file: string) => accuracy.find((r: AccuracyResult) => r.model === file)!.structure;
    assert.deepEqual(['fp32.onnx', 'int8-90.onnx', 'fp32-2-4.onnx', 'int8-90-blocks.onnx', 'student-fp32.onnx'].map(structure), ['dense', 'unstructured', '2:4', 'blocks 4x1', 'distilled half width']);
  });

  it('without the data: no rows, and a note saying how to install it', async () => {
    const saved = process.env[FASHION_MNIST_ENV];
    process.env[FASHION_MNIST_ENV] = '/nonexistent/fashion-mnist';
    try {
      const { accuracy, notes } = await benchAccuracy({ threads: 1 });
      assert.deepEqual(accuracy, []);
      assert.equal(notes.length, 1);
      assert.match(notes[0], /^no accuracy rows: Fashion-MNIST not found: .*apt-get install dataset-fashion-mnist.*SPARQ_FASHION_MNIST/);
    } finally {
      if (saved === undefined) delete process.env[FASHION_MNIST_ENV];
      else process.env[FASHION_MNIST_ENV] = saved;
    }
  });

  it('names the bad option', async () => {
    await assert.rejects(benchAccuracy(undefined as never), { name: 'TypeError', message: /options/ });
    await assert.rejects(benchAccuracy({ threads: 0 }), { name: 'RangeError', message: /options\.threads/ });
  });
});
