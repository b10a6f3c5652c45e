/**
 * The compression toolkit end to end on real data: Debian's Fashion-MNIST
 * (`apt-get install dataset-fashion-mnist`, or --data DIR /
 * $SPARQ_FASHION_MNIST). On sparq's kernels, as a user would write it:
 *
 *   1. trains the seed CNN (conv 32-64-64, dense 64, 10 classes) from scratch;
 *   2. prunes conv2, conv3 and fc1 three ways from it, each with masked
 *      fine-tuning: 90% unstructured (magnitude, reached gradually), 90% in
 *      [4 x 1] blocks (sparq's fastest float layout), and 2:4;
 *   3. distills a half-width student (conv 16-32-32, dense 32) from it, for
 *      twice the teacher's epochs;
 *   4. quantizes every model to QDQ int8 (per-channel weights, calibrated
 *      activations);
 *   5. writes each .onnx file and models.json (each model's test accuracy
 *      in sparq and its file), and prints formatReport()'s table: accuracy in sparq and
 *      onnxruntime-node, their agreement, sizes, per-layer sparsity and
 *      kernel, speed side by side.
 *
 * The models in models/ are this script's output, committed so that they run
 * without training (test/compress/fashion-mnist-models.test.ts checks them):
 *
 *   npm run example:fashion-mnist                                   # writes examples/fashion-mnist/models
 *   npm run example:fashion-mnist -- --images 6000 --epochs 1 --finetune 1 --out /tmp/fm   # a quick look
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { compress, cpu } from '../../src/index.js';
type Network = compress.Network;
type OnnxGraph = compress.OnnxGraph;
type Param = compress.Param;

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    images: { type: 'string', default: '60000' },
    epochs: { type: 'string', default: '12' },
    finetune: { type: 'string', default: '5' },
    calibration: { type: 'string', default: 'percentile' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string', default: join(import.meta.dirname, 'models') },
    progress: { type: 'string', default: 'auto' },
  },
});
const count = Number(values.images), epochs = Number(values.epochs), finetune = Number(values.finetune), threads = Number(values.threads);
if (!(count >= 128 && epochs >= 1 && finetune >= 1)) throw new RangeError('--images >= 128, --epochs >= 1 and --finetune >= 1 please');
const method = values.calibration as compress.CalibrationMethod;
if (!compress.CALIBRATION_METHODS.includes(method)) throw new RangeError(`--calibration must be one of ${compress.CALIBRATION_METHODS.join(', ')}`);
cpu.setThreads(threads);
const progress = values.progress === 'none' || values.progress === 'json' ? values.progress : 'auto';
const log = (line: string) => console.error(line);

const data = compress.loadFashionMnist({ path: values.data });
const trainSet = count < data.train.labels.length ? compress.sample(data.train, count, 1) : data.train;
const batches = new compress.Batches(trainSet, { batchSize: 128, seed: 7 });
const testBatches = () => new compress.Batches(data.test, { batchSize: 500, shuffle: false }).epoch();

/** The seed CNN at `width` (1: conv 32-64-64, dense 64). */
const seedCnn = (width: number): Network => compress.seedCnn({ input: [28, 28, 1], width });

/** SGD with momentum, cosine-decayed from `lr`, validated on the test set after each epoch. */
function fit(network: Network, epochCount: number, lr: number): void {
  const results = compress.train(network, {
    train: () => batches.epoch(),
    epochs: epochCount,
    optimizer: compress.sgd(network.params(), { momentum: 0.9, weightDecay: 5e-4 }),
    schedule: compress.cosineLr(lr, { totalSteps: epochCount * batches.count }),
    validation: testBatches,
    progress,
  });
  const last = results[results.length - 1];
  log(`  ${epochCount} epoch(s) of ${results.map((r) => `${r.seconds.toFixed(1)} s`).join(', ')}; test accuracy ${(100 * (last.validation?.accuracy ?? NaN)).toFixed(2)}%`);
}

// The weights the pruned variants prune: conv1 (one input channel) and the classifier stay dense.
const PRUNED = ['conv2.weight', 'conv3.weight', 'fc1.weight'];
const prunedParams = (network: Network): Param[] => network.params().filter((p) => PRUNED.includes(p.name));
const mask = (network: Network, make: (p: Param) => Uint8Array) => {
  for (const p of prunedParams(network)) compress.maskParam(p, make(p));
};

