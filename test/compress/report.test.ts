/**
 * reportModel() and formatReport() on the CIFAR-10 CNN fixture and the
 * Fashion-MNIST-shaped one: random images labelled by the fp32 model's own
 * top-1, so its accuracy is 100% in both runtimes and the int8 model's is
 * close; the pruned model's layer sparsities are the fixture's; sizes are
 * the encoded bytes and gzip shrinks the pruned model most. Timing runs
 * are few and never asserted on. top1Accuracy() (sparq alone) gives
 * reportModel()'s accuracy.
 */
import assert from 'node:assert/strict';

import { dataset, type Dataset } from '../../src/compress/data/dataset.js';
import { quantize } from '../../src/compress/quantize/quantize.js';
import { formatReport, reportModel, type ModelReport } from '../../src/compress/report/index.js';
import { top1Accuracy } from '../../src/compress/report/accuracy.js';
import { weightLayers } from '../../src/compress/report/layers.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';

const IMAGES = 20;
const FAST = { batch: 8, budgetMs: 1 };

/** Seeded images of `image` [C, H, W] as an NHWC dataset labelled by `graph`'s top-1 in sparq, and the NCHW images. */
async function labelledBy(graph: OnnxGraph, image: readonly [number, number, number]): Promise<{ data: Dataset; nchw: Float32Array }> {
  const [c, h, w] = image;
  const nchw = randomImages(IMAGES, image, 21);
  const nhwc = new Float32Array(nchw.length);
  for (let i = 0; i < IMAGES; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwc[(i * h * w + p) * c + ch] = nchw[(i * c + ch) * h * w + p];
  const session = await InferenceSession.create(encodeOnnxModel(graph));
  const logits = session.runSync({ input: { type: 'float32', dims: [IMAGES, ...image], data: nchw } }).logits.data as Float32Array;
  await session.release();
  const labels = Uint8Array.from({ length: IMAGES }, (_, i) => logits.subarray(i * 10, i * 10 + 10).reduce((best, v, j, row) => (v > row[best] ? j : best), 0));
  return { data: dataset(nhwc, labels, [IMAGES, h, w, c]), nchw };
}

const zeros = (data: ArrayLike<number>) => Array.from(data).filter((v) => v === 0).length / data.length;

describe('compress: reportModel() and formatReport()', () => {
  const IMAGE = [3, 32, 32] as const;
  const fp32 = cifarCnn();
  const pruned = cifarCnn({ prune: 0.8 });
  let data: Dataset, nchw: Float32Array;
  let reports: ModelReport[];

  before(async () => {
    ({ data, nchw } = await labelledBy(fp32, IMAGE));
    const int8 = (await quantize(fp32, [{ input: { type: 'float32', dims: [IMAGES, ...IMAGE], data: nchw } }])).graph;
    reports = [];
    for (const [name, graph] of [['fp32', fp32], ['pruned', pruned], ['int8', int8]] as const) reports.push(await reportModel(graph, { data, name, ...FAST }));
  });

  it('the fp32 model is 100% accurate on its own labels in both runtimes, the int8 one close, each agreeing with onnxruntime', () => {
    const [f, , q] = reports;
    assert.deepEqual([f.accuracy, f.ortAccuracy, f.agreement, f.images], [1, 1, 1, IMAGES]);
    assert.ok(q.accuracy >= 0.9, `int8 accuracy ${q.accuracy}`);
    for (const r of reports) assert.ok(r.agreement >= 0.9, `${r.name}: agreement ${r.agreement}`);
  });

  it("lists every weight layer with the pruned fixture's sparsity, the stored type and sparq's kernel", () => {
    const [f, p, q] = reports;
    const names = ['conv1', 'conv2', 'conv3', 'fc1', 'fc2'];
    for (const r of reports) assert.deepEqual(r.layers.map((l) => l.name), names);
    for (const l of p.layers) {
      const weight = pruned.initializers!.find((t) => t.name === `${l.name}.weight`)!;
      assert.deepEqual(l.weightDims, weight.dims);
      assert.equal(l.sparsity, zeros(weight.data as Float32Array), l.name);
      assert.equal(l.type, 'float32');
    }
    assert.ok(p.layers.slice(0, 4).every((l) => Math.abs(l.sparsity - 0.8) < 0.01) && p.layers[4].sparsity === 0);
    const weights = p.layers.reduce((s, l) => s + l.weightDims.reduce((a, b) => a * b), 0);
    assert.equal(p.weights, weights);
    assert.ok(Math.abs(p.sparsity - p.layers.reduce((s, l) => s + l.sparsity * l.weightDims.reduce((a, b) => a * b), 0) / weights) < 1e-12);
    assert.ok(f.layers.every((l) => l.sparsity === 0 && l.type === 'float32'));
    assert.ok(q.layers.every((l) => l.type === 'int8' && l.sparsity < 0.05));
    for (const r of reports) for (const l of r.layers) assert.equal(typeof l.kernel, 'string', `${r.name} ${l.name}`);
    assert.ok(q.layers.every((l) => l.kernel!.startsWith('q')), `int8 kernels ${q.layers.map((l) => l.kernel)}`);
  });

  it('gives the encoded size and a smaller gzip size for the pruned model', () => {
    const [f, p, q] = reports;
    assert.equal(f.sizeBytes, encodeOnnxModel(fp32).length);
    assert.equal(p.sizeBytes, encodeOnnxModel(pruned).length);
    assert.ok(q.sizeBytes < f.sizeBytes / 3, 'int8 weights take a quarter of the bytes');
    for (const r of reports) assert.ok(r.sizeGzipBytes > 0 && r.sizeGzipBytes < r.sizeBytes);
    assert.ok(p.sizeGzipBytes < f.sizeGzipBytes / 2, `pruned gzip ${p.sizeGzipBytes}, fp32 ${f.sizeGzipBytes}`);
  });

  it('times both runtimes at batch 1 and the given batch on the same threads', () => {
    for (const r of reports) {
      const s = r.speed!;
      assert.equal(s.batch1!.batch, 1);
      assert.equal(s.batch!.batch, FAST.batch);
      for (const m of [s.batch1!, s.batch!]) {
        assert.ok(m.sparqMs > 0 && m.ortMs > 0);
        assert.equal(m.ratio, m.ortMs / m.sparqMs);
      }
    }
  });

  it('formats the steps side by side as markdown; the JSON is the same objects', () => {
    const text = formatReport(reports);
    const lines = text.split('\n');
    assert.ok(lines[0].includes('| fp32 | pruned | int8 |'), lines[0]);
    assert.ok(lines.some((l) => l.startsWith('| top-1 accuracy, sparq | 100.00% |')));
    assert.ok(lines.some((l) => l.startsWith('| onnxruntime / sparq, batch 8 |')));
    const conv2 = lines.find((l) => l.startsWith('| conv2 |'))!;
    assert.match(conv2, /\| 0\.00% float32 \[64x32x3x3\] \S+ \| 80\.\d\d% float32 \[64x32x3x3\] \S+ \| \d\.\d\d% int8 \[64x32x3x3\] q\S+ \|$/);
    assert.deepEqual(JSON.parse(JSON.stringify(reports)), reports);
  });

  it('takes the model as bytes, runs one-channel (Fashion-MNIST) models, and skips timing when asked', async () => {
    const image = [1, 28, 28] as const;
    const graph = cifarCnn({ image, seed: 4 });
    const { data: gray } = await labelledBy(graph, image);
    const r = await reportModel(encodeOnnxModel(graph), { data: gray, batch: 7, timing: false });
    assert.deepEqual([r.name, r.accuracy, r.ortAccuracy, r.speed], ['model', 1, 1, null]);
    assert.equal(r.sizeBytes, encodeOnnxModel(graph).length);
  });

  it('counts a quantized weight equal to its per-channel zero point as zero', () => {
    const graph: OnnxGraph = {
      nodes: [
        { opType: 'DequantizeLinear', name: 'w.dq', inputs: ['w.q', 'w.scale', 'w.zp'], outputs: ['w'], attributes: { axis: 0 } },
        { opType: 'Gemm', name: 'fc', inputs: ['x', 'w'], outputs: ['y'], attributes: { transB: 1 } },
      ],
      initializers: [
        { name: 'w.q', type: 'uint8', dims: [2, 3], data: Uint8Array.of(1, 1, 5, 2, 7, 2) },
        { name: 'w.scale', type: 'float', dims: [2], data: Float32Array.of(0.1, 0.2) },
        { name: 'w.zp', type: 'uint8', dims: [2], data: Uint8Array.of(1, 2) },
      ],
      inputs: [{ name: 'x', type: 'float', dims: [1, 3] }],
      outputs: [{ name: 'y', type: 'float', dims: [1, 2] }],
    };
    assert.deepEqual(weightLayers(readOnnx(encodeOnnxModel(graph)).graph, new Map([['fc', 'gemm']])), [{ name: 'fc', op: 'Gemm', weightDims: [2, 3], sparsity: 4 / 6, type: 'uint8', kernel: 'gemm' }]);
  });

  it("top1Accuracy() scores the model in sparq alone, as reportModel() does", async () => {
    assert.equal(await top1Accuracy(encodeOnnxModel(fp32), data, { batch: 7 }), reports[0].accuracy);
    assert.equal(await top1Accuracy(encodeOnnxModel(pruned), data, { threads: 1 }), reports[1].accuracy);
    await assert.rejects(top1Accuracy(fp32 as never, data), { name: 'TypeError', message: /model/ });
    await assert.rejects(top1Accuracy(encodeOnnxModel(fp32), {} as never), { name: 'TypeError', message: /data/ });
    await assert.rejects(top1Accuracy(encodeOnnxModel(fp32), data, { batch: 0 }), { name: 'RangeError', message: /options\.batch/ });
    await assert.rejects(top1Accuracy(encodeOnnxModel(fp32), data, { threads: 0 }), { name: 'RangeError', message: /options\.threads/ });
  });

  it('names the bad argument', async () => {
    await assert.rejects(reportModel(fp32, undefined as never), { name: 'TypeError', message: /options/ });
    await assert.rejects(reportModel(fp32, {} as never), { name: 'TypeError', message: /options\.data/ });
    await assert.rejects(reportModel('model.onnx' as never, { data }), { name: 'TypeError', message: /model/ });
    await assert.rejects(reportModel(fp32, { data, batch: 0 }), { name: 'RangeError', message: /options\.batch/ });
    await assert.rejects(reportModel(fp32, { data, threads: 0 }), { name: 'RangeError', message: /options\.threads/ });
    await assert.rejects(reportModel(fp32, { data, budgetMs: 0.5 }), { name: 'RangeError', message: /options\.budgetMs/ });
    await assert.rejects(reportModel(fp32, { data, name: '' }), { name: 'TypeError', message: /options\.name/ });
    await assert.rejects(reportModel(fp32, { data, timing: 1 as never }), { name: 'TypeError', message: /options\.timing/ });
    const empty = dataset(new Float32Array(0), new Uint8Array(0), [0, 32, 32, 3]);
    await assert.rejects(reportModel(fp32, { data: empty }), { name: 'RangeError', message: /options\.data/ });
    const gray = dataset(new Float32Array(2 * 32 * 32), new Uint8Array(2), [2, 32, 32, 1]);
    await assert.rejects(reportModel(fp32, { data: gray, timing: false }), { name: 'RangeError', message: /model takes \[batch, 3, 32, 32\], which does not fit the data's images \[N, H, W, C\] = \[N, 32, 32, 1\]/ });
    assert.throws(() => formatReport([]), { name: 'RangeError', message: /reports/ });
    assert.throws(() => formatReport('x' as never), { name: 'TypeError', message: /reports/ });
    assert.throws(() => formatReport([{}] as never), { name: 'TypeError', message: /reports\[0\]/ });
  });
});
