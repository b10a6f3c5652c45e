/**
 * int8 depthwise convolution (cpu.qdwconv2d on qu8s8-dwconv2d) on
 * MobileNetV2's depthwise layers, against onnxruntime-node's QLinearConv
 * with group = C on the same shapes, quantization and threads: uint8 images
 * (zero point 128), per-channel int8 weights, int32 bias, uint8 output
 * clamped to ReLU6. Every row checks the two outputs are equal first.
 *
 * Efficiency: the time of the binding bound over sparq's time, where
 *   memory:  the bytes the layer must move (x read once, y written once, 1
 *            byte each; weights negligible) copied on the same threads
 *            (bench/copy-bound.ts, as bench/dwconv.ts measures it: a layer
 *            that fits in cache is held to the cache's copy rate);
 *   compute: KH*KW multiply-adds per output (the kernel's pair layout
 *            spends 12 products on a 3x3's 9) at the pair multiply-add peak
 *            of bench/peak.ts times the threads: AVX2's vpmaddwd, for the
 *            AVX-512 variant half the vpdpbusd rate (one 512-bit
 *            instruction, half its products), NEON's smlal.
 * The larger (slower) of the two binds; the table says which.
 *
 *   npm run bench:qdwconv
 *   npm run bench:qdwconv -- --threads 4 --batch 1 --batch 16 --quick
 *   npm run bench:qdwconv -- --isa avx2
 */
import { parseArgs } from 'node:util';

import { cpu, tensor } from '../src/index.js';
import type { OnnxGraph, OnnxTensor } from '../src/runtime/onnx/write.js';
import { seededRandom } from '../test/fixtures/cifar-cnn.js';
import { copyBound } from './copy-bound.js';
import { ort, ortSession } from './ort-models.js';
import { measurePeaks } from './peak.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, isa: { type: 'string', default: 'none' } },
});
const threads = Number(values.threads);
const batches = (values.batch ?? ['1']).map(Number);
const budgetMs = values.quick ? 500 : 2000;

/** [channels, input size, stride, kernel]: MobileNetV2's depthwise layers (224x224 input), and one 5x5. */
const LAYERS: [number, number, number, number][] = [
  [32, 112, 1, 3], [96, 112, 2, 3], [144, 56, 1, 3], [144, 56, 2, 3], [192, 28, 1, 3], [576, 14, 1, 3], [960, 7, 1, 3], [576, 14, 1, 5],
];
const Q = { xScale: 1 / 64, xZero: 128, yScale: 6 / 255, yZero: 0 };

function qdwGraph(n: number, c: number, h: number, stride: number, k: number, w: Int8Array, wScale: Float32Array, bias: Int32Array): OnnxGraph {
  const scalar = (name: string, type: 'float' | 'uint8', v: number): OnnxTensor =>
    ({ name, type, dims: [], data: type === 'float' ? Float32Array.of(v) : Uint8Array.of(v) }) as OnnxTensor;
  const pad = (k - 1) / 2;
  return {
    opset: 13,
    nodes: [{ opType: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['y'], attributes: { kernel_shape: [k, k], group: c, strides: [stride, stride], pads: [pad, pad, pad, pad] } }],
    inputs: [{ name: 'x', type: 'uint8', dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type: 'uint8', dims: null }],
    initializers: [
      scalar('xs', 'float', Q.xScale), scalar('xz', 'uint8', Q.xZero), { name: 'w', type: 'int8', dims: [c, 1, k, k], data: w },
      { name: 'ws', type: 'float', dims: [c], data: wScale }, { name: 'wz', type: 'int8', dims: [c], data: new Int8Array(c) },
      scalar('ys', 'float', Q.yScale), scalar('yz', 'uint8', Q.yZero), { name: 'b', type: 'int32', dims: [c], data: bias },
    ],
  };
}

cpu.setThreads(threads);
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
const variant = cpu.info().variants['qu8s8-dwconv2d'].find((v) => v.supported)!;
const peaks = measurePeaks();
const pairPeak = variant.isa === 'avx512' ? peaks['avx512-vnni'] / 2 : variant.isa === 'avx2' ? peaks['avx2-vpmaddwd'] : variant.isa === 'neon' ? peaks['neon-smlal'] : NaN;
// Gop/s counts a multiply-add as 2; the scalar variant gets no peak.
const macsPerSecond = (pairPeak / 2) * 1e9 * threads;
const copies = copyBound(threads);
console.log(`CPU: ${cpu.info().isa}; ISA limit ${values.isa}; qu8s8-dwconv2d variant ${variant.name}; pair multiply-add peak ${(macsPerSecond / 1e9).toFixed(1)} G/s at ${threads} thread(s); onnxruntime-node ${ort.env.versions.common}`);
console.log('\n| layer | batch | sparq ms | ort ms | ratio | copy bound ms (GB/s) | multiply-add bound ms | binds | sparq eff |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [c, h, stride, k] of LAYERS) {
    const random = seededRandom(c * 7 + h + k);
    const w = Int8Array.from({ length: c * k * k }, () => Math.round(random() * 127));
    const wScale = Float32Array.from({ length: c }, () => 0.002 + 0.01 * Math.abs(random()));
    const bias = Int32Array.from({ length: c }, () => Math.round(random() * 2000));
    const x = Uint8Array.from({ length: batch * c * h * h }, () => Math.round(128 + random() * 127));
    const pad = (k - 1) / 2;
    const input = tensor('uint8', [batch, c, h, h], x, { scale: Q.xScale, zeroPoint: Q.xZero });
    const weights = tensor('int8', [c, 1, k, k], w, { scale: wScale, axis: 0 });
    const plan = cpu.planQdwconv2d(input, weights, {
      strides: [stride, stride], pads: [pad, pad, pad, pad], bias, output: 'uint8', outScale: Q.yScale, outZeroPoint: Q.yZero, activation: { min: 0, max: 6 },
    });
    const y = new Uint8Array(plan.result.dims.reduce((a, b) => a * b, 1));
    plan.run(x, y);
    const session = await ortSession(qdwGraph(batch, c, h, stride, k, w, wScale, bias), threads);
    const feeds = { x: new ort.Tensor('uint8', x, [batch, c, h, h]) };
    const expected = (await session.run(feeds)).y.data as Uint8Array;
    const differ = y.reduce((count, v, i) => count + (v !== expected[i] ? 1 : 0), 0);
    const ours = (await timeIt(() => plan.run(x, y), { budgetMs })).p50;
    const theirs = (await timeIt(() => session.run(feeds), { budgetMs })).p50;
    await session.release();
    const moved = x.length + y.length;
    const copy = await copies.seconds(Math.ceil(moved / 8));
    const compute = (y.length * k * k) / macsPerSecond;
    const memoryBinds = !(compute > copy);
    const bound = memoryBinds ? copy : compute;
    const ms = (t: number) => (t * 1e3).toFixed(4);
    const name = `${h}x${h}x${c} ${k}x${k} s${stride}${differ ? ` (${differ} outputs differ from ort)` : ''}`;
    console.log(`| ${name} | ${batch} | ${ms(ours)} | ${ms(theirs)} | **${(theirs / ours).toFixed(2)}x** | ${ms(copy)} (${(moved / copy / 1e9).toFixed(1)}) | ${ms(compute)} | ` +
      `${memoryBinds ? 'memory' : 'multiply-add'} | ${((bound / ours) * 100).toFixed(0)}% |`);
  }
await copies.close();
