/**
 * int8 depthwise convolution on MobileNetV2's depthwise layers, both
 * layouts: NCHW (cpu.planQdwconv2d on qu8s8-dwconv2d) and channels-last
 * (cpu.planQdwconv2dNhwc on qu8s8-dwconv2d-nhwc, x [N, H, W, C], the NHWC
 * layout's kernel), against onnxruntime-node's QLinearConv with group = C on
 * the same shapes, quantization and threads (onnxruntime takes NCHW: its
 * time is the same for both rows): uint8 images (zero point 128),
 * per-channel int8 weights, int32 bias, uint8 output clamped to ReLU6. Every
 * row checks its output equals onnxruntime's first (NHWC: transposed).
 *
 * Efficiency: the time of the binding bound over sparq's time, where
 *   memory:  the bytes the layer must move (x read once, y written once, 1
 *            byte each; weights negligible) copied on the same threads
 *            (bench/copy-bound.ts, as bench/dwconv.ts measures it: a layer
 *            that fits in cache is held to the cache's copy rate);
 *   compute: KH*KW multiply-adds per output (NCHW's pair layout spends 12
 *            products on a 3x3's 9, NHWC's tap pairs 10, NHWC's stacks of 4
 *            kernel rows 12) at the multiply-add peak of bench/peak.ts for
 *            the instruction the variant multiplies with, times the threads:
 *            AVX2's vpmaddwd, for the AVX-512 variant half the vpdpbusd rate
 *            (one 512-bit instruction, half its products), for the AVX-512
 *            VNNI variant (vpdpbusd on weights that fit int8, as these do)
 *            the whole vpdpbusd rate: the machine's int8 multiply-add peak;
 *            NEON's smlal, for the NEON dot variant (SDOT) the sdot rate.
 * The larger (slower) of the two binds; the table says which.
 *
 *   npm run bench:qdwconv
 *   npm run bench:qdwconv -- --layout nhwc --quick     (the channels-last layer only: NHWC int8 depthwise)
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
  options: {
    threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, isa: { type: 'string', default: 'none' },
    layout: { type: 'string', default: 'both' },
  },
});
if (!['nchw', 'nhwc', 'both'].includes(values.layout!)) throw new RangeError(`--layout must be nchw, nhwc or both, not ${values.layout}`);
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

/** [N, C, P] -> [N, P, C] (P pixels). */
function toChannelsLast(v: Uint8Array, n: number, c: number, pixels: number): Uint8Array {
  const out = new Uint8Array(v.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < pixels; p++) out[(i * pixels + p) * c + ch] = v[(i * c + ch) * pixels + p];
  return out;
}

cpu.setThreads(threads);
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
const variant = cpu.info().variants['qu8s8-dwconv2d'].find((v) => v.supported)!;
const nhwcVariant = cpu.info().variants['qu8s8-dwconv2d-nhwc'].find((v) => v.supported)!;
const peaks = measurePeaks();
// Multiply-adds per second at the pair multiply-add peak of a variant's ISA (Gop/s counts one as 2; scalar gets no peak).
const macsPerSecond = (isa: string) =>
  (({ avx512vnni: peaks['avx512-vnni'], avx512: peaks['avx512-vnni'] / 2, avx2: peaks['avx2-vpmaddwd'], neondot: peaks['neon-sdot'], neon: peaks['neon-smlal'] }[isa] ?? NaN) / 2) *
  1e9 * threads;
const copies = copyBound(threads);
console.log(`CPU: ${cpu.info().isa}; ISA limit ${values.isa}; variants ${variant.name} (NCHW), ${nhwcVariant.name} (NHWC); multiply-add peaks ` +
  `${(macsPerSecond(variant.isa) / 1e9).toFixed(1)} G/s (NCHW), ${(macsPerSecond(nhwcVariant.isa) / 1e9).toFixed(1)} G/s (NHWC) at ${threads} thread(s); ` +
  `onnxruntime-node ${ort.env.versions.common}`);
console.log('\n| layer | layout | batch | sparq ms | ort ms | ratio | copy bound ms (GB/s) | multiply-add bound ms | binds | sparq eff |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
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
    const options = {
      strides: [stride, stride] as [number, number], pads: [pad, pad, pad, pad] as [number, number, number, number], bias, output: 'uint8' as const,
      outScale: Q.yScale, outZeroPoint: Q.yZero, activation: { min: 0, max: 6 },
    };
    const plan = cpu.planQdwconv2d(input, weights, options);
    const y = new Uint8Array(plan.result.dims.reduce((a, b) => a * b, 1));
    // The same layer channels-last: x and the expected y transposed to [N, H, W, C].
    const nhwcPlan = cpu.planQdwconv2dNhwc({ ...input, dims: [batch, h, h, c] }, weights, options);
    const [, oh, ow] = nhwcPlan.result.dims;
    const xNhwc = toChannelsLast(x, batch, c, h * h), yNhwc = new Uint8Array(y.length);
    const session = await ortSession(qdwGraph(batch, c, h, stride, k, w, wScale, bias), threads);
    const feeds = { x: new ort.Tensor('uint8', x, [batch, c, h, h]) };
    const expected = (await session.run(feeds)).y.data as Uint8Array;
    const theirs = (await timeIt(() => session.run(feeds), { budgetMs })).p50;
    await session.release();
    const moved = x.length + y.length;
    const copy = await copies.seconds(Math.ceil(moved / 8));
    const rows: [string, string, () => void, Uint8Array, Uint8Array][] = [
      ['NCHW', variant.isa, () => plan.run(x, y), y, expected],
      ['NHWC', nhwcVariant.isa, () => nhwcPlan.run(xNhwc, yNhwc), yNhwc, toChannelsLast(expected, batch, c, oh * ow)],
    ];
    for (const [layout, isa, run, out, want] of rows.filter(([layout]) => values.layout === 'both' || layout.toLowerCase() === values.layout)) {
      run();
      const differ = out.reduce((count, v, i) => count + (v !== want[i] ? 1 : 0), 0);
      const ours = (await timeIt(run, { budgetMs })).p50;
      const compute = (y.length * k * k) / macsPerSecond(isa);
      const memoryBinds = !(compute > copy);
      const bound = memoryBinds ? copy : compute;
      const ms = (t: number) => (t * 1e3).toFixed(4);
      const name = `${h}x${h}x${c} ${k}x${k} s${stride}${differ ? ` (${differ} outputs differ from ort)` : ''}`;
      console.log(`| ${name} | ${layout} | ${batch} | ${ms(ours)} | ${ms(theirs)} | **${(theirs / ours).toFixed(2)}x** | ${ms(copy)} (${(moved / copy / 1e9).toFixed(1)}) | ${ms(compute)} | ` +
        `${memoryBinds ? 'memory' : 'multiply-add'} | ${((bound / ours) * 100).toFixed(0)}% |`);
    }
  }
await copies.close();
