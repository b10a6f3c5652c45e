/**
 * The planned GEMMs of the MobileNets' 1x1 convolutions alone: in the NHWC
 * layout a pointwise conv is one GEMM on the image, A = [N*H*W, C] pixels x
 * channels, B = the packed [C, OC] weights. Every distinct 1x1 shape of
 * MobileNetV2-224 and MobileNetV3-small-224 (the squeeze-excite convs on
 * pooled 1x1 maps excepted) at each batch, fp32 (planGemm: bias + ReLU6, as
 * the models fuse it) and int8 (planQGemm: uint8 x int8 per-tensor, int32
 * bias, uint8 output clamped to ReLU6), against onnxruntime-node's MatMul and
 * QLinearMatMul on the same [M, K] x [K, N] shape and threads.
 *
 * Prints per shape: G multiply-adds/s of sparq and % of the peak bench/peak.ts
 * measures (fp32: avx512-fma or avx2-fma, by the variant's ISA; int8: the
 * vpdpbusd or vpmaddwd/vpmaddubsw rate as multiply-adds), onnxruntime's
 * G multiply-adds/s, the ratio (onnxruntime time / sparq time, > 1: sparq
 * faster), and per model the totals weighted by how often each shape occurs.
 * The peak is measured in the same run; on a core shared with other work (an
 * SMT sibling, a loaded machine) it reads low and % of it can pass 100.
 *
 * Timing: sparq runs the plan `reps` times per sample (harness cost
 * amortized); onnxruntime runs one session of `reps` copies of the node on the
 * same input, at graph optimization 'disabled' (so no pass merges the copies),
 * into preallocated outputs (no copy into JS arrays), so its per-run cost is
 * amortized the same way.
 *
 *   npm run bench:gemm-mobile -- --quick
 *   npm run bench:gemm-mobile -- --model mobilenetv2-224 --batch 1 --type fp32 [--isa avx2] [--no-ort]
 */
import { parseArgs } from 'node:util';

import { cpu, packWeights, tensor } from '../src/index.js';
import { planGemm } from '../src/backends/cpu/gemm.js';
import { planQGemm } from '../src/backends/cpu/qgemm.js';
import type { OnnxGraph, OnnxTensor } from '../src/runtime/onnx/write.js';
import { seededRandom } from '../test/fixtures/cifar-cnn.js';
import { MOBILENET_V2_TABLE, MOBILENET_V3_SMALL_TABLE } from '../test/fixtures/benchmark-models.js';
import { ort } from './ort-models.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { measurePeaks } from './peak.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', multiple: true },
    batch: { type: 'string', multiple: true },
    type: { type: 'string', multiple: true },
    threads: { type: 'string', default: '1' },
    isa: { type: 'string', default: 'none' },
    quick: { type: 'boolean', default: false },
    'no-ort': { type: 'boolean', default: false },
  },
});
const threads = Number(values.threads);
const budgetMs = values.quick ? 250 : 1000;

/** One 1x1 conv as a GEMM at batch 1: pixels M, input channels K, output channels N. */
interface Shape { m: number; k: number; n: number }

/** MobileNetV2's 1x1 convs at a square input of `size`: stem /2, then the inverted residual table. */
function mobileNetV2Shapes(size: number): Shape[] {
  const shapes: Shape[] = [];
  let side = Math.ceil(size / 2), channels = 32;
  for (const [t, c, n, s] of MOBILENET_V2_TABLE) {
    for (let i = 0; i < n; i++) {
      const hidden = channels * t;
      if (t !== 1) shapes.push({ m: side * side, k: channels, n: hidden });
      if (i === 0) side = Math.ceil(side / s);
      shapes.push({ m: side * side, k: hidden, n: c });
      channels = c;
    }
  }
  shapes.push({ m: side * side, k: channels, n: 1280 });
  return shapes;
}

/** MobileNetV3-small's 1x1 convs (expand, project, the last 1x1 to 576). */
function mobileNetV3SmallShapes(size: number): Shape[] {
  const shapes: Shape[] = [];
  let side = Math.ceil(size / 2), channels = 16;
  for (const [, expanded, out, , , stride] of MOBILENET_V3_SMALL_TABLE) {
    if (expanded !== channels) shapes.push({ m: side * side, k: channels, n: expanded });
    side = Math.ceil(side / stride);
    shapes.push({ m: side * side, k: expanded, n: out });
    channels = out;
  }
  shapes.push({ m: side * side, k: channels, n: 576 });
  return shapes;
}

const MODELS: Record<string, () => Shape[]> = {
  'mobilenetv2-224': () => mobileNetV2Shapes(224),
  'mobilenetv3-small': () => mobileNetV3SmallShapes(224),
};

