/**
 * Per-node times of onnxruntime-node next to sparq's, summed by layer kind,
 * for one benchmark model (test/fixtures/benchmark-models.ts) at 1 thread:
 * onnxruntime's own profiler (session option enableProfiling, the JSON
 * endProfiling() writes: each node's "<name>_kernel_time" event, nodes as its
 * QDQ fusions leave them) and a profiling sparq session (layout auto). Each
 * node's median over the runs, summed per kind ('conv 1x1/1', 'depthwise
 * 3x3/2', ... for convs, the op type otherwise), so the table says where
 * sparq is ahead and where it is only at par. Profiling slows both runtimes
 * (onnxruntime more, per node): read the per-kind ratios against the
 * unprofiled whole-run ratio printed last, timed interleaved in the same
 * process.
 *
 *   npx tsx bench/ort-node-profile.ts --model mobilenetv2-96 --batch 1
 *   npx tsx bench/ort-node-profile.ts --model mobilenetv2-224 --variant int8 --runs 500
 *
 * --model: mobilenetv2-224, mobilenetv2-96, mobilenetv3-small-224,
 * resnet18-224; --variant: fp32, int8 (default), int8-pruned, fp32-pruned;
 * --batch (default 1); --runs per measurement (default 200).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { cpu } from '../src/index.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { InferenceSession } from '../src/runtime/session.js';
import { BENCHMARK_MODELS, toVariant, type BenchmarkModel, type Variant } from '../test/fixtures/benchmark-models.js';
import { randomImages } from '../test/fixtures/cifar-cnn.js';
import { ort } from './ort-models.js';

const MODELS: Record<string, [BenchmarkModel, number]> = {
  'mobilenetv2-224': ['mobilenetv2', 224],
  'mobilenetv2-96': ['mobilenetv2', 96],
  'mobilenetv3-small-224': ['mobilenetv3-small', 224],
  'resnet18-224': ['resnet18', 224],
};
const VARIANTS: Record<string, Variant> = { fp32: 'fp32 dense', int8: 'int8 dense', 'int8-pruned': 'int8 90% block-pruned', 'fp32-pruned': 'fp32 90% block-pruned' };

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mobilenetv2-96' },
    variant: { type: 'string', default: 'int8' },
    batch: { type: 'string', default: '1' },
    runs: { type: 'string', default: '200' },
  },
});
if (!(values.model! in MODELS)) throw new RangeError(`--model ${values.model}: expected one of ${Object.keys(MODELS).join(', ')}`);
if (!(values.variant! in VARIANTS)) throw new RangeError(`--variant ${values.variant}: expected one of ${Object.keys(VARIANTS).join(', ')}`);
const [model, size] = MODELS[values.model!];
const batch = Number(values.batch), runs = Number(values.runs);
cpu.setThreads(1);

const graph = await toVariant(BENCHMARK_MODELS[model]({ size }), VARIANTS[values.variant!]);
const kinds = new Map<string, string>();
for (const n of graph.nodes) {
  if (n.opType !== 'Conv' || n.name === undefined) continue;
  const [k] = n.attributes?.kernel_shape as number[], [s] = n.attributes?.strides as number[];
  kinds.set(n.name, `${n.attributes?.group === 1 ? 'conv' : 'depthwise'} ${k}x${k}/${s}`);
}
/** A node's kind: its conv's, found by the fixture's node name both runtimes keep in theirs, else its op type. */
const kindOf = (node: string, opType: string) => (/Conv/.test(opType) && kinds.get(node.match(/[a-z]+_\d+\.node/)?.[0] ?? '')) || opType;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** Per kind: [sum of the kind's per-node medians in ms, nodes]. */
function byKind(times: Map<string, number[]>, kind: Map<string, string>): Map<string, [number, number]> {
  const sums = new Map<string, [number, number]>();
  for (const [node, t] of times) {
    const [ms, n] = sums.get(kind.get(node)!) ?? [0, 0];
    sums.set(kind.get(node)!, [ms + median(t), n + 1]);
  }
  return sums;
}

const bytes = encodeOnnxModel(graph);
const dims = [batch, 3, size, size];
const x = randomImages(batch, [3, size, size], 9);
const ortOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } as const;
const ortFeeds = { input: new ort.Tensor('float32', x, dims) };
const feeds = { input: { type: 'float32' as const, dims, data: x } };

