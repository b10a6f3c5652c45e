/**
 * What one node costs a CPU session at run time, apart from its arithmetic:
 * chains of N cheap nodes on tiny tensors (Relu, Add of a constant, Gemm
 * 16x16, QuantizeLinear + DequantizeLinear), sparq's InferenceSession
 * against onnxruntime-node, both at 1 thread. The time per node is the
 * slope between a chain of N nodes and one of 1 node (median run times), so
 * what a run pays once (feeds, fetches) drops out. sparq's per-node time is
 * then split, from a profiling session, into the node's own run() (kernel
 * call, validation, output allocation) and the executor's bookkeeping
 * around it. onnxruntime runs the chains with its graph optimizations off,
 * so that it runs every node too (it drops Q -> DQ pairs otherwise).
 *
 *   npm run bench:overhead                 # chains of 64
 *   npm run bench:overhead -- --nodes 128 --quick
 *   npm run bench:overhead -- --cnn        # also the CIFAR-10 CNN at batch 1, per node
 *
 * Prints one markdown table (per-node microseconds, sparq vs onnxruntime),
 * and with --cnn the CNN's per-node profile next to onnxruntime's whole run.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cpu } from '../src/index.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from '../src/runtime/onnx/write.js';
import { InferenceSession } from '../src/runtime/session.js';
import { calibrate } from '../src/compress/calibrate.js';
import { quantizeQdq } from '../src/compress/quantize-qdq.js';
import { cifarCnn, randomImages, seededRandom } from '../test/fixtures/cifar-cnn.js';
import { ort, ortSession } from './ort-models.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '64' }, quick: { type: 'boolean', default: false }, cnn: { type: 'boolean', default: false } },
});
const chainLength = Number(values.nodes);
const budgetMs = values.quick ? 500 : 2000;
const WIDTH = 16;

function floats(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => random());
}

/** One link of a chain: the nodes that map `x` to `y`, and the constants they read. */
type Link = (x: string, y: string, i: number) => { nodes: OnnxNode[]; initializers: OnnxTensor[] };

const LINKS: Record<string, { link: Link; nodesPerLink: number }> = {
  Relu: { nodesPerLink: 1, link: (x, y) => ({ nodes: [{ opType: 'Relu', inputs: [x], outputs: [y] }], initializers: [] }) },
  Add: {
    nodesPerLink: 1,
    link: (x, y, i) => ({
      nodes: [{ opType: 'Add', inputs: [x, `c${i}`], outputs: [y] }],
      initializers: [{ name: `c${i}`, type: 'float', dims: [WIDTH], data: floats(WIDTH, i + 1) }],
    }),
  },
  'Gemm 16x16': {
    nodesPerLink: 1,
    link: (x, y, i) => ({
      nodes: [{ opType: 'Gemm', inputs: [x, `w${i}`, `b${i}`], outputs: [y], attributes: { transB: 1 } }],
      initializers: [
        { name: `w${i}`, type: 'float', dims: [WIDTH, WIDTH], data: floats(WIDTH * WIDTH, 2 * i + 1).map((v) => v / 4) },
        { name: `b${i}`, type: 'float', dims: [WIDTH], data: floats(WIDTH, 2 * i + 2) },
      ],
    }),
  },
  'Quantize+Dequantize': {
    nodesPerLink: 2,
    link: (x, y, i) => ({
      nodes: [
        { opType: 'QuantizeLinear', inputs: [x, 's', 'z'], outputs: [`q${i}`] },
        { opType: 'DequantizeLinear', inputs: [`q${i}`, 's', 'z'], outputs: [y] },
      ],
      initializers: i === 0 ? [{ name: 's', type: 'float', dims: [], data: Float32Array.of(0.02) }, { name: 'z', type: 'uint8', dims: [], data: Uint8Array.of(128) }] : [],
    }),
  },
};

function chain(link: Link, links: number): OnnxGraph {
  const nodes: OnnxNode[] = [], initializers: OnnxTensor[] = [];
  for (let i = 0; i < links; i++) {
    const part = link(i === 0 ? 'x' : `v${i}`, i === links - 1 ? 'y' : `v${i + 1}`, i);
    nodes.push(...part.nodes);
    initializers.push(...part.initializers);
  }
  return {
    nodes, initializers, opset: 17,
    inputs: [{ name: 'x', type: 'float', dims: [1, WIDTH] }],
    outputs: [{ name: 'y', type: 'float', dims: [1, WIDTH] }],
  };
}