log(`1. training the seed CNN on ${trainSet.labels.length} Fashion-MNIST images, ${epochs} epochs`);
const teacher = seedCnn(1);
fit(teacher, epochs, 0.05);
const fp32 = compress.exportOnnx(teacher);
const fp32Bytes = compress.encodeOnnxModel(fp32);

const models: Record<string, OnnxGraph> = { 'fp32': fp32 };
log('2. pruning conv2, conv3 and fc1, each variant fine-tuned from the fp32 model');
/**
 * The fp32 model pruned by `maskOf` at each of `steps` in turn (one
 * fine-tuning epoch after each but the last, --finetune after the last).
 */
function pruned(steps: readonly number[], maskOf: (weight: compress.WeightArray, sparsity: number) => Uint8Array): OnnxGraph {
  const network = compress.importOnnx(fp32Bytes);
  steps.forEach((sparsity, i) => {
    mask(network, (p) => maskOf(compress.paramWeight(p), sparsity));
    fit(network, i === steps.length - 1 ? finetune : 1, 0.01);
  });
  return compress.exportOnnx(network);
}
log('   90% unstructured, 50% -> 75% -> 90% (one fine-tuning epoch at each of the first two)');
models['fp32 90%'] = pruned([0.5, 0.75, 0.9], compress.magnitudeMask);
log('   90% in [4 x 1] blocks (four output channels at one input channel and tap), stepped the same way');
models['fp32 90% blocks'] = pruned([0.5, 0.75, 0.9], (w, sparsity) => compress.blockMask(w, sparsity));
log('   2:4 along the input channels');
models['fp32 2:4'] = pruned([0.5], (w) => compress.nmMask(w));

const studentEpochs = 2 * epochs;
log(`3. distilling a half-width student from the fp32 model, ${studentEpochs} epochs (T = 4, alpha = 0.5)`);
{
  const student = seedCnn(0.5);
  const results = await compress.distill(student, fp32Bytes, {
    data: trainSet, batchSize: 128, seed: 7, epochs: studentEpochs, temperature: 4, alpha: 0.5,
    optimizer: compress.sgd(student.params(), { momentum: 0.9, weightDecay: 5e-4 }),
    schedule: compress.cosineLr(0.05, { totalSteps: studentEpochs * Math.ceil(trainSet.labels.length / 128) }),
    validation: data.test, progress,
  });
  log(`  test accuracy ${(100 * (results[results.length - 1].validation?.accuracy ?? NaN)).toFixed(2)}%`);
  models['student fp32'] = compress.exportOnnx(student);
}

log(`4. quantizing every model to QDQ int8 (per-channel weights, ${method} calibration on 1000 training images)`);
const calibration = compress.sample(data.train, 1000, 2);
const feeds = [0, 1, 2, 3].map((k) => ({
  input: { type: 'float32', dims: [250, 1, 28, 28], data: calibration.images.subarray(k * 250 * 784, (k + 1) * 250 * 784) },
}));
for (const name of Object.keys(models)) {
  const { graph } = await compress.quantize(models[name], feeds, { perChannel: true, calibration: { method } });
  models[name.replace('fp32', 'int8')] = graph;
}

log('5. measuring and writing the models');
mkdirSync(values.out, { recursive: true });
const reports = [];
const accuracies: Record<string, number> = {}, files: Record<string, string> = {};
for (const [name, graph] of Object.entries(models)) {
  files[name] = `${name.replace(/[ :%]+/g, '-').replace(/-$/, '')}.onnx`;
  writeFileSync(join(values.out, files[name]), compress.encodeOnnxModel(graph));
  const report = await compress.reportModel(graph, { data: data.test, name, threads, budgetMs: 300 });
  accuracies[name] = report.accuracy;
  reports.push(report);
}
writeFileSync(join(values.out, 'models.json'), `${JSON.stringify({ images: data.test.labels.length, accuracy: accuracies, files }, null, 2)}\n`);
console.log(compress.formatReport(reports));
log(`models and models.json written to ${values.out}`);
