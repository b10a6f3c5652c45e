/**
 * Depthwise conv layers (MobileNetV2's 3x3 ones and an EfficientNet-style
 * 5x5) on cpu's f32-dwconv2d (NCHW) and f32-dwconv2d-nhwc (the same layer
 * on the channels-last image the NHWC layout keeps between convs), each
 * planned once as the conv operators run them, against onnxruntime-node's
 * Conv(group = C) on the same shapes (NCHW: its single-node layout), bias
 * included, at the same thread count; with each layer's efficiency against
 * the two bounds that could bind it, measured in the same run:
 *
 *  - memory: the bytes the layer must move (x read once, y written once,
 *    4 bytes each; weights negligible) over a STREAM-like copy bandwidth:
 *    the same bytes copied (Float32Array.set, split across `threads` worker
 *    threads, best of 5), so a layer whose planes fit in cache is held to
 *    the cache's copy rate, a large one to DRAM's;
 *  - FMA: KH*KW multiply-adds per output over the register-only FMA peak of
 *    the running variant's ISA (bench/peak.ts, one thread) times `threads`.
 *
 * The binding bound is the larger (slower) of the two; "eff" is that bound's
 * time over sparq's (100% = at the bound). Depthwise convs do ~1 FMA per
 * byte moved, so memory binds every one of them.
 *
 *   npm run bench:dwconv
 *   npm run bench:dwconv -- --threads 2 --batch 1 --batch 8
 *   npm run bench:dwconv -- --isa avx2 --quick
 *
 *   npm run bench:dwconv:nhwc          (= --layout nhwc: the channels-last rows only)
 *
 * Prints one markdown table, one row per layer and layout (`--layout nchw`,
 * `nhwc` or `both`, the default: NCHW, then NHWC): layer, layout, batch,
 * sparq ms, ort ms (onnxruntime's Conv on the NCHW image in both rows: its
 * single-node layout), ratio (ort / sparq, > 1 = sparq faster), copy-bound
 * ms (GB/s), FMA-bound ms (the FMA peak of the ISA of the variant that ran),
 * which binds, and sparq's efficiency against it.
 */
import { parseArgs } from 'node:util';
import { cpu, tensor } from '../src/index.js';
import type { OnnxGraph } from '../src/runtime/onnx/write.js';
import { seededRandom } from '../test/fixtures/cifar-cnn.js';
import { copyBound } from './copy-bound.js';
import { ort, ortSession } from './ort-models.js';
import { measurePeaks } from './peak.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, isa: { type: 'string', default: 'none' }, layout: { type: 'string', default: 'both' } } });
if (!['nchw', 'nhwc', 'both'].includes(values.layout)) throw new RangeError(`--layout must be nchw, nhwc or both, not ${values.layout}`);
const layouts = (values.layout === 'both' ? ['NCHW', 'NHWC'] : [values.layout.toUpperCase()]) as ('NCHW' | 'NHWC')[];
const threads = Number(values.threads);
const batches = (values.batch ?? ['1']).map(Number);
const budgetMs = values.quick ? 400 : 1500;

/** [name, channels, input size, kernel, stride]: MobileNetV2's depthwise layers (224x224 input), then a 5x5. */
const LAYERS: [string, number, number, number, number][] = [
  ['mbv2 112x112x32 s1', 32, 112, 3, 1],
  ['mbv2 112x112x96 s2', 96, 112, 3, 2],
  ['mbv2 56x56x144 s1', 144, 56, 3, 1],
  ['mbv2 56x56x144 s2', 144, 56, 3, 2],
  ['mbv2 28x28x192 s1', 192, 28, 3, 1],
  ['mbv2 14x14x576 s1', 576, 14, 3, 1],
  ['mbv2 7x7x960 s1', 960, 7, 3, 1],
  ['5x5 14x14x480 s1', 480, 14, 5, 1],
  ['5x5 28x28x240 s2', 240, 28, 5, 2],
];

function dwGraph(n: number, c: number, h: number, k: number, s: number, w: Float32Array, bias: Float32Array): OnnxGraph {
  const p = Math.floor(k / 2);
  return {
    nodes: [{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], group: c } }],
    inputs: [{ name: 'x', type: 'float', dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type: 'float', dims: null }],
    initializers: [{ name: 'w', type: 'float', dims: [c, 1, k, k], data: w }, { name: 'b', type: 'float', dims: [c], data: bias }],
  };
}