const dir = mkdtempSync(join(tmpdir(), 'sparq-ort-profile-'));
const profiled = await ort.InferenceSession.create(bytes, { ...ortOptions, enableProfiling: true, profileFilePrefix: join(dir, 'ort') });
for (let i = 0; i < 20 + runs; ++i) await profiled.run(ortFeeds);
profiled.endProfiling();
const ortTimes = new Map<string, number[]>(), ortKinds = new Map<string, string>();
for (const file of readdirSync(dir)) {
  for (const e of JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name: string } }[]) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    if (!ortTimes.has(node)) ortTimes.set(node, []);
    ortTimes.get(node)!.push(e.dur / 1000);
    ortKinds.set(node, kindOf(node, e.args.op_name));
  }
}
rmSync(dir, { recursive: true });
for (const [node, t] of ortTimes) ortTimes.set(node, t.slice(-runs));

const session = await InferenceSession.create(bytes, { threads: 1, layout: 'auto', profile: true });
for (let i = 0; i < 20; ++i) session.runSync(feeds);
const sparqTimes = new Map<string, number[]>(), sparqKinds = new Map<string, string>();
for (let i = 0; i < runs; ++i) {
  const before = new Map(session.profile().map((p) => [p.node, p.totalMs]));
  session.runSync(feeds);
  for (const p of session.profile()) {
    if (!sparqTimes.has(p.node)) sparqTimes.set(p.node, []);
    sparqTimes.get(p.node)!.push(p.totalMs - (before.get(p.node) ?? 0));
    sparqKinds.set(p.node, kindOf(p.node, p.opType));
  }
}
const ortSums = byKind(ortTimes, ortKinds), sparqSums = byKind(sparqTimes, sparqKinds);

// Whole runs without profiling, interleaved.
const plainOrt = await ort.InferenceSession.create(bytes, ortOptions);
const plainSparq = await InferenceSession.create(bytes, { threads: 1, layout: 'auto' });
const wholeOrt: number[] = [], wholeSparq: number[] = [];
for (let i = 0; i < runs; ++i) {
  let t = performance.now();
  await plainOrt.run(ortFeeds);
  wholeOrt.push(performance.now() - t);
  t = performance.now();
  plainSparq.runSync(feeds);
  wholeSparq.push(performance.now() - t);
}

console.log(`${values.model} ${VARIANTS[values.variant!]}, batch ${batch}, 1 thread: per kind, the sum of its nodes' median ms over ${runs} profiled runs (onnxruntime's nodes after its fusions)`);
console.log('| kind | onnxruntime nodes | onnxruntime ms | sparq nodes | sparq ms | ratio |');
console.log('|---|---|---|---|---|---|');
const keys = [...new Set([...ortSums.keys(), ...sparqSums.keys()])].sort((a, b) => (ortSums.get(b)?.[0] ?? 0) - (ortSums.get(a)?.[0] ?? 0));
let ortTotal = 0, sparqTotal = 0;
for (const key of keys) {
  const [om, on] = ortSums.get(key) ?? [0, 0], [sm, sn] = sparqSums.get(key) ?? [0, 0];
  ortTotal += om;
  sparqTotal += sm;
  console.log(`| ${key} | ${on} | ${om.toFixed(3)} | ${sn} | ${sm.toFixed(3)} | ${on && sn ? `${(om / sm).toFixed(2)}x` : '-'} |`);
}
console.log(`| all nodes | | ${ortTotal.toFixed(3)} | | ${sparqTotal.toFixed(3)} | ${(ortTotal / sparqTotal).toFixed(2)}x |`);
console.log(`unprofiled whole runs, medians: onnxruntime ${median(wholeOrt).toFixed(3)} ms, sparq ${median(wholeSparq).toFixed(3)} ms, ratio ${(median(wholeOrt) / median(wholeSparq)).toFixed(2)}x`);
