/**
 * compress.pipeline() end to end on small files in Fashion-MNIST's and
 * CIFAR-10's formats (random images: what is checked is the pipeline, not
 * what it learns): the models it makes and writes, that they run in sparq
 * as in onnxruntime-node, the sparsity reached, the report; a short run on
 * the installed Fashion-MNIST; every bad option named before any work.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { cpu } from '../../src/backends/cpu/backend.js';
import { DatasetNotFoundError, loadCifar10, loadFashionMnist } from '../../src/compress/data/index.js';
import { pipeline, type PipelineOptions, type PipelineResult } from '../../src/compress/pipeline.js';
import { seedCnn } from '../../src/compress/seed-cnn.js';
import { exportOnnx } from '../../src/compress/train/onnx.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { cifarCnn } from '../fixtures/cifar-cnn.js';
import { rejects, tempDir, type TempDir } from './data/files.js';
import { assertRunsLikeOrt, writeCifar10, writeFashionMnist } from './pipeline-files.js';

const quiet = { progress: 'none', log: () => {} } as const;

/** Share of zeros in `graph`'s initializer `name`. */
function zeros(result: PipelineResult, model: string, name: string): number {
  const w = result.models.find((m) => m.name === model)!.graph.initializers!.find((t) => t.name === name)!.data as Float32Array;
  return w.filter((v) => v === 0).length / w.length;
}

/** models.json in `out` names every model's file and its sparq accuracy, as the result does; each file runs like onnxruntime. */
async function assertWritten(result: PipelineResult, out: string, test: Parameters<typeof assertRunsLikeOrt>[1]): Promise<void> {
  const written = JSON.parse(readFileSync(join(out, 'models.json'), 'utf8'));
  assert.equal(written.images, result.models[0].report.images);
  assert.deepEqual(Object.keys(written.files), result.models.map((m) => m.name));
  for (const m of result.models) {
    assert.equal(written.files[m.name], m.file);
    assert.equal(written.accuracy[m.name], m.report.accuracy);
    await assertRunsLikeOrt(join(out, m.file!), test);
  }
}

describe('compress: seedCnn()', () => {
  it('on 32x32x3 is the CIFAR-10 CNN the runtime tests run: the same ops, weights and dims', () => {
    const ours = exportOnnx(seedCnn({ input: [32, 32, 3] }));
    const fixture = cifarCnn();
    const layers = (g: OnnxGraph) => g.nodes.filter((n) => n.opType !== 'Relu' && n.opType !== 'Flatten').map((n) => n.opType);
    assert.deepEqual(layers(ours), layers(fixture));
    const dims = (g: OnnxGraph) => Object.fromEntries(g.initializers!.map((t) => [t.name, t.dims]));
    assert.deepEqual(dims(ours), dims(fixture));
    assert.deepEqual(ours.inputs[0].dims!.slice(1), [3, 32, 32]);
  });

  it('scales its widths and names bad options', () => {
    const dims = exportOnnx(seedCnn({ input: [28, 28, 1], width: 0.5, classes: 5 })).initializers!.filter((t) => t.dims.length > 1).map((t) => t.dims);
    assert.deepEqual(dims, [[16, 1, 3, 3], [32, 16, 3, 3], [32, 32, 3, 3], [32, 288], [5, 32]]);
    assert.throws(() => seedCnn({ input: [17, 17, 1] }), rejects(RangeError, /^options\.input must be at least 18 x 18/));
    assert.throws(() => seedCnn({ input: [28, 28, 1], width: 0 }), rejects(RangeError, /^options\.width must be in \(0, 16\]/));
    assert.throws(() => seedCnn({ input: [28, 28, 1], classes: 1 }), rejects(RangeError, /^options\.classes must be an integer/));
    assert.throws(() => seedCnn({ input: [28, 28] as unknown as [number, number, number] }), /options\.input/);
  });
});