const copies = copyBound(threads);

cpu.setThreads(threads);
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
const variant = cpu.info().variants['f32-dwconv2d'].find((v) => v.supported)!;
const nhwcVariant = cpu.info().variants['f32-dwconv2d-nhwc'].find((v) => v.supported)!;
const peaks = measurePeaks();
const probeOf = (isa: string) => (isa.startsWith('avx512') ? 'avx512-fma' : isa.startsWith('avx2') ? 'avx2-fma' : isa.startsWith('neon') ? 'neon-fma' : undefined);
// Gop/s counts a multiply-add as 2; the scalar variant gets no peak (no probe for scalar FMA).
const fmaRate = (isa: string) => {
  const probe = probeOf(isa);
  return probe && peaks[probe] ? (peaks[probe] / 2) * 1e9 * threads : NaN;
};
const fmaPerSecond = { NCHW: fmaRate(variant.isa), NHWC: fmaRate(nhwcVariant.isa) };
const peakText = layouts.map((l) => `${l} ${probeOf(l === 'NCHW' ? variant.isa : nhwcVariant.isa) ?? 'n/a'} ${(fmaPerSecond[l] / 1e9).toFixed(1)}`).join(', ');
console.log(`CPU: ${cpu.info().isa}; ISA limit ${values.isa}; f32-dwconv2d variant ${variant.name}, f32-dwconv2d-nhwc variant ${nhwcVariant.name}; FMA peak (G FMA/s at ${threads} thread(s)): ${peakText}; onnxruntime-node ${ort.env.versions.common}`);
console.log('\n| layer | layout | batch | sparq ms | ort ms | ratio | copy bound ms (GB/s) | FMA bound ms | binds | sparq eff |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [name, c, h, k, s] of LAYERS) {
    const random = seededRandom(c * 7 + h);
    const p = Math.floor(k / 2), oh = Math.floor((h + 2 * p - k) / s) + 1;
    const x = Float32Array.from({ length: batch * c * h * h }, () => random());
    const w = Float32Array.from({ length: c * k * k }, () => random() * 0.5);
    const bias = Float32Array.from({ length: c }, () => random() * 0.1);
    const y = new Float32Array(batch * c * oh * oh);
    const times = { NCHW: NaN, NHWC: NaN };
    if (layouts.includes('NCHW')) {
      const plan = cpu.planDwconv2d({ type: 'float32', dims: [batch, c, h, h] }, tensor('float32', [c, 1, k, k], w), { strides: [s, s], pads: [p, p, p, p], bias });
      times.NCHW = (await timeIt(() => plan.run(x, y), { budgetMs })).p50;
    }
    if (layouts.includes('NHWC')) {
      // The same layer channels-last (the values need not match the NCHW image's for timing).
      const nhwc = cpu.planDwconv2dNhwc({ type: 'float32', dims: [batch, h, h, c] }, tensor('float32', [c, 1, k, k], w), { strides: [s, s], pads: [p, p, p, p], bias });
      times.NHWC = (await timeIt(() => nhwc.run(x, y), { budgetMs })).p50;
    }
    const session = await ortSession(dwGraph(batch, c, h, k, s, w, bias), threads);
    const feeds = { x: new ort.Tensor('float32', x, [batch, c, h, h]) };
    const theirs = (await timeIt(() => session.run(feeds), { budgetMs })).p50;
    await session.release();
    const moved = x.length + y.length;
    const copy = await copies.seconds(Math.ceil(moved / 2));
    const ms = (t: number) => (t * 1e3).toFixed(4);
    for (const layout of layouts) {
      const t = times[layout], fma = (y.length * k * k) / fmaPerSecond[layout];
      const memoryBinds = !(fma > copy);
      const bound = memoryBinds ? copy : fma;
      console.log(`| ${name} | ${layout} | ${batch} | ${ms(t)} | ${ms(theirs)} | **${(theirs / t).toFixed(2)}x** | ${ms(copy)} (${((moved * 4) / copy / 1e9).toFixed(1)}) | ${ms(fma)} | ${memoryBinds ? 'memory' : 'FMA'} | ${((bound / t) * 100).toFixed(0)}% |`);
    }
  }
await copies.close();
