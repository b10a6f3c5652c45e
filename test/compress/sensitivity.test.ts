/**
 * pruneSensitivity() on the Fashion-MNIST-shaped CNN fixture (random
 * weights), over random images labelled by the model's own top-1, so that
 * the baseline is 100% and any prediction pruning moves is a lost point;
 * chooseSparsities()'s rule on hand-made tables; formatSensitivity()'s
 * table; bad arguments named.
 */
import assert from 'node:assert/strict';

import { dataset, type Dataset } from '../../src/compress/data/dataset.js';
import { blockMask, magnitudeMask } from '../../src/compress/prune/masks.js';
import { chooseSparsities, formatSensitivity, pruneSensitivity, type SensitivityResult } from '../../src/compress/prune/sensitivity.js';
import type { WeightArray } from '../../src/compress/prune/weight.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';

const IMAGES = 120;
const IMAGE = [1, 28, 28] as const;

/** IMAGES seeded one-channel images (NCHW and NHWC are the same) labelled by `graph`'s top-1 in sparq. */
async function labelledBy(graph: ReturnType<typeof cifarCnn>): Promise<Dataset> {
  const images = randomImages(IMAGES, IMAGE, 5);
  const session = await InferenceSession.create(encodeOnnxModel(graph));
  const logits = session.runSync({ input: { type: 'float32', dims: [IMAGES, ...IMAGE], data: images } }).logits.data as Float32Array;
  await session.release();
  const labels = Uint8Array.from({ length: IMAGES }, (_, i) => logits.subarray(i * 10, i * 10 + 10).reduce((best, v, j, row) => (v > row[best] ? j : best), 0));
  return dataset(images, labels, [IMAGES, 28, 28, 1]);
}

describe('compress: pruneSensitivity()', () => {
  const graph = cifarCnn({ image: IMAGE, seed: 3 });
  let data: Dataset;
  let table: SensitivityResult;
  before(async () => {
    data = await labelledBy(graph);
    table = await pruneSensitivity(graph, data, { sparsities: [0, 0.5, 0.9, 0.95] });
  });

  it('scans the float Conv and Gemm weights of at least 1024 values, one accuracy per sparsity; sparsity 0 is the baseline exactly', () => {
    assert.deepEqual([table.images, table.baseline, table.sparsities], [IMAGES, 1, [0, 0.5, 0.9, 0.95]]);
    assert.deepEqual(table.layers.map((l) => [l.param, l.node, l.size]), [['conv2.weight', 'conv2', 64 * 32 * 9], ['conv3.weight', 'conv3', 64 * 64 * 9], ['fc1.weight', 'fc1', 64 * 64 * 9]]);
    for (const l of table.layers) {
      assert.equal(l.accuracy.length, 4);
      assert.equal(l.accuracy[0], table.baseline, l.param);
      // Pruning moves predictions, more at 95% than at 50%; past 90% the random-weight layers collapse to chance, where the order is noise.
      assert.ok(l.accuracy[3] < l.accuracy[1], `${l.param}: ${l.accuracy}`);
    }
  });

  it('prunes the named layers alone, each by the mask at each sparsity, on the first options.images images; takes the model as bytes', async () => {
    const calls: [number, number][] = [];
    const spy = (w: WeightArray, s: number) => {
      calls.push([w.data.length, s]);
      return blockMask(w, s);
    };
    const params = ['fc2.weight', 'conv1.weight'];
    const r = await pruneSensitivity(encodeOnnxModel(graph), data, { params, sparsities: [0.5, 0.8], mask: spy, images: 40, threads: 1 });
    assert.deepEqual(calls, [[640, 0.5], [640, 0.8], [288, 0.5], [288, 0.8]]);
    assert.deepEqual([r.images, r.baseline, r.layers.map((l) => l.param)], [40, 1, params]);
    // A mask that keeps every weight measures the baseline: nothing else of the model changed.
    const keep = await pruneSensitivity(graph, data, { params: ['conv3.weight'], sparsities: [0.9], mask: (w) => new Uint8Array(w.data.length).fill(1), images: 40 });
    assert.deepEqual(keep.layers[0].accuracy, [1]);
    const magnitude = await pruneSensitivity(graph, data, { params: ['conv3.weight'], sparsities: [0.95], mask: magnitudeMask });
    assert.deepEqual(magnitude.layers[0].accuracy, [table.layers[1].accuracy[3]]);
  });

  it('names the bad argument', async () => {
    const bad = async (options: object, message: RegExp, name = 'RangeError') => assert.rejects(pruneSensitivity(graph, data, options as never), { name, message });
    await bad({ sparsities: [0.5, 0.5] }, /options\.sparsities\[1\] must be above/);
    await bad({ sparsities: [1] }, /options\.sparsities\[0\]/);
    await bad({ sparsities: [] }, /options\.sparsities must hold/);
    await bad({ sparsities: 0.5 }, /options\.sparsities/, 'TypeError');
    await bad({ params: ['conv9.weight'] }, /options\.params\[0\] "conv9\.weight" is not the weight/);
    await bad({ params: ['fc1.bias'] }, /options\.params\[0\]/);
    await bad({ params: ['fc1.weight', 'fc1.weight'] }, /options\.params\[1\] "fc1\.weight" is named twice/);
    await bad({ params: 'fc1.weight' }, /options\.params/, 'TypeError');
    await bad({ mask: 'magnitude' }, /options\.mask/, 'TypeError');
    await bad({ images: 0 }, /options\.images/);
    await bad({ images: IMAGES + 1 }, /options\.images/);
    await bad({ threads: 0 }, /options\.threads/);
    await bad({ sparsity: 0.5 }, /options\.sparsity is not an option/);
    await bad({ params: ['fc1.weight'], mask: () => new Uint8Array(3) }, /options\.mask\(fc1\.weight, 0\.5\) must have 36864 entries/);
    await assert.rejects(pruneSensitivity(graph, { dims: [1, 28, 28, 1] } as never), { name: 'TypeError', message: /data\.images/ });
    await assert.rejects(pruneSensitivity({ nodes: [] } as never, data), { name: 'TypeError', message: /graph\.inputs/ });
  });
});

