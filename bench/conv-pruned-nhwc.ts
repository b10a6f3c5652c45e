/**
 * Pruned convs (90%, or --prune, of the [4 output x 4 input channel] blocks at each
 * kernel position zeroed, the benchmark models' pruneModel), fp32 and int8
 * (per-tensor symmetric int8 weights on uint8 images, uint8 output), through
 * both conv operators with the session's sparse policy: the NCHW operator's
 * choice (direct sparse, im2col + linear()'s sparse kernel, or dense) against
 * the NHWC operator's (cpu.planSpmmNhwc / cpu.planQSpmmNhwc on the
 * channels-last image or its NHWC im2col rows, where linear()'s crossover
 * picks a sparse layout; else the dense GEMM), and the NHWC operator forced
 * dense.
 *
 *   npm run bench:conv:pruned-nhwc [-- --threads 2 --batch 1 --quick --prune 0.9]
 *
 * Columns: layer, batch, type, the NCHW path and its ms, the NHWC path and its ms,
 * NHWC dense ms, nchw / nhwc (above 1: the NHWC sparse path is faster) and
 * dense / nhwc (above 1: sparse beats dense in NHWC). Times are medians.
 */
import { parseArgs } from 'node:util';

import { cpu } from '../src/index.js';
import { convRunGeometry, type WindowAttributes } from '../src/runtime/ops/conv-attributes.js';
import type { ConvAllocate, ConvValue, ConvWeightSource } from '../src/backends/cpu/conv/layer.js';
import { prepareConv } from '../src/backends/cpu/conv/operator.js';
import { prepareConvNhwc } from '../src/backends/cpu/conv/nhwc.js';
import { sizeOf } from '../src/tensor.js';
import { pruneBlocks, seededRandom } from '../test/fixtures/cifar-cnn.js';
import { timeIt } from './timing.js';

/** [name, input channels, input size, output channels, kernel, stride, pad]. */
type Layer = [string, number, number, number, number, number, number];

const LAYERS: Layer[] = [
  ['1x1 56x56 64->256', 64, 56, 256, 1, 1, 0],
  ['1x1 14x14 256->256', 256, 14, 256, 1, 1, 0],
  ['mbv2 1x1 28x28 32->192', 32, 28, 192, 1, 1, 0],
  ['mbv2 1x1 14x14 96->576', 96, 14, 576, 1, 1, 0],
  ['mbv2 1x1 7x7 160->960', 160, 7, 960, 1, 1, 0],
  ['resnet 3x3 28 128->128', 128, 28, 128, 3, 1, 1],
  ['resnet 3x3/2 28 128->256', 128, 28, 256, 3, 2, 1],
];

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false },
    // The share of blocks zeroed: 1 leaves only the output stage (bias, activation, requantize, stores), the floor no sparsity goes below.
    prune: { type: 'string', default: '0.9' },
  },
});
cpu.setThreads(Number(values.threads));
const batches = (values.batch ?? ['1', '8']).map(Number);
const budgetMs = values.quick ? 300 : 1500;
const prune = Number(values.prune);
if (!(prune >= 0 && prune <= 1)) throw new RangeError(`--prune must be a fraction in [0, 1], got ${values.prune}`);

const buffers = new Map<string, Float32Array | Uint8Array>();
const allocate: ConvAllocate = (type, length) => {
  const key = `${type} ${length}`;
  if (!buffers.has(key)) buffers.set(key, type === 'float32' ? new Float32Array(length) : new Uint8Array(length));
  return buffers.get(key)!;
};

console.log(`\npruned convs, ${prune * 100}% [4 x 4] blocks, ${values.threads} thread(s)\n`);
console.log('| layer | batch | type | nchw path | nchw ms | nhwc path | nhwc ms | nhwc dense ms | nchw / nhwc | dense / nhwc |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [name, c, h, oc, k, s, p] of LAYERS) {
    const random = seededRandom(h * 31 + c + k);
    const taps = k * k;
    const wf = pruneBlocks(Float32Array.from({ length: oc * c * taps }, () => (random() - 0.5) * 0.3), oc, 4, prune, taps);
    const xf = Float32Array.from({ length: batch * c * h * h }, () => random());
    const window: WindowAttributes = { kernel: [k, k], strides: [s, s], dilations: [1, 1], pads: [p, p, p, p], oneD: false };
    const { geometry } = convRunGeometry(window, [batch, c, h, h]);
    const wScale = Math.max(wf.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1e-3) / 127;
    for (const int8 of [false, true]) {
      const weights: ConvWeightSource<'float32' | 'int8'> = int8
        ? { type: 'int8', dims: [oc, c, k, k], data: Int8Array.from(wf, (v) => Math.round(v / wScale)), scales: Float32Array.of(wScale) }
        : { type: 'float32', dims: [oc, c, k, k], data: wf };
      const x: ConvValue<'float32' | 'uint8'> = int8
        ? { type: 'uint8', dims: [batch, c, h, h], data: Uint8Array.from(xf, (v) => Math.round(v * 255)) }
        : { type: 'float32', dims: [batch, c, h, h], data: xf };
      const xQuant = int8 ? { scale: 1 / 255, zeroPoint: 128 } : {};
      const layer = int8
        ? { weights, window, group: 1, output: 'uint8' as const, outScale: 0.05, outZeroPoint: 0, activation: 'relu' as const, bias: new Int32Array(oc).fill(100) }
        : { weights, window, group: 1, output: 'float32' as const, activation: 'relu' as const, bias: new Float32Array(oc).fill(0.1) };
      const nchwOp = prepareConv({ ...layer, sparse: true });
      const nchw = (await timeIt(() => nchwOp.run(x, xQuant, geometry, allocate), { budgetMs })).p50 * 1e3;
      const nhwc = async (sparse: boolean) => {
        const op = prepareConvNhwc({ ...layer, sparse });
        // The image's values as NHWC: the timing does not depend on what they mean.
        const plan = op.plan([batch, h, h, c], xQuant, geometry);
        const y = plan.type === 'float32' ? new Float32Array(sizeOf(plan.dims)) : new Uint8Array(sizeOf(plan.dims));
        return { label: op.label, ms: (await timeIt(() => plan.run(x.data, y), { budgetMs })).p50 * 1e3 };
      };
      const sparse = await nhwc(true);
      const dense = await nhwc(false);
      const f = (ms: number) => ms.toFixed(3);
      console.log(`| ${name} | ${batch} | ${int8 ? 'int8' : 'fp32'} | ${nchwOp.label} | ${f(nchw)} | ${sparse.label} | ${f(sparse.ms)} | ${f(dense.ms)} | **${(nchw / sparse.ms).toFixed(2)}x** | ${(dense.ms / sparse.ms).toFixed(2)}x |`);
    }
  }
