/**
 * The compression toolkit end to end on real data: Debian's Fashion-MNIST
 * (`apt-get install dataset-fashion-mnist`, or --data DIR /
 * $SPARQ_FASHION_MNIST). Trains the seed CNN (conv 32-64-64, dense 64, 10
 * classes) on sparq's kernels, prunes conv2, conv3 and fc1 in [4 x 1]
 * blocks with masked fine-tuning, quantizes both the dense and the pruned
 * model to QDQ int8 (per-channel weights, entropy-calibrated activations),
 * writes the four .onnx files and prints formatReport()'s table: accuracy in
 * sparq and onnxruntime-node, their agreement, sizes, per-layer sparsity and
 * kernel, and speed side by side.
 *
 *   npm run example:fashion-mnist                                  # 2 epochs + 1 of fine-tuning
 *   npm run example:fashion-mnist -- --images 6000 --epochs 1      # a quick look
 *   npm run example:fashion-mnist -- --sparsity 0.9 --out /tmp/fm  # where the .onnx files go
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { compress, cpu } from '../src/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    images: { type: 'string', default: '60000' },
    epochs: { type: 'string', default: '2' },
    finetune: { type: 'string', default: '1' },
    sparsity: { type: 'string', default: '0.8' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string', default: 'fashion-mnist-models' },
    progress: { type: 'string', default: 'auto' },
  },
});
const count = Number(values.images), epochs = Number(values.epochs), finetune = Number(values.finetune), sparsity = Number(values.sparsity);
if (!(count >= 128 && epochs >= 1 && finetune >= 0 && sparsity >= 0 && sparsity < 1))
  throw new RangeError('--images >= 128, --epochs >= 1, --finetune >= 0 and --sparsity in [0, 1) please');
cpu.setThreads(Number(values.threads));
const progress = values.progress === 'none' ? 'none' : values.progress === 'json' ? 'json' : 'auto';

const data = compress.loadFashionMnist({ path: values.data });
const train = count < data.train.labels.length ? compress.sample(data.train, count, 1) : data.train;
const batches = new compress.Batches(train, { batchSize: 128, seed: 7 });
const testBatches = new compress.Batches(data.test, { batchSize: 500, shuffle: false });

const { conv2d, dense, flatten, maxPool, relu, sequential } = compress;
const network = sequential(
  [
    conv2d(1, 32, { kernelShape: [3, 3], name: 'conv1' }), relu(), maxPool({ kernelShape: [2, 2], strides: [2, 2] }),
    conv2d(32, 64, { kernelShape: [3, 3], name: 'conv2' }), relu(), maxPool({ kernelShape: [2, 2], strides: [2, 2] }),
    conv2d(64, 64, { kernelShape: [3, 3], name: 'conv3' }), relu(), flatten(),
    dense(576, 64, { name: 'fc1' }), relu(), dense(64, 10, { name: 'fc2' }),
  ],
  { input: [28, 28, 1] },
);

function fit(epochCount: number, lr: number) {
  const results = compress.train(network, {
    train: () => batches.epoch(),
    epochs: epochCount,
    optimizer: compress.sgd(network.params(), { momentum: 0.9 }),
    schedule: compress.cosineLr(lr, { totalSteps: epochCount * batches.count }),
    validation: () => testBatches.epoch(),
    progress,
  });
  const last = results[results.length - 1];
  console.error(`  ${epochCount} epoch(s), ${results.map((r) => `${(r.seconds).toFixed(1)} s`).join(', ')}; test accuracy ${(100 * (last.validation?.accuracy ?? NaN)).toFixed(2)}%`);
}

console.error(`training the seed CNN on ${train.labels.length} Fashion-MNIST images`);
fit(epochs, 0.05);
const dense32 = compress.exportOnnx(network);

// Masks on the trainer's params keep the pruned weights at 0 through fine-tuning; conv1 and the classifier stay dense.
const pruned = network.params().filter((p) => ['conv2.weight', 'conv3.weight', 'fc1.weight'].includes(p.name));
for (const p of pruned) compress.maskParam(p, compress.blockMask(compress.paramWeight(p), sparsity));
console.error(`pruned conv2, conv3 and fc1 to ${sparsity} in [4 x 1] blocks; fine-tuning`);
if (finetune > 0) fit(finetune, 0.01);
const pruned32 = compress.exportOnnx(network);

const calibration = compress.sample(data.train, 512, 2);
const feeds = [{ input: { type: 'float32', dims: [calibration.labels.length, 1, 28, 28], data: calibration.images } }];
const quantizeOptions = { perChannel: true, calibration: { method: 'entropy' as const } };
const dense8 = (await compress.quantize(dense32, feeds, quantizeOptions)).graph;
const pruned8 = (await compress.quantize(pruned32, feeds, quantizeOptions)).graph;

mkdirSync(values.out, { recursive: true });
const models = { 'fp32': dense32, 'int8': dense8, 'fp32 pruned': pruned32, 'int8 pruned': pruned8 };
const reports = [];
for (const [name, graph] of Object.entries(models)) {
  writeFileSync(join(values.out, `seed-cnn-${name.replace(' ', '-')}.onnx`), compress.encodeOnnxModel(graph));
  reports.push(await compress.reportModel(graph, { data: data.test, name, threads: Number(values.threads) }));
}
console.log(compress.formatReport(reports));
console.log(`\nmodels written to ${values.out}/`);
