/**
 * One training epoch of the seed CNN on Fashion-MNIST, as a user builds and
 * trains it with compress.train (NHWC 28x28x1 -> conv3x3 32 + ReLU -> MaxPool
 * 2 -> conv3x3 64 + ReLU -> MaxPool 2 -> conv3x3 64 + ReLU -> Flatten ->
 * Dense 64 + ReLU -> Dense 10; softmax cross-entropy, SGD momentum 0.9, lr
 * 0.01, batch 128): issue 15's speed target, set against PyTorch's epoch
 * (bench/torch/seed-cnn-epoch.py, BENCHMARKS.md "Training baseline").
 * Prints each epoch's wall seconds (train()'s own figure), the process CPU
 * seconds of all epochs, the forward and backward ms per layer kind summed
 * over them (each layer's calls timed; the rest is loss, optimizer and
 * batching), and a hash of the trained weights.
 *
 *   npm run bench:train-epoch                      (60k images, 1 thread, 1 epoch)
 *   npm run bench:train-epoch -- --images 6400 --epochs 2 --isa avx2
 *   node --cpu-prof --import tsx bench/train-epoch.ts --images 6400
 */
import { parseArgs } from 'node:util';

import { cpu } from '../src/backends/cpu/backend.js';
import { Batches, conv2d, dense, flatten, loadFashionMnist, MaxPool, maxPool, relu, sequential, sgd, subset, train, type Layer } from '../src/compress/index.js';
import type { IsaLimit } from '../src/native.js';
import type { Tensor } from '../src/tensor.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '60000' },
    epochs: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    isa: { type: 'string', default: 'none' },
  },
});
cpu.setThreads(Number(values.threads));
cpu.setIsaLimit(values.isa as IsaLimit);

const { train: full } = loadFashionMnist();
const images = Math.min(Number(values.images), full.dims[0]);
const data = images === full.dims[0] ? full : subset(full, Uint32Array.from({ length: images }, (_, i) => i));

const conv = (name: string, c: number, oc: number) => conv2d(c, oc, { name, kernelShape: [3, 3] });
const layers: Layer[] = [
  conv('conv1', 1, 32), relu(), maxPool({ name: 'pool1', kernelShape: [2, 2], strides: [2, 2] }),
  conv('conv2', 32, 64), relu(), maxPool({ name: 'pool2', kernelShape: [2, 2], strides: [2, 2] }),
  conv('conv3', 64, 64), relu(), flatten(),
  dense(576, 64, { name: 'fc1' }), relu(), dense(64, 10, { name: 'fc2' }),
];

// Per layer kind, the epoch's forward and backward ms: each layer's methods wrapped in a clock.
const spent = new Map<string, { forward: number; backward: number }>();
for (const layer of layers) {
  const kind = layer.kind === 'Conv' ? `Conv ${(layer as ReturnType<typeof conv2d>).weight.name}` : layer.kind;
  const t = spent.get(kind) ?? { forward: 0, backward: 0 };
  spent.set(kind, t);
  const forward = layer.forward.bind(layer), backward = layer.backward.bind(layer);
  layer.forward = (x, mode) => {
    const start = performance.now();
    const y = forward(x, mode);
    t.forward += performance.now() - start;
    return y;
  };
  layer.backward = ((dy: Tensor<'float32'>, needInputGrad: boolean = true) => {
    const start = performance.now();
    const dx = backward(dy, needInputGrad);
    t.backward += performance.now() - start;
    return dx;
  }) as Layer['backward'];
  // A pool over a ReLU's output runs this backward instead (the network fuses the ReLU's into it).
  if (layer instanceof MaxPool) {
    const throughRelu = layer.backwardThroughRelu.bind(layer);
    layer.backwardThroughRelu = (dy) => {
      const start = performance.now();
      const dx = throughRelu(dy);
      t.backward += performance.now() - start;
      return dx;
    };
  }
}

const network = sequential(layers, { input: [28, 28, 1] });
const batches = new Batches(data, { batchSize: Number(values.batch), seed: 1 });
const cpuStart = process.cpuUsage();
const results = train(network, {
  train: () => batches.epoch(),
  epochs: Number(values.epochs),
  optimizer: sgd(network.params(), { momentum: 0.9 }),
  schedule: 0.01,
  progress: 'none',
});

const cpuUsed = process.cpuUsage(cpuStart);
console.log(`seed CNN, ${images} images, batch ${values.batch}, ${values.threads} thread(s), ISA ${cpu.info().isa}`);
for (const r of results) console.log(`epoch ${r.epoch + 1}: ${r.seconds.toFixed(2)} s, loss ${r.loss.toFixed(4)}, accuracy ${(r.accuracy * 100).toFixed(2)}%`);
const total = results.reduce((a, r) => a + r.seconds, 0) * 1000;
// Process CPU time beside the wall time: this machine is shared, and other work stretches the wall clock.
console.log(`all epochs: ${(total / 1000).toFixed(2)} s wall, ${((cpuUsed.user + cpuUsed.system) / 1e6).toFixed(2)} s CPU`);
let layerMs = 0;
console.log(`ms over ${results.length} epoch(s):\n| layer | forward | backward |\n|---|---|---|`);
for (const [kind, t] of spent) {
  layerMs += t.forward + t.backward;
  console.log(`| ${kind} | ${t.forward.toFixed(0)} | ${t.backward.toFixed(0)} |`);
}
console.log(`| rest (loss, optimizer, batches) | ${(total - layerMs).toFixed(0)} | |`);
// FNV-1a of the trained weights' bits: equal hashes show a change kept training bit-identical (1 thread, same seeds).
let hash = 0x811c9dc5;
for (const p of network.params()) for (const b of new Uint8Array(p.value.buffer, p.value.byteOffset, p.value.byteLength)) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
console.log(`weights hash ${hash.toString(16).padStart(8, '0')}`);
