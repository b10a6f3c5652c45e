/**
 * The direct convolution kernels (cpu.conv2d) on the CIFAR-10 CNN's three
 * layers, against onnxruntime-node's Conv (+ Relu + MaxPool where the CNN
 * pools, the fusion sparq runs) on the same shapes and threads: dense
 * weights, 90% unstructured (CSR) and 90% pruned in [4 output x 4 input
 * channel] blocks (block4); then the same weights quantized to int8 on
 * uint8 images against onnxruntime's QLinearConv (+ MaxPool on the uint8
 * values), sparq on its 8-bit kernel (qu8s8-conv2d, VNNI) where the CPU has
 * it. The per-stored-weight cost of each format against the float dense
 * kernel is what the conv operator's cost model (src/backends/cpu/conv/) weighs to pick a layer's path.
 *
 * GFLOP/s counts 2 flops per stored weight (all of them dense, the
 * nonzeros in CSR, whole 4-channel blocks in block4) per output position.
 * --isa caps the kernels this process dispatches to (cpu.setIsaLimit), to
 * time the AVX2 or the scalar variants on a machine that has more.
 * --set mobile runs MobileNetV2's pointwise and the mobile / ResNet strided
 * layers instead (bench/conv-mobile.ts; batches 16 and 1 by default), --set
 * all both.
 *
 *   npm run bench:conv
 *   npm run bench:conv -- --threads 2 --batch 1
 *   npm run bench:conv -- --isa avx2 --batch 64 --quick
 *   npm run bench:conv:mobile [-- --threads 2 --quick]
 */
import { parseArgs } from 'node:util';
import { cpu, tensor } from '../src/index.js';
import { blockDensity, hasInt8ConvKernel } from '../src/backends/cpu/conv2d.js';
import { pruneBlocks, seededRandom } from '../test/fixtures/cifar-cnn.js';
import { benchMobileConvs } from './conv-mobile.js';
import { convGraph, ort, ortSession, qconvGraph } from './ort-models.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, isa: { type: 'string', default: 'none' }, set: { type: 'string', default: 'cifar' } },
});
if (!['cifar', 'mobile', 'all'].includes(values.set)) throw new RangeError('--set must be cifar, mobile or all');
const threads = Number(values.threads);
const batches = (values.batch ?? ['64', '1']).map(Number);
const cifar = values.set !== 'mobile';
const budgetMs = values.quick ? 500 : 2000;

/** [name, input channels, size, output channels, pooled] of the CIFAR CNN's convs (3x3, no padding). */
const LAYERS: [string, number, number, number, boolean][] = [['conv1', 3, 32, 32, true], ['conv2', 32, 15, 64, true], ['conv3', 64, 6, 64, false]];
const POOL = { kernelShape: [2, 2], strides: [2, 2] } as const;
/** The int8 rows' quantization: uint8 images at 1/255 around 128, per-tensor int8 weights, uint8 output. */
const Q = { xScale: 1 / 255, xZero: 128, yScale: 0.05, yZero: 0 };

cpu.setThreads(threads);
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
console.log(`CPU: ${cpu.info().isa}; ISA limit ${values.isa}; onnxruntime-node ${ort.env.versions.common}; ${threads} thread(s)`);
if (cifar) {
  console.log('\n| layer | batch | weights | density (4-blocks) | sparq format | sparq ms | sparq GFLOP/s | ort ms | ratio | sparq vs its dense, per stored weight |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
}
for (const batch of cifar ? batches : [])
  for (const [name, c, h, oc, pooled] of LAYERS) {
    const random = seededRandom(h * 31 + c);
    const dense = Float32Array.from({ length: oc * c * 9 }, () => random() * 0.3);
    const bias = Float32Array.from({ length: oc }, () => random() * 0.1);
    const x = Float32Array.from({ length: batch * c * h * h }, () => (random() + 1) / 2);
    let denseMs = NaN;
    const sets = [['dense', dense, 'dense'], ['90% pruned', pruneBlocks(dense, oc, 1, 0.9), 'csr'], ['90% block-pruned', pruneBlocks(dense, oc, 4, 0.9, 9), 'block4']] as const;
    const rows: string[] = [];
    const ms = (s: number) => (s * 1e3).toFixed(batch === 1 ? 4 : 3);
    const row = (weights: string, w: Float32Array, format: string, ours: number, theirs: number, stored: number) => {
      const perWeight = format === 'dense' ? '1' : (ours / denseMs / stored).toFixed(2);
      const density = `${(blockDensity(w, oc, 1) * 100).toFixed(0)}% (${(blockDensity(w, oc, 4, 4, 9) * 100).toFixed(0)}%)`;
      // 3x3 without padding: (h - 2)^2 output positions per channel.
      const gflops = (2 * (format === 'dense' ? 1 : stored) * oc * c * 9 * batch * (h - 2) ** 2) / ours / 1e9;
      rows.push(`| ${name} | ${batch} | ${weights} | ${density} | ${format} | ${ms(ours)} | ${gflops.toFixed(1)} | ${ms(theirs)} | **${(theirs / ours).toFixed(2)}x** | ${perWeight} |`);
    };
    for (const [weights, w, format] of sets) {
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
      row(weights, w, format, ours.p50, theirs.p50, blockDensity(w, oc, format === 'block4' ? 4 : 1));
    }
    // The same weights in int8 (per tensor, symmetric) on uint8 images.
    const xq = Uint8Array.from(x, (v) => Math.min(255, Math.round(v / Q.xScale) + Q.xZero - 128));
    for (const [weights, w] of sets) {
      const wScale = Math.max(...Array.from(w, Math.abs)) / 127;
      const wq = Int8Array.from(w, (v) => Math.round(v / wScale));
      const packed = cpu.packConvWeights(tensor('int8', [oc, c, 3, 3], wq, { scale: wScale }), { sparse: true, blockRows: 4 });
      const input = tensor('uint8', [batch, c, h, h], xq, { scale: Q.xScale, zeroPoint: Q.xZero });
      const options = { output: 'uint8' as const, outScale: Q.yScale, outZeroPoint: Q.yZero, pool: pooled ? POOL : undefined };
      const out = cpu.conv2d(input, packed, options).data as Uint8Array;
      const ours = await timeIt(() => cpu.conv2d(input, packed, { ...options, out }), { budgetMs });
      const session = await ortSession(qconvGraph(batch, c, h, oc, pooled, wq, { xScale: Q.xScale, xZeroPoint: Q.xZero, wScale, yScale: Q.yScale, yZeroPoint: Q.yZero }), threads);
      const feeds = { x: new ort.Tensor('uint8', xq, [batch, c, h, h]) };
      const theirs = await timeIt(() => session.run(feeds), { budgetMs });
      await session.release();
      row(`${weights}, int8`, w, hasInt8ConvKernel() ? 'int8 (VNNI)' : 'int8 (float kernels)', ours.p50, theirs.p50, blockDensity(w, oc, 4, 4, 9));
    }
    for (const r of rows) console.log(r);
  }
if (values.set !== 'cifar') await benchMobileConvs((values.batch ?? ['16', '1']).map(Number), threads, budgetMs);
