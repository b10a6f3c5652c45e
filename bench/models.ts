/**
 * The benchmark models of the CNN issue (test/fixtures/benchmark-models.ts:
 * MobileNetV2 at 224 and 96, MobileNetV3-small and ResNet-18 at 224), each in
 * fp32 / QDQ int8, dense / 90% block-pruned, timed in sparq's
 * InferenceSession and onnxruntime-node side by side from the same bytes
 * (same threads, onnxruntime at graphOptimizationLevel 'all'): medians of
 * benchmark.js samples, the ratio onnxruntime / sparq (above 1: sparq is
 * faster), then a per-op-type profile of a profiling sparq session on the
 * same feeds, so the table says where the time goes. sparq runs with
 * session option layout 'nchw' and 'nhwc' side by side (--layout both, the
 * default), each with its ratio, and a profile per layout; the auto
 * column says which of the two layout 'auto' (the default) picks.
 *
 *   npm run bench:models                                  # everything (long: the lead's full run)
 *   npm run bench:models -- --quick --model mobilenetv2-96 --batch 1 --variant fp32 --variant int8
 *   npm run bench:models -- --threads 1 --threads 2 --isa avx2
 *   npm run bench:models -- --quick --model mobilenetv2-96 --layout nhwc
 *
 * --model: mobilenetv2-224, mobilenetv2-96, mobilenetv3-small-224,
 * resnet18-224 (repeatable; default all). --variant: fp32, int8,
 * int8-pruned, fp32-pruned (repeatable; default all). --batch (default 1
 * and 16), --threads (default 1), --budget ms per measurement (default
 * 3000, 800 with --quick), --isa caps sparq's kernels (onnxruntime cannot be
 * capped), --top: op types shown per profile (default 6), --layout: nchw,
 * nhwc, auto (what layout 'auto' runs: a pruned model's may keep some convs
 * NCHW, which neither of the others times), both (default: nchw and nhwc)
 * or all three.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { cpu } from '../src/index.js';
import { buildGraph } from '../src/runtime/graph.js';
import { readOnnx } from '../src/runtime/onnx/read.js';
import { encodeOnnxModel, type OnnxGraph } from '../src/runtime/onnx/write.js';
import { convLayoutCost } from '../src/runtime/ops/conv-layout-cost.js';
import { nhwcConv } from '../src/runtime/ops/conv-nhwc.js';
import { runPasses } from '../src/runtime/passes/index.js';
import { chooseNhwc } from '../src/runtime/passes/nhwc-choice.js';
import { InferenceSession, type NodeProfile } from '../src/runtime/session.js';
import { BENCHMARK_MODELS, toVariant, type BenchmarkModel, type Variant } from '../test/fixtures/benchmark-models.js';
import { randomImages } from '../test/fixtures/cifar-cnn.js';
import { ort } from './ort-models.js';
import { timeIt, type Timing } from './timing.js';

const MODELS: Record<string, [BenchmarkModel, number]> = {
  'mobilenetv2-224': ['mobilenetv2', 224],
  'mobilenetv2-96': ['mobilenetv2', 96],
  'mobilenetv3-small-224': ['mobilenetv3-small', 224],
  'resnet18-224': ['resnet18', 224],
};
const VARIANT_NAMES: Record<string, Variant> = {
  fp32: 'fp32 dense',
  int8: 'int8 dense',
  'int8-pruned': 'int8 90% block-pruned',
  'fp32-pruned': 'fp32 90% block-pruned',
};

const { values } = parseArgs({
  options: {
    model: { type: 'string', multiple: true },
    variant: { type: 'string', multiple: true },
    batch: { type: 'string', multiple: true },
    threads: { type: 'string', multiple: true },
    budget: { type: 'string' },
    quick: { type: 'boolean', default: false },
    isa: { type: 'string', default: 'none' },
    top: { type: 'string', default: '6' },
    layout: { type: 'string', default: 'both' },
  },
});

/** The chosen keys of `table` (default all), failing with the valid names. */
function pick<T>(option: string, given: string[] | undefined, table: Record<string, T>): string[] {
  for (const name of given ?? []) if (!(name in table)) throw new RangeError(`--${option} ${name}: expected one of ${Object.keys(table).join(', ')}`);
  return given ?? Object.keys(table);
}