interface ChainTimes {
  sparq: number;
  ort: number;
  /** The median over runs of the nodes' own run() time, summed over the chain (profiling session). */
  sparqNodes: number;
}

async function timeChain(graph: OnnxGraph): Promise<ChainTimes> {
  const bytes = encodeOnnxModel(graph);
  const feeds = { x: new ort.Tensor('float32', floats(WIDTH, 99), [1, WIDTH]) };
  const session = await InferenceSession.create(bytes, { threads: 1 });
  const sparq = await timeIt(() => session.runSync(feeds), { budgetMs });
  await session.release();
  const profiled = await InferenceSession.create(bytes, { threads: 1, profile: true });
  const runs = 2000;
  for (let i = 0; i < runs; i++) profiled.runSync(feeds);
  const sparqNodes = profiled.profile().reduce((sum, p) => sum + p.totalMs / p.calls, 0) / 1e3;
  await profiled.release();
  // Graph optimizations off: onnxruntime would otherwise drop the Q -> DQ pairs and time fewer nodes than sparq runs.
  const onnx = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'disabled',
  });
  const ortTime = await timeIt(() => onnx.run(feeds), { budgetMs });
  await onnx.release();
  return { sparq: sparq.p50, ort: ortTime.p50, sparqNodes };
}

cpu.setThreads(1);
console.log(`CPU: ${cpus()[0]?.model} x${cpus().length}; sparq ISA ${cpu.info().isa}; onnxruntime-node ${ort.env.versions.common}; 1 thread`);
console.log(`\nPer node: (run of a ${chainLength}-node chain - run of a 1-node chain) / ${chainLength - 1}, median run times, tensors [1, ${WIDTH}].`);
console.log('sparq node run(): the nodes\' own run() (kernel call, checks, output); executor: the rest of sparq\'s per-node time.\n');
console.log('| nodes | sparq us/node | ort us/node | ratio (ort / sparq) | sparq node run() us | sparq executor us | sparq 1-node run us | ort 1-node run us |');
console.log('|---|---|---|---|---|---|---|---|');
const us = (s: number) => (s * 1e6).toFixed(2);
for (const [name, { link, nodesPerLink }] of Object.entries(LINKS)) {
  const links = Math.max(2, Math.round(chainLength / nodesPerLink));
  const one = await timeChain(chain(link, 1));
  const many = await timeChain(chain(link, links));
  const extra = (links - 1) * nodesPerLink;
  const sparq = (many.sparq - one.sparq) / extra, onnx = (many.ort - one.ort) / extra;
  const nodeRun = (many.sparqNodes - one.sparqNodes) / extra;
  console.log(`| ${name} | ${us(sparq)} | ${us(onnx)} | **${(onnx / sparq).toFixed(2)}x** | ${us(nodeRun)} | ${us(sparq - nodeRun)} | ${us(one.sparq)} | ${us(one.ort)} |`);
}

if (values.cnn) {
  const image: [number, number, number] = [3, 32, 32];
  const x = { input: new ort.Tensor('float32', randomImages(1, image, 9), [1, ...image]) };
  for (const [prune, pruneBlock, tag] of [[0, 1, 'dense'], [0.9, 4, '90% block-pruned']] as const) {
    const graph = cifarCnn({ prune, pruneBlock });
    const calibration = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [16, ...image], data: randomImages(16, image, 50 + seed) } }));
    for (const [type, g] of [['fp32', graph], ['int8', quantizeQdq(graph, await calibrate(graph, calibration))]] as const) {
      const bytes = encodeOnnxModel(g);
      const session = await InferenceSession.create(bytes, { threads: 1, profile: true });
      const run = await timeIt(() => session.runSync(x), { budgetMs });
      const onnx = await ortSession(g, 1);
      const ortRun = await timeIt(() => onnx.run(x), { budgetMs });
      await onnx.release();
      const nodes = session.profile();
      const inNodes = nodes.reduce((sum, p) => sum + p.totalMs / p.calls, 0) / 1e3;
      console.log(`\nCIFAR CNN ${type} ${tag}, batch 1: sparq ${us(run.p50)} us (nodes' run() ${us(inNodes)} us, mean), onnxruntime ${us(ortRun.p50)} us, ratio ${(ortRun.p50 / run.p50).toFixed(2)}x`);
      console.log('| node | op | kernel | us (mean) |');
      console.log('|---|---|---|---|');
      for (const p of nodes) console.log(`| ${p.node} | ${p.opType} | ${p.kernel} | ${us(p.totalMs / p.calls / 1e3)} |`);
      await session.release();
    }
  }
}
