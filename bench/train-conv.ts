/**
 * The trainer's image layers on the seed CNN's conv stack (Fashion-MNIST
 * 28x28x1 -> conv 3x3 32 -> max pool 2 -> conv 3x3 64 -> max pool 2 -> conv
 * 3x3 64, unpadded, as the issue's CNN), forward ('train') and backward per
 * layer, in ms per batch: medians of --runs alternated passes, process CPU
 * time (this machine is shared: wall time counts other helpers' work).
 * An epoch of Fashion-MNIST is 469 such batches at batch 128.
 *
 *   npx tsx bench/train-conv.ts                  (1 thread, batch 128)
 *   npx tsx bench/train-conv.ts --threads 2 --batch 64 --runs 15 --isa avx2
 */
import { parseArgs } from 'node:util';

import { cpu } from '../src/backends/cpu/backend.js';
import { param, type Layer } from '../src/compress/train/layer.js';
import { Conv2d } from '../src/compress/train/layers/conv2d.js';
import { MaxPool } from '../src/compress/train/layers/pool.js';
import type { IsaLimit } from '../src/native.js';
import { tensor, type Tensor } from '../src/tensor.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', default: '128' }, runs: { type: 'string', default: '9' }, isa: { type: 'string', default: 'none' } } });
cpu.setThreads(Number(values.threads));
cpu.setIsaLimit(values.isa as IsaLimit);
const batch = Number(values.batch), runs = Number(values.runs);

let seed = 1;
const random = (n: number, scale: number) => Float32Array.from({ length: n }, () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed / 2 ** 32 * 2 - 1) * scale;
});
const conv = (name: string, oc: number, c: number) =>
  new Conv2d(param(`${name}.weight`, [oc, c, 3, 3], random(oc * c * 9, Math.sqrt(6 / (c * 9))), true), param(`${name}.bias`, [oc], new Float32Array(oc), false));
const layers: [string, Layer][] = [
  ['conv1 3x3 1->32', conv('conv1', 32, 1)],
  ['pool1 2x2', new MaxPool('pool1', { kernelShape: [2, 2], strides: [2, 2] })],
  ['conv2 3x3 32->64', conv('conv2', 64, 32)],
  ['pool2 2x2', new MaxPool('pool2', { kernelShape: [2, 2], strides: [2, 2] })],
  ['conv3 3x3 64->64', conv('conv3', 64, 64)],
];

const cpuMs = (fn: () => void): number => {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const x = tensor('float32', [batch, 28, 28, 1], random(batch * 28 * 28, 1));
const times = layers.map(() => ({ forward: [] as number[], backward: [] as number[] }));
for (let run = 0; run <= runs; run++) {
  const outputs: Tensor<'float32'>[] = [];
  let h = x;
  layers.forEach(([, layer], i) => {
    const t = cpuMs(() => (h = layer.forward(h, 'train')));
    outputs.push(h);
    if (run > 0) times[i].forward.push(t); // run 0 warms up (plans, scratch arrays)
  });
  let dy = tensor('float32', [...h.dims], random(h.data.length, 1));
  for (let i = layers.length - 1; i >= 0; i--) {
    const t = cpuMs(() => (dy = layers[i][1].backward(dy)));
    if (run > 0) times[i].backward.push(t);
  }
}
console.log(`batch ${batch}, ${values.threads} thread(s), ISA ${cpu.info().isa}, medians of ${runs} runs, CPU ms per batch`);
console.log('| layer | forward | backward |\n|---|---|---|');
let fw = 0, bw = 0;
layers.forEach(([name], i) => {
  const f = median(times[i].forward), b = median(times[i].backward);
  fw += f;
  bw += b;
  console.log(`| ${name} | ${f.toFixed(2)} | ${b.toFixed(2)} |`);
});
console.log(`| total | ${fw.toFixed(2)} | ${bw.toFixed(2)} |`);
console.log(`forward + backward ${(fw + bw).toFixed(1)} ms per batch; x 469 batches = ${((fw + bw) * 469 / 1000).toFixed(1)} s per epoch (convs and pools only)`);