const models = pick('model', values.model, MODELS);
const variants = pick('variant', values.variant, VARIANT_NAMES);
const batches = (values.batch ?? ['1', '16']).map(Number);
const threadCounts = (values.threads ?? ['1']).map(Number);
const budgetMs = Number(values.budget ?? (values.quick ? 800 : 3000));
const top = Number(values.top);
const LAYOUTS = { nchw: ['nchw'], nhwc: ['nhwc'], auto: ['auto'], both: ['nchw', 'nhwc'], all: ['nchw', 'nhwc', 'auto'] } as const;
const layouts = LAYOUTS[pick('layout', [values.layout!], LAYOUTS)[0] as keyof typeof LAYOUTS];
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);

/** Milliseconds per run of each op type in a profiling session's `profile` over `runs` runs, largest first, and their sum. */
function byOpType(profile: NodeProfile[], runs: number): { total: number; ops: [string, number, number][] } {
  const sums = new Map<string, [number, number]>();
  for (const p of profile) {
    const [ms, nodes] = sums.get(p.opType) ?? [0, 0];
    sums.set(p.opType, [ms + p.totalMs / runs, nodes + 1]);
  }
  const ops = [...sums].map(([op, [ms, nodes]]): [string, number, number] => [op, ms, nodes]).sort((a, b) => b[1] - a[1]);
  return { total: ops.reduce((s, [, ms]) => s + ms, 0), ops };
}

/**
 * Each Conv of `graph` by name: 'depthwise 3x3/2', 'conv 1x1/1', ... The
 * passes keep the fixture's node name at the start of the node they make of
 * it (conv_12.node -> conv_12.node_quant), so profile entries find theirs.
 */
function convKinds(graph: OnnxGraph): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const n of graph.nodes) {
    if (n.opType !== 'Conv' || n.name === undefined) continue;
    const [k] = n.attributes?.kernel_shape as number[], [s] = n.attributes?.strides as number[];
    kinds.set(n.name, `${n.attributes?.group === 1 ? 'conv' : 'depthwise'} ${k}x${k}/${s}`);
  }
  return kinds;
}

/** Milliseconds per run of the conv nodes of `profile` by kind and kernel, largest first. */
function byConvKind(profile: NodeProfile[], kinds: Map<string, string>, runs: number): [string, number, number][] {
  const sums = new Map<string, [number, number]>();
  for (const p of profile) {
    const kind = kinds.get(p.node.match(/^[a-z]+_\d+\.node/)?.[0] ?? '');
    if (kind === undefined || !/Conv/.test(p.opType)) continue;
    const key = `${kind} [${p.kernel}]`;
    const [ms, nodes] = sums.get(key) ?? [0, 0];
    sums.set(key, [ms + p.totalMs / runs, nodes + 1]);
  }
  return [...sums].map(([key, [ms, nodes]]): [string, number, number] => [key, ms, nodes]).sort((a, b) => b[1] - a[1]);
}

/** The layout a session with layout 'auto' runs the model in (the session's passes, then its rule); "NHWC (k NCHW)": k convs that layout 'nhwc' moves stay. */
function autoLayout(bytes: Uint8Array): string {
  const graph = buildGraph(readOnnx(bytes));
  runPasses(graph);
  const moving = chooseNhwc(graph, nhwcConv, (n) => convLayoutCost(n, graph.constants, true));
  if (!moving) return 'NCHW';
  const kept = graph.nodes.filter((n) => nhwcConv(n, graph.constants) && !moving(n, graph.constants)).length;
  return kept === 0 ? 'NHWC' : `NHWC (${kept} NCHW)`;
}

