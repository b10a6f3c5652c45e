/**
 * The direct convolution kernels (cpu.conv2d) on the CIFAR-10 CNN's three
 * layers, against onnxruntime-node's Conv (+ Relu + MaxPool where the CNN
 * pools, the fusion sparq runs) on the same shapes and threads: dense
 * weights, 90% unstructured (CSR) and 90% pruned in blocks of 4 output
 * channels (block4). The per-stored-weight cost of CSR and block4 against
 * dense is what src/runtime/ops/conv-direct.ts uses to pick a layer's format.
 *
 *   npm run bench:conv
 *   npm run bench:conv -- --threads 2 --batch 1
 */
import { parseArgs } from 'node:util';
import { cpu, tensor } from '../src/index.js';
import { blockDensity } from '../src/kernels/conv2d.js';
import type { OnnxGraph, OnnxNode } from '../src/runtime/onnx/write.js';
import { pruneBlocks, seededRandom } from './models/cifar-cnn.js';
import { ort, ortSession } from './ort-models.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false } } });
const threads = Number(values.threads);
const batches = (values.batch ?? ['64', '1']).map(Number);
const budgetMs = values.quick ? 500 : 2000;

/** [name, input channels, size, output channels, pooled] of the CIFAR CNN's convs (3x3, no padding). */
const LAYERS: [string, number, number, number, boolean][] = [['conv1', 3, 32, 32, true], ['conv2', 32, 15, 64, true], ['conv3', 64, 6, 64, false]];
const POOL = { kernelShape: [2, 2], strides: [2, 2] } as const;

function convGraph(n: number, c: number, h: number, oc: number, pooled: boolean, w: Float32Array, bias: Float32Array): OnnxGraph {
  const nodes: OnnxNode[] = [
    { opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { kernel_shape: [3, 3] } },
    { opType: 'Relu', inputs: ['c'], outputs: [pooled ? 'r' : 'y'] },
  ];
  if (pooled) nodes.push({ opType: 'MaxPool', inputs: ['r'], outputs: ['y'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } });
  return {
    nodes,
    inputs: [{ name: 'x', type: 'float', dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type: 'float', dims: null }],
    initializers: [{ name: 'w', type: 'float', dims: [oc, c, 3, 3], data: w }, { name: 'b', type: 'float', dims: [oc], data: bias }],
  };
}

cpu.setThreads(threads);
console.log(`CPU: ${cpu.info().isa}; onnxruntime-node ${ort.env.versions.common}; ${threads} thread(s)`);
console.log('\n| layer | batch | weights | density (4-blocks) | sparq format | sparq ms | ort ms | ratio | sparq vs its dense, per stored weight |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [name, c, h, oc, pooled] of LAYERS) {
    const random = seededRandom(h * 31 + c);
    const dense = Float32Array.from({ length: oc * c * 9 }, () => random() * 0.3);
    const bias = Float32Array.from({ length: oc }, () => random() * 0.1);
    const x = Float32Array.from({ length: batch * c * h * h }, () => (random() + 1) / 2);
    let denseMs = NaN;
    for (const [weights, w, format] of [['dense', dense, 'dense'], ['90% pruned', pruneBlocks(dense, oc, 1, 0.9), 'csr'], ['90% block-pruned', pruneBlocks(dense, oc, 4, 0.9), 'block4']] as const) {
      const packed = cpu.packConvWeights(tensor('float32', [oc, c, 3, 3], w), format === 'dense' ? {} : { sparse: true, blockRows: format === 'csr' ? 1 : 4 });
      const input = tensor('float32', [batch, c, h, h], x);
      const options = { bias, activation: 'relu' as const, pool: pooled ? POOL : undefined };
      const out = cpu.conv2d(input, packed, options).data as Float32Array;
      const ours = await timeIt(() => cpu.conv2d(input, packed, { ...options, out }), { budgetMs });
      const session = await ortSession(convGraph(batch, c, h, oc, pooled, w, bias), threads);
      const feeds = { x: new ort.Tensor('float32', x, [batch, c, h, h]) };
      const theirs = await timeIt(() => session.run(feeds), { budgetMs });
      await session.release();
      if (format === 'dense') denseMs = ours.p50;
      const stored = blockDensity(w, oc, format === 'block4' ? 4 : 1);
      const perWeight = format === 'dense' ? '1' : (ours.p50 / denseMs / stored).toFixed(2);
      const density = `${(blockDensity(w, oc, 1) * 100).toFixed(0)}% (${(blockDensity(w, oc, 4) * 100).toFixed(0)}%)`;
      const ms = (s: number) => (s * 1e3).toFixed(batch === 1 ? 4 : 3);
      console.log(`| ${name} | ${batch} | ${weights} | ${density} | ${format} | ${ms(ours.p50)} | ${ms(theirs.p50)} | **${(theirs.p50 / ours.p50).toFixed(2)}x** | ${perWeight} |`);
    }
  }