/** Distinct shapes in order of first use, with how often each occurs. */
function distinct(shapes: Shape[]): (Shape & { count: number })[] {
  const byKey = new Map<string, Shape & { count: number }>();
  for (const s of shapes) {
    const key = `${s.m}x${s.k}x${s.n}`;
    const seen = byKey.get(key);
    if (seen) seen.count++;
    else byKey.set(key, { ...s, count: 1 });
  }
  return [...byKey.values()];
}

const Q = { xScale: 1 / 64, xZeroPoint: 128, wScale: 0.004, yScale: 6 / 255, yZeroPoint: 0 };

/** `copies` independent copies of one MatMul (fp32) or QLinearMatMul (int8) node on the same X and W. */
function ortGraph(type: 'fp32' | 'int8', s: Shape, w: Float32Array | Int8Array, copies: number): OnnxGraph {
  const scalar = (name: string, t: 'float' | 'uint8' | 'int8', v: number): OnnxTensor =>
    ({ name, type: t, dims: [], data: t === 'float' ? Float32Array.of(v) : t === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v) }) as OnnxTensor;
  const outputs = Array.from({ length: copies }, (_, i) => `Y${i}`);
  const inputs = type === 'fp32' ? ['X', 'W'] : ['X', 'x_s', 'x_zp', 'W', 'w_s', 'w_zp', 'y_s', 'y_zp'];
  const initializers: OnnxTensor[] = type === 'fp32'
    ? [{ name: 'W', type: 'float', dims: [s.k, s.n], data: w as Float32Array }]
    : [
      scalar('x_s', 'float', Q.xScale), scalar('x_zp', 'uint8', Q.xZeroPoint), { name: 'W', type: 'int8', dims: [s.k, s.n], data: w as Int8Array },
      scalar('w_s', 'float', Q.wScale), scalar('w_zp', 'int8', 0), scalar('y_s', 'float', Q.yScale), scalar('y_zp', 'uint8', Q.yZeroPoint),
    ];
  const elem = type === 'fp32' ? 'float' : 'uint8';
  return {
    nodes: outputs.map((y) => ({ opType: type === 'fp32' ? 'MatMul' : 'QLinearMatMul', inputs, outputs: [y] })),
    inputs: [{ name: 'X', type: elem, dims: [s.m, s.k] }],
    outputs: outputs.map((name) => ({ name, type: elem, dims: [s.m, s.n] })),
    initializers,
  };
}

/** Seconds per onnxruntime node on this shape: `copies` nodes per run, into preallocated outputs. */
async function ortSeconds(type: 'fp32' | 'int8', s: Shape, w: Float32Array | Int8Array, x: Float32Array | Uint8Array): Promise<number> {
  const outBytes = s.m * s.n * (type === 'fp32' ? 4 : 1);
  const copies = Math.max(1, Math.min(8, Math.floor((8 << 20) / outBytes)));
  const session = await ort.InferenceSession.create(encodeOnnxModel(ortGraph(type, s, w, copies)), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'disabled',
  });
  const feeds = { X: new ort.Tensor(type === 'fp32' ? 'float32' : 'uint8', x, [s.m, s.k]) };
  const fetches = Object.fromEntries(Array.from({ length: copies }, (_, i) => [
    `Y${i}`, new ort.Tensor(type === 'fp32' ? 'float32' : 'uint8', type === 'fp32' ? new Float32Array(s.m * s.n) : new Uint8Array(s.m * s.n), [s.m, s.n]),
  ]));
  const t = await timeIt(() => session.run(feeds, fetches), { budgetMs });
  await session.release();
  return t.p50 / copies;
}

/** Seconds per sparq call: `reps` calls per sample, enough for ~0.5 ms. */
async function sparqSeconds(run: () => void): Promise<number> {
  const start = process.hrtime.bigint();
  run();
  const once = Number(process.hrtime.bigint() - start) / 1e9;
  const reps = Math.max(1, Math.min(1000, Math.round(5e-4 / once)));
  const t = await timeIt(() => { for (let i = 0; i < reps; i++) run(); }, { budgetMs });
  return t.p50 / reps;
}

cpu.setThreads(threads);
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
const peaks = measurePeaks();
const variants = cpu.info().variants;
const f32Variant = variants['f32-gemm'].find((v) => v.supported)!;
/** Multiply-adds per second at the peak of the instruction a variant's inner loop is built on (Gop/s counts one as 2). */
function peakMacs(type: 'fp32' | 'int8', isa: string): number {
  const gops = type === 'fp32'
    ? (isa.startsWith('avx512') ? peaks['avx512-fma'] : isa === 'avx2' ? peaks['avx2-fma'] : isa.startsWith('neon') ? peaks['neon-fma'] : NaN)
    : (isa === 'avx512vnni' || isa === 'avx512' ? peaks['avx512-vnni'] : isa === 'avx2' ? peaks['avx2-vpmaddwd'] : isa.startsWith('neon') ? peaks['neon-sdot'] : NaN);
  return (gops / 2) * 1e9 * threads;
}