const PROFILE_RUNS = 5;
console.log(`CPU: ${cpus()[0]?.model} x${cpus().length}; sparq ISA ${cpu.info().isa} (limit ${values.isa}); onnxruntime-node ${ort.env.versions.common}`);
console.log(`medians over ${budgetMs} ms of runs per measurement; ratio = onnxruntime ms / sparq ms (above 1: sparq faster)`);
const rows: string[] = [];
const profiles: string[] = [];
for (const name of models) {
  const [model, size] = MODELS[name];
  const dense = BENCHMARK_MODELS[model]({ size });
  for (const key of variants) {
    const variant = VARIANT_NAMES[key];
    const graph = await toVariant(dense, variant);
    const bytes = encodeOnnxModel(graph);
    const kinds = convKinds(graph);
    for (const threads of threadCounts) {
      const sessions = await Promise.all(layouts.map((layout) => InferenceSession.create(bytes, { threads, layout })));
      // After the sessions set the thread count: the float sparse estimate's crossover depends on it.
      const auto = autoLayout(bytes);
      const profilings = await Promise.all(layouts.map((layout) => InferenceSession.create(bytes, { threads, layout, profile: true })));
      const ortSession = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      for (const batch of batches) {
        const dims = [batch, 3, size, size];
        const x = randomImages(batch, [3, size, size], 9);
        const feeds = { input: { type: 'float32', dims, data: x } };
        const ortFeeds = { input: new ort.Tensor('float32', x, dims) };
        const sparq: Timing[] = [];
        for (const session of sessions) sparq.push(await timeIt(() => session.runSync(feeds), { budgetMs, minSamples: 5 }));
        const onnx = await timeIt(() => ortSession.run(ortFeeds), { budgetMs, minSamples: 5 });
        const ms = (s: number) => (s * 1e3).toFixed(2);
        const ratios = sparq.map((t) => `**${(onnx.p50 / t.p50).toFixed(2)}x**`);
        rows.push(`| ${name} | ${variant} | ${threads} | ${batch} | ${auto} | ${sparq.map((t) => ms(t.p50)).join(' | ')} | ${ms(onnx.p50)} | ${ratios.join(' | ')} | ${[...sparq, onnx].map((t) => t.samples.length).join(' / ')} |`);
        layouts.forEach((layout, i) => {
          // A fresh profile per batch: the profiling session's counters add up over its life.
          const profiling = profilings[i];
          profiling.runSync(feeds);
          const before = new Map(profiling.profile().map((p) => [p.node, p.totalMs]));
          for (let r = 0; r < PROFILE_RUNS; r++) profiling.runSync(feeds);
          const profile = profiling.profile().map((p) => ({ ...p, totalMs: p.totalMs - (before.get(p.node) ?? 0) }));
          const { total, ops } = byOpType(profile, PROFILE_RUNS);
          const shown = (list: [string, number, number][]) => list.slice(0, top).map(([what, t, nodes]) => `${what} ×${nodes} ${t.toFixed(2)} ms (${((100 * t) / total).toFixed(0)}%)`).join(', ');
          profiles.push(`- ${name} ${variant}, ${layout.toUpperCase()}, ${threads} thread${threads > 1 ? 's' : ''}, batch ${batch}: nodes ${total.toFixed(2)} ms of ${ms(sparq[i].p50)} ms: ${shown(ops)}\n  - convs by kind [sparq kernel]: ${shown(byConvKind(profile, kinds, PROFILE_RUNS))}`);
        });
        console.error(rows.at(-1));
      }
      await ortSession.release();
      for (const s of [...profilings, ...sessions]) await s.release();
    }
  }
}
const upper = layouts.map((l) => l.toUpperCase());
console.log(`\n| model | variant | threads | batch | auto | ${upper.map((l) => `sparq ${l} ms`).join(' | ')} | ort ms | ${upper.map((l) => `ratio ${l}`).join(' | ')} | samples ${upper.map((l) => `sparq ${l}`).join(' / ')} / ort |`);
console.log(`|${'---|'.repeat(7 + 2 * layouts.length)}`);
for (const r of rows) console.log(r);
console.log(`\nsparq per op type, then its convs by kind (ms per run, mean of ${PROFILE_RUNS} profiled runs; ×n = nodes after the passes; % of the nodes' sum):`);
for (const p of profiles) console.log(p);