describe('compress: chooseSparsities() and formatSensitivity()', () => {
  // Drops in points: a [0, 0.5, 2]; b [1, 1.5, 0] (a blip back under the budget at 90%); c [3, 0, 0].
  const table: SensitivityResult = {
    images: 1000,
    baseline: 0.9,
    sparsities: [0.5, 0.7, 0.9],
    layers: [
      { param: 'a', node: 'a', size: 100, accuracy: [0.9, 0.895, 0.88] },
      { param: 'b', node: 'b', size: 300, accuracy: [0.89, 0.885, 0.9] },
      { param: 'c', node: 'c', size: 600, accuracy: [0.87, 0.9, 0.9] },
    ],
  };

  it('gives each layer the highest sparsity below which every one is within maxDrop', () => {
    assert.deepEqual(chooseSparsities(table, { maxDrop: 1 }), {
      layers: [{ param: 'a', sparsity: 0.7, drop: 0.5 }, { param: 'b', sparsity: 0.5, drop: 1 }, { param: 'c', sparsity: 0, drop: 0 }],
      sparsity: 0.22,
    });
    assert.deepEqual(chooseSparsities(table, { maxDrop: 0 }).layers.map((l) => l.sparsity), [0.5, 0, 0]);
  });

  it('with a target, takes the cheapest steps (drop per pruned weight) until it is reached, or stops at maxDrop', () => {
    assert.deepEqual(chooseSparsities(table, { maxDrop: 2, target: 0.2 }), {
      layers: [{ param: 'a', sparsity: 0.5, drop: 0 }, { param: 'b', sparsity: 0.5, drop: 1 }, { param: 'c', sparsity: 0, drop: 0 }],
      sparsity: 0.2,
    });
    const capped = chooseSparsities(table, { maxDrop: 2, target: 0.5 });
    assert.deepEqual(capped, chooseSparsities(table, { maxDrop: 2 }));
    assert.deepEqual(capped.layers.map((l) => [l.sparsity, l.drop]), [[0.9, 2], [0.9, 0], [0, 0]]);
    assert.equal(chooseSparsities(table, { maxDrop: 5, target: 0 }).sparsity, 0);
    // A sparsity 0 in the table is where a layer starts, not a step.
    const withZero: SensitivityResult = { images: 10, baseline: 0.5, sparsities: [0, 0.5], layers: [{ param: 'd', node: 'd', size: 10, accuracy: [0.5, 0.5] }] };
    assert.deepEqual(chooseSparsities(withZero, { maxDrop: 0, target: 0.5 }), { layers: [{ param: 'd', sparsity: 0.5, drop: 0 }], sparsity: 0.5 });
  });

  it('formats the table with the drops in points and the chosen column', () => {
    const choice = chooseSparsities({ ...table, layers: table.layers.slice(0, 2) }, { maxDrop: 1 });
    assert.equal(formatSensitivity(table, choice), [
      'Top-1 accuracy with one layer pruned one-shot (points against the unpruned 90.00%, 1000 images)',
      '',
      '| layer (weights) | 50.00% sparse | 70.00% sparse | 90.00% sparse | chosen |',
      '| --- | --- | --- | --- | --- |',
      '| a (100) | 90.00% (+0.00) | 89.50% (-0.50) | 88.00% (-2.00) | 70.00% |',
      '| b (300) | 89.00% (-1.00) | 88.50% (-1.50) | 90.00% (+0.00) | 50.00% |',
      '| c (600) | 87.00% (-3.00) | 90.00% (+0.00) | 90.00% (+0.00) | — |',
      '',
      "chosen: 55.00% of these layers' weights pruned",
      '',
    ].join('\n'));
    assert.ok(!formatSensitivity(table).includes('chosen'));
  });

  it('names the bad argument', () => {
    const bad = (f: () => unknown, message: RegExp, name = 'RangeError') => assert.throws(f, { name, message });
    bad(() => chooseSparsities(table, { maxDrop: -1 }), /options\.maxDrop/);
    bad(() => chooseSparsities(table, { maxDrop: '1' as never }), /options\.maxDrop/, 'TypeError');
    bad(() => chooseSparsities(table, { maxDrop: 1, target: 1.5 }), /options\.target/);
    bad(() => chooseSparsities(table, undefined as never), /options/, 'TypeError');
    bad(() => chooseSparsities({ ...table, baseline: 2 }, { maxDrop: 1 }), /result\.baseline/);
    bad(() => chooseSparsities({ ...table, images: 0 }, { maxDrop: 1 }), /result\.images/);
    bad(() => chooseSparsities({ ...table, sparsities: [0.9, 0.5, 0.7] }, { maxDrop: 1 }), /result\.sparsities\[1\]/);
    bad(() => chooseSparsities({ ...table, layers: [{ ...table.layers[0], accuracy: [1] }] }, { maxDrop: 1 }), /result\.layers\[0\]\.accuracy/, 'TypeError');
    bad(() => chooseSparsities({ ...table, layers: [{ ...table.layers[0], size: 0 }] }, { maxDrop: 1 }), /result\.layers\[0\]\.size/);
    bad(() => formatSensitivity(null as never), /result/, 'TypeError');
    bad(() => formatSensitivity(table, {} as never), /choice/, 'TypeError');
  });
});