console.log(`CPU: ${cpu.info().isa}; ISA limit ${values.isa}; ${threads} thread(s); onnxruntime-node ${ort.env.versions.common}; peaks (Gop/s) ${JSON.stringify(peaks)}`);
const models = values.model ?? Object.keys(MODELS);
const batches = (values.batch ?? ['1', '16']).map(Number);
const types = (values.type ?? ['fp32', 'int8']) as ('fp32' | 'int8')[];
const g = (macs: number, seconds: number) => (macs / seconds / 1e9).toFixed(1);
for (const type of types)
  for (const model of models)
    for (const batch of batches) {
      console.log(`\n### ${model} ${type} batch ${batch}\n`);
      console.log('| M x K x N | count | variant | sparq G MAC/s | % peak | ort G MAC/s | ratio |');
      console.log('|---|---|---|---|---|---|---|');
      let macsTotal = 0, sparqTotal = 0, ortTotal = 0, modelIsa = '';
      for (const shape of distinct(MODELS[model]())) {
        const s = { m: shape.m * batch, k: shape.k, n: shape.n };
        const random = seededRandom(s.m + 7 * s.k + 13 * s.n);
        const bias = Float32Array.from({ length: s.n }, () => random());
        let run: () => void, w: Float32Array | Int8Array, x: Float32Array | Uint8Array, isa: string, name: string;
        if (type === 'fp32') {
          const wf = Float32Array.from({ length: s.k * s.n }, () => random() / Math.sqrt(s.k));
          const xf = Float32Array.from({ length: s.m * s.k }, () => random());
          const plan = planGemm({ type: 'float32', dims: [s.m, s.k] }, packWeights(tensor('float32', [s.k, s.n], wf)), { bias, activation: { min: 0, max: 6 } });
          const y = new Float32Array(s.m * s.n);
          run = () => plan.run(xf, y);
          [w, x, isa, name] = [wf, xf, f32Variant.isa, f32Variant.name];
        } else {
          const wq = Int8Array.from({ length: s.k * s.n }, () => Math.round(random() * 127));
          const xq = Uint8Array.from({ length: s.m * s.k }, () => Math.round(128 + random() * 127));
          const packed = packWeights(tensor('int8', [s.k, s.n], wq, { scale: Q.wScale }));
          const plan = planQGemm({ type: 'uint8', dims: [s.m, s.k], scale: Q.xScale, zeroPoint: Q.xZeroPoint }, packed, {
            output: 'uint8', outScale: Q.yScale, outZeroPoint: Q.yZeroPoint, bias: Int32Array.from(bias, (v) => Math.round(v * 1000)), activation: { min: 0, max: 6 },
          });
          const y = new Uint8Array(s.m * s.n);
          run = () => plan.run(xq, y);
          const qv = variants['qu8s8-gemm'].find((v) => v.supported && (packed.narrow || !(v as { needsNarrow?: boolean }).needsNarrow))!;
          [w, x, isa, name] = [wq, xq, qv.isa, qv.name];
        }
        const macs = s.m * s.k * s.n;
        const ours = await sparqSeconds(run);
        const theirs = values['no-ort'] ? NaN : await ortSeconds(type, s, w, x);
        modelIsa = isa;
        macsTotal += macs * shape.count, sparqTotal += ours * shape.count, ortTotal += theirs * shape.count;
        console.log(`| ${s.m} x ${s.k} x ${s.n} | ${shape.count} | ${name} | ${g(macs, ours)} | ${((macs / ours / peakMacs(type, isa)) * 100).toFixed(0)}% | ` +
          `${g(macs, theirs)} | ${(theirs / ours).toFixed(2)}x |`);
      }
      console.log(`| **all 1x1 (weighted)** | | | **${g(macsTotal, sparqTotal)}** | ${((macsTotal / sparqTotal / peakMacs(type, modelIsa)) * 100).toFixed(0)}% | ` +
        `${g(macsTotal, ortTotal)} | **${(ortTotal / sparqTotal).toFixed(2)}x** | `);
      console.log(`sparq ${(sparqTotal * 1e3).toFixed(3)} ms, onnxruntime ${(ortTotal * 1e3).toFixed(3)} ms over the model's 1x1 convs`);
    }