describe('compress: pipeline()', function () {
  this.timeout(300_000);
  let dir: TempDir;
  let fashion: string, cifar: string;
  before(() => {
    dir = tempDir('pipeline');
    fashion = writeFashionMnist(dir, 300, 64);
    cifar = writeCifar10(dir, 40, 64);
  });
  after(() => dir.remove());

  it('Fashion-MNIST files: trains, prunes (50% unstructured), distills and quantizes; writes six models that run as in onnxruntime', async () => {
    const out = join(dir.dir, 'fm-out');
    const result = await pipeline({
      ...quiet, data: { dataset: 'fashion-mnist', path: fashion }, model: { epochs: 1 }, batchSize: 64, out, timing: false,
      prune: { pattern: 'unstructured', sparsity: 0.5, epochs: 1, finetune: 1 }, distill: { width: 0.5, epochs: 1 }, quantize: { calibration: 'minmax', images: 100 },
    });
    assert.deepEqual(result.models.map((m) => m.name), ['fp32', 'fp32 50%', 'student fp32', 'int8', 'int8 50%', 'student int8']);
    assert.deepEqual(result.models.map((m) => m.file), ['fp32.onnx', 'fp32-50.onnx', 'student-fp32.onnx', 'int8.onnx', 'int8-50.onnx', 'student-int8.onnx']);
    // conv1 and the classifier stay dense; the weights between are pruned to the target.
    for (const name of ['conv2.weight', 'conv3.weight', 'fc1.weight']) assert.ok(Math.abs(zeros(result, 'fp32 50%', name) - 0.5) < 0.01, name);
    for (const name of ['conv1.weight', 'fc2.weight']) assert.equal(zeros(result, 'fp32 50%', name), 0);
    const pruned = result.models.find((m) => m.name === 'int8 50%')!.report;
    assert.deepEqual(pruned.layers.map((l) => [l.name, l.type, l.sparsity >= 0.5]), [['conv1', 'int8', false], ['conv2', 'int8', true], ['conv3', 'int8', true], ['fc1', 'int8', true], ['fc2', 'int8', false]]);
    const student = result.models.find((m) => m.name === 'student fp32')!.report;
    assert.deepEqual(student.layers.map((l) => l.weightDims), [[16, 1, 3, 3], [32, 16, 3, 3], [32, 32, 3, 3], [32, 288], [10, 32]]);
    for (const { report } of result.models) {
      assert.equal(report.images, 64);
      assert.equal(report.agreement, 1);
      assert.equal(report.accuracy, report.ortAccuracy);
      assert.ok(report.sizeBytes > 0 && report.sizeGzipBytes > 0 && report.weights > 0);
      assert.equal(report.speed, null);
    }
    assert.match(result.table, /\| top-1 accuracy, sparq \|/);
    assert.match(result.table, /\| conv2 \| .* \| 50\.00% float32 \[64x32x3x3\]/);
    await assertWritten(result, out, loadFashionMnist({ path: fashion }).test);
  });

  it('CIFAR-10 files: 75% [4 x 1] blocks, per-tensor 7-bit int8, timed; runs as in onnxruntime', async () => {
    const out = join(dir.dir, 'cifar-out');
    const callers = cpu.info().threads;
    const result = await pipeline({
      ...quiet, data: { dataset: 'cifar10', path: cifar, images: 150, testImages: 32 }, model: { epochs: 1 }, batchSize: 50, out, budgetMs: 5, threads: 1,
      prune: { pattern: 'blocks', sparsity: 0.75, epochs: 1, finetune: 0 }, quantize: { perChannel: false, reduceRange: true, images: 64 },
    });
    assert.deepEqual(result.models.map((m) => m.name), ['fp32', 'fp32 75% blocks', 'int8', 'int8 75% blocks']);
    const fp32 = result.models[0].report;
    assert.deepEqual(fp32.layers.map((l) => l.weightDims), [[32, 3, 3, 3], [64, 32, 3, 3], [64, 64, 3, 3], [64, 1024], [10, 64]]);
    // [4 x 1] blocks: four output channels at one input channel and tap are all pruned or all kept.
    for (const name of ['conv2.weight', 'conv3.weight', 'fc1.weight']) {
      assert.ok(Math.abs(zeros(result, 'fp32 75% blocks', name) - 0.75) < 0.01, name);
      const t = result.models[1].graph.initializers!.find((i) => i.name === name)!;
      const w = t.data as Float32Array, inner = w.length / t.dims[0];
      for (let o = 0; o < t.dims[0]; o += 4)
        for (let k = 0; k < inner; k++) assert.equal(new Set([0, 1, 2, 3].map((r) => w[(o + r) * inner + k] === 0)).size, 1, `${name} block at ${o}, ${k}`);
    }
    const int8 = result.models[2].graph;
    assert.deepEqual(int8.initializers!.find((t) => t.name === 'conv2.weight.scale')!.dims, []);
    assert.ok((int8.initializers!.find((t) => t.name === 'conv2.weight.q')!.data as Int8Array).every((v) => Math.abs(v) <= 64));
    for (const { report } of result.models) {
      assert.equal(report.speed?.threads, 1);
      assert.equal(cpu.info().threads, callers, "the caller's thread count is back after the call");
      assert.ok(report.speed!.batch1!.sparqMs > 0 && report.speed!.batch1!.ortMs > 0);
    }
    await assertWritten(result, out, loadCifar10(cifar, {}).test);
  });

  it('starts from an ONNX model as it is, prunes it 2:4 and quantizes nothing', async () => {
    const first = await pipeline({ ...quiet, data: { dataset: 'fashion-mnist', path: fashion, images: 64 }, model: { epochs: 1 }, quantize: 'none', out: join(dir.dir, 'onnx-in'), timing: false });
    const onnx = join(dir.dir, 'onnx-in', 'fp32.onnx');
    const result = await pipeline({
      ...quiet, data: { dataset: 'fashion-mnist', path: fashion, images: 64 }, model: { onnx }, quantize: 'none', timing: false,
      prune: { pattern: '2:4', epochs: 1, finetune: 0 },
    });
    assert.deepEqual(result.models.map((m) => [m.name, m.file]), [['fp32', undefined], ['fp32 2:4', undefined]]);
    // Used as it is: the same weights, the same accuracy.
    assert.deepEqual(result.models[0].graph.initializers!.find((t) => t.name === 'fc1.weight')!.data, first.models[0].graph.initializers!.find((t) => t.name === 'fc1.weight')!.data);
    assert.equal(result.models[0].report.accuracy, first.models[0].report.accuracy);
    // Two of every four weights along the input channels at each output and tap are 0.
    const t = result.models[1].graph.initializers!.find((i) => i.name === 'conv2.weight')!;
    const w = t.data as Float32Array;
    for (let o = 0; o < 64; o++)
      for (let c = 0; c < 32; c += 4)
        for (let k = 0; k < 9; k++) assert.ok([0, 1, 2, 3].filter((r) => w[(o * 32 + c + r) * 9 + k] === 0).length >= 2, `conv2 at ${o}, ${c}, ${k}`);
  });

  it('a short run on the installed Fashion-MNIST (1000 images, 3 epochs) learns, and its int8 model keeps the accuracy', async function () {
    try {
      loadFashionMnist();
    } catch (e) {
      if (!(e instanceof DatasetNotFoundError) || process.env.SPARQ_REQUIRE_FASHION_MNIST === '1') throw e;
      this.skip();
    }
    const result = await pipeline({ ...quiet, data: { dataset: 'fashion-mnist', images: 1000, testImages: 1000 }, model: { epochs: 3 }, timing: false });
    const [fp32, int8] = result.models.map((m) => m.report.accuracy);
    assert.ok(fp32 > 0.55, `fp32 ${fp32}`);
    assert.ok(Math.abs(int8 - fp32) < 0.02, `int8 ${int8}, fp32 ${fp32}`);
  });

  describe('names every bad option before any work', () => {
    const base = { ...quiet, data: { dataset: 'fashion-mnist', path: '/nonexistent/fashion-mnist' } } as const;
    const CASES: [string, Record<string, unknown>, RegExp, ErrorConstructor][] = [
      ['data', { data: undefined }, /^options\.data must be an object/, TypeError],
      ['dataset', { data: { dataset: 'mnist' } }, /^options\.data\.dataset must be one of 'fashion-mnist', 'cifar10'/, RangeError],
      ['cifar10 without a path', { data: { dataset: 'cifar10' } }, /^options\.data\.path must name CIFAR-10's directory/, TypeError],
      ['images', { data: { ...base.data, images: 0 } }, /^options\.data\.images must be an integer/, RangeError],
      ['testImages', { data: { ...base.data, testImages: 1.5 } }, /^options\.data\.testImages must be an integer/, RangeError],
      ['epochs', { model: { epochs: 0 } }, /^options\.model\.epochs must be an integer in \[1, 10000\]/, RangeError],
      ['learningRate', { model: { learningRate: 0 } }, /^options\.model\.learningRate must be in \(0, 10\]/, RangeError],
      ['onnx', { model: { onnx: 5 } }, /^options\.model\.onnx must be a non-empty path string/, TypeError],
      ['prune.pattern', { prune: { pattern: '4:8' } }, /^options\.prune\.pattern must be one of/, RangeError],
      ['prune.sparsity', { prune: { pattern: 'blocks', sparsity: 1 } }, /^options\.prune\.sparsity must be in \[0, 1\)/, RangeError],
      ['prune.sparsity 0', { prune: { pattern: 'unstructured', sparsity: 0 } }, /^options\.prune\.sparsity must be above 0/, RangeError],
      ['prune.sparsity for 2:4', { prune: { pattern: '2:4', sparsity: 0.75 } }, /^options\.prune\.sparsity must be 0\.5 \(or left out\) for 2:4/, RangeError],
      ['prune.params', { prune: { pattern: 'unstructured', params: [] } }, /^options\.prune\.params must be a non-empty array/, TypeError],
      ['prune.params names', { prune: { pattern: 'unstructured', params: ['conv2.weight', 'conv2.bias', 'nope'] } }, /^options\.prune\.params names 'conv2\.bias', 'nope', not a conv or dense weight/, RangeError],
      ['prune.epochs', { prune: { pattern: 'unstructured', epochs: 0 } }, /^options\.prune\.epochs must be an integer in \[1/, RangeError],
      ['prune.finetune', { prune: { pattern: 'unstructured', finetune: -1 } }, /^options\.prune\.finetune must be an integer in \[0/, RangeError],
      ['distill.width', { distill: { width: 1.5 } }, /^options\.distill\.width must be in \[0, 1\]/, RangeError],
      ['distill.epochs', { distill: { width: 0.5, epochs: 0 } }, /^options\.distill\.epochs must be an integer/, RangeError],
      ['quantize', { quantize: 'int4' }, /^options\.quantize must be an object of int8 options or 'none'/, RangeError],
      ['quantize.calibration', { quantize: { calibration: 'kl' } }, /^options\.quantize\.calibration must be one of 'minmax', 'percentile', 'entropy', 'mse'/, RangeError],
      ['quantize.perChannel', { quantize: { perChannel: 1 } }, /^options\.quantize\.perChannel must be a boolean/, TypeError],
      ['quantize.reduceRange', { quantize: { reduceRange: 'yes' } }, /^options\.quantize\.reduceRange must be a boolean/, TypeError],
      ['quantize.images', { quantize: { images: 0 } }, /^options\.quantize\.images must be an integer/, RangeError],
      ['out', { out: '' }, /^options\.out must be a non-empty path string/, TypeError],
      ['threads', { threads: 0 }, /^options\.threads must be an integer/, RangeError],
      ['timing', { timing: 'no' }, /^options\.timing must be a boolean/, TypeError],
      ['budgetMs', { budgetMs: -1 }, /^options\.budgetMs must be an integer/, RangeError],
      ['batchSize', { batchSize: 0 }, /^options\.batchSize must be an integer/, RangeError],
      ['seed', { seed: -1 }, /^options\.seed must be an integer/, RangeError],
      ['progress', { progress: 'loud' }, /^options\.progress must be 'auto', 'bar', 'json', 'none' or a function/, RangeError],
      ['log', { log: 'stderr' }, /^options\.log must be a function/, TypeError],
    ];
    for (const [what, options, message, type] of CASES)
      it(what, async () => {
        // The data path does not exist: the option's error comes first.
        await assert.rejects(pipeline({ ...base, ...options } as PipelineOptions), rejects(type, message));
      });

    it('distill with an ONNX model', async () => {
      const onnx = dir.write('seed.onnx', encodeOnnxModel(exportOnnx(seedCnn({ input: [28, 28, 1] }))));
      await assert.rejects(pipeline({ ...base, model: { onnx }, distill: { width: 0.5 } }), rejects(RangeError, /^options\.distill needs the built-in CNN/));
    });

    it('a missing dataset: the loader\'s error', async () => {
      await assert.rejects(pipeline({ ...base, model: { epochs: 1 } }), rejects(DatasetNotFoundError, /Fashion-MNIST not found: options\.path = \/nonexistent\/fashion-mnist does not exist/));
      await assert.rejects(pipeline({ ...quiet, data: { dataset: 'cifar10', path: dir.dir } }), rejects(DatasetNotFoundError, /CIFAR-10 binary files missing in/));
    });
  });
});
