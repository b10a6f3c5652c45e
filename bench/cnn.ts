/**
 * The CIFAR-10 CNN end to end, sparq's InferenceSession against
 * onnxruntime-node in one process: fp32 dense, int8 QDQ, 90%-pruned fp32 and
 * 90%-pruned int8 (unstructured, and in blocks of 4 output channels), batch
 * 1 latency and batch 64 throughput, 1 and 2 threads.
 * Every variant is timed on both runtimes; the headline ratio is sparq's
 * variant against onnxruntime's fastest variant of the same network (its
 * fp32 or QDQ model, whichever is faster), as the runtime issue defines it.
 *
 *   npm run bench:cnn                   # both thread counts
 *   npm run bench:cnn -- --threads 1 --quick
 *   npm run bench:cnn -- --webgpu       # then fp32 dense on sparq's WebGPU backend vs onnxruntime's WebGPU EP
 *   npm run bench:cnn -- --isa avx2     # sparq capped at its AVX2 kernels (onnxruntime cannot be capped)
 *
 * The cap is set before the sessions are created, so each layer's path is
 * chosen for the kernels that will run, as on a CPU without the higher ISA.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cpu, webgpu } from '../src/index.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { InferenceSession } from '../src/runtime/session.js';
import { cifarCnn, randomImages } from '../test/fixtures/cifar-cnn.js';
import { calibrate } from '../src/compress/calibrate.js';
import { quantizeQdq } from '../src/compress/quantize-qdq.js';
import { ort } from './ort-models.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false }, threads: { type: 'string', multiple: true }, webgpu: { type: 'boolean', default: false },
    isa: { type: 'string', default: 'none' },
  },
});
cpu.setIsaLimit(values.isa as Parameters<typeof cpu.setIsaLimit>[0]);
const threadCounts = (values.threads ?? ['1', '2']).map(Number);
const budgetMs = values.quick ? 800 : 3000;
const image: [number, number, number] = [3, 32, 32];

async function models(): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  // Unstructured magnitude pruning, and pruning of 4-output-channel blocks (what the block kernels want).
  for (const [prune, pruneBlock, tag] of [[0, 1, 'dense'], [0.9, 1, '90% pruned'], [0.9, 4, '90% block-pruned']] as const) {
    const graph = cifarCnn({ prune, pruneBlock });
    const feeds = [0, 1, 2, 3].map((seed) => ({ input: { type: 'float32', dims: [16, ...image], data: randomImages(16, image, 50 + seed) } }));
    out.push([`fp32 ${tag}`, encodeOnnxModel(graph)], [`int8 ${tag}`, encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, feeds)))]);
  }
  return out;
}

const variants = await models();
console.log(`CPU: ${cpus()[0]?.model} x${cpus().length}; sparq ISA ${cpu.info().isa} (limit ${values.isa}); onnxruntime-node ${ort.env.versions.common}`);
console.log('\n| model | threads | batch | sparq ms | ort same model ms | ratio | ort fastest variant ms | ratio vs fastest | sparq kernels |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const threads of threadCounts) {
  for (const batch of [1, 64]) {
    const x = randomImages(batch, image, 9);
    const feeds = { input: new ort.Tensor('float32', x, [batch, ...image]) };
    const results: { name: string; sparq: number; ort: number; kernels: string }[] = [];
    for (const [name, bytes] of variants) {
      const session = await InferenceSession.create(bytes, { threads });
      const ortSession = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      const sparq = await timeIt(() => session.runSync(feeds), { budgetMs });
      const onnx = await timeIt(() => ortSession.run(feeds), { budgetMs });
      await ortSession.release();
      const kernels = [...new Set(session.profile().filter((p) => /conv|gemm|spmm/.test(p.kernel)).map((p) => p.kernel))].join(' ');
      results.push({ name, sparq: sparq.p50, ort: onnx.p50, kernels });
    }
    for (const r of results) {
      const family = r.name.replace(/^(fp32|int8) /, '');
      const fastest = Math.min(...results.filter((o) => o.name.endsWith(family)).map((o) => o.ort));
      const ms = (s: number) => (s * 1e3).toFixed(batch === 1 ? 3 : 1);
      console.log(`| ${r.name} | ${threads} | ${batch} | ${ms(r.sparq)} | ${ms(r.ort)} | **${(r.ort / r.sparq).toFixed(2)}x** | ${ms(fastest)} | **${(fastest / r.sparq).toFixed(2)}x** | ${r.kernels} |`);
    }
  }
}

if (values.webgpu) {
  const gpu = await webgpu();
  const bytes = encodeOnnxModel(cifarCnn());
  console.log(`\nWebGPU: ${gpu.adapter.description || gpu.adapter.device}; fp32 dense, one run = upload, every node, download`);
  console.log('\n| model | batch | sparq webgpu ms | ort webgpu EP ms | ratio | sparq kernels |');
  console.log('|---|---|---|---|---|---|');
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
  const ortSession = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], logSeverityLevel: 3 });
  for (const batch of [1, 64]) {
    const feeds = { input: new ort.Tensor('float32', randomImages(batch, image, 9), [batch, ...image]) };
    const sparq = await timeIt(() => session.run(feeds), { budgetMs });
    const onnx = await timeIt(() => ortSession.run(feeds), { budgetMs });
    const kernels = [...new Set(session.profile().map((p) => p.kernel))].join(' ');
    const ms = (t: number) => (t * 1e3).toFixed(batch === 1 ? 3 : 1);
    console.log(`| fp32 dense | ${batch} | ${ms(sparq.p50)} | ${ms(onnx.p50)} | **${(onnx.p50 / sparq.p50).toFixed(2)}x** | ${kernels} |`);
  }
  await ortSession.release();
  await session.release();
  gpu.destroy();
}
