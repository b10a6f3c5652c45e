/**
 * The elementwise tails of mobile CNNs (kernels/f32-elementwise) at
 * MobileNetV2/V3 sizes: HardSwish, HardSigmoid, ReLU6 (Clip), the
 * squeeze-excite Mul by a [N, C, 1, 1] scale, the residual Add (+ Relu,
 * fused), GlobalAveragePool. Each case is a one-node (two for Add + Relu)
 * model run by sparq's InferenceSession and by onnxruntime-node at the same
 * thread count; the bare cpu.* call is timed too (no session).
 *
 *   npm run bench:elementwise               # batch 1 and 16
 *   npm run bench:elementwise -- --quick --threads 1
 *
 * Prints one markdown table: microseconds per run (median), sparq session,
 * bare kernel call, onnxruntime, and onnxruntime / sparq.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cpu, tensor } from '../src/index.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode } from '../src/runtime/onnx/write.js';
import { InferenceSession } from '../src/runtime/session.js';
import { seededRandom } from '../test/fixtures/cifar-cnn.js';
import { ort, ortSession } from './ort-models.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, threads: { type: 'string' } } });
const threads = Number(values.threads ?? cpus().length);
const budgetMs = values.quick ? 300 : 1500;

function floats(n: number, seed: number, scale = 4): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

interface Case {
  name: string;
  dims: number[];
  /** The second input's dims (fed at run time), if any. */
  bDims?: number[];
  nodes: OnnxNode[];
  opset?: number;
  /** The same computation as one cpu.* call. */
  bare(x: ReturnType<typeof tensor<'float32'>>, b: ReturnType<typeof tensor<'float32'>> | undefined, out: Float32Array): unknown;
}

const six = { name: 'six', type: 'float' as const, dims: [], data: Float32Array.of(6) };
const zero = { name: 'zero', type: 'float' as const, dims: [], data: Float32Array.of(0) };

function cases(n: number): Case[] {
  const gapOut = (c: number) => new Float32Array(n * c);
  return [
    { name: 'HardSwish', dims: [n, 72, 56, 56], nodes: [{ opType: 'HardSwish', inputs: ['x'], outputs: ['y'] }], opset: 14, bare: (x, _b, out) => cpu.activate(x, 'hardswish', { out }) },
    { name: 'HardSigmoid', dims: [n, 240, 28, 28], nodes: [{ opType: 'HardSigmoid', inputs: ['x'], outputs: ['y'], attributes: { alpha: 1 / 6, beta: 0.5 }, floatAttributes: ['alpha', 'beta'] }], bare: (x, _b, out) => cpu.activate(x, { kind: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 }, { out }) },
    { name: 'ReLU6 (Clip 0, 6)', dims: [n, 144, 56, 56], nodes: [{ opType: 'Clip', inputs: ['x', 'zero', 'six'], outputs: ['y'] }], bare: (x, _b, out) => cpu.activate(x, { min: 0, max: 6 }, { out }) },
    { name: 'SE Mul x [N,C,1,1]', dims: [n, 96, 14, 14], bDims: [n, 96, 1, 1], nodes: [{ opType: 'Mul', inputs: ['x', 'b'], outputs: ['y'] }], bare: (x, b, out) => cpu.mul(x, b!, { out }) },
    { name: 'residual Add + Relu', dims: [n, 24, 56, 56], bDims: [n, 24, 56, 56], nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['s'] }, { opType: 'Relu', inputs: ['s'], outputs: ['y'] }], bare: (x, b, out) => cpu.add(x, b!, { activation: 'relu', out }) },
    { name: 'GlobalAveragePool 576x7x7', dims: [n, 576, 7, 7], nodes: [{ opType: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }], bare: (x) => cpu.globalAveragePool(x, { out: gapOut(576) }) },
    { name: 'GlobalAveragePool 96x28x28', dims: [n, 96, 28, 28], nodes: [{ opType: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }], bare: (x) => cpu.globalAveragePool(x, { out: gapOut(96) }) },
  ];
}

function graphOf(c: Case): OnnxGraph {
  return {
    opset: c.opset ?? 13,
    nodes: c.nodes,
    initializers: c.nodes.some((node) => node.inputs.includes('six')) ? [six, zero] : [],
    inputs: [{ name: 'x', type: 'float', dims: c.dims }, ...(c.bDims ? [{ name: 'b', type: 'float' as const, dims: c.bDims }] : [])],
    outputs: [{ name: 'y', type: 'float', dims: null }],
  };
}

const us = (s: number) => (s * 1e6).toFixed(1);
cpu.setThreads(threads);
console.log(`CPU ${cpus()[0]?.model ?? '?'}, ${threads} thread(s), sparq ISA ${cpu.info().isa}\n`);
console.log('| case | batch | sparq session µs | bare cpu call µs | onnxruntime µs | ort / sparq |');
console.log('|---|---|---|---|---|---|');
for (const batch of [1, 16])
  for (const c of cases(batch)) {
    const size = c.dims.reduce((a, b) => a * b, 1);
    const x = tensor('float32', c.dims, floats(size, 1));
    const b = c.bDims ? tensor('float32', c.bDims, floats(c.bDims.reduce((p, d) => p * d, 1), 2)) : undefined;
    const graph = graphOf(c);
    const session = await InferenceSession.create(encodeOnnxModel(graph));
    const reference = await ortSession(graph, threads);
    const feeds = { x: { type: 'float32' as const, dims: c.dims, data: x.data }, ...(b ? { b: { type: 'float32' as const, dims: c.bDims!, data: b.data } } : {}) };
    const ortFeeds = { x: new ort.Tensor('float32', x.data, c.dims), ...(b ? { b: new ort.Tensor('float32', b.data, c.bDims!) } : {}) };
    const out = new Float32Array(size);
    const ours = await timeIt(() => session.run(feeds), { budgetMs });
    const bare = await timeIt(() => c.bare(x, b, out), { budgetMs });
    const theirs = await timeIt(() => reference.run(ortFeeds), { budgetMs });
    console.log(`| ${c.name} | ${batch} | ${us(ours.p50)} | ${us(bare.p50)} | ${us(theirs.p50)} | ${(theirs.p50 / ours.p50).toFixed(2)} |`);
    session.release();
    await reference.release();
  }
