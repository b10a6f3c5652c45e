/**
 * WebGPU kernels against onnxruntime-node's WebGPU execution provider on the
 * same adapter, and against sparq's CPU backend, in one run: float32 GEMM
 * with the weights resident on the GPU (uploaded once on both sides) and the
 * activations uploaded and the result read back on every call (what
 * onnxruntime's run() does). Wall time, medians; on a software adapter
 * (lavapipe) the figures only show the code paths work, the table names
 * the adapter. Then the int8 model path the same way: sparq's qgemm with the
 * uint8 output stage against a QLinearMatMul model and its QDQ form on
 * onnxruntime's WebGPU EP (which runs part of them on its CPU EP), and on
 * its CPU EP for reference, with the largest difference of the outputs.
 * Then the int8 and sparse kernels against the dense one, and last the
 * mobile-net path: a depthwise 3x3 conv alone (GPU kernel time and the
 * bandwidth it reaches, wall time against onnxruntime's WebGPU EP and
 * sparq's CPU dwconv2d) and a MobileNetV3-style block stack (the test
 * fixture's PyTorch export, BN folded) as whole sessions, sparq WebGPU
 * against onnxruntime's WebGPU and CPU EPs and sparq's CPU session.
 *
 *   npm run bench:webgpu
 */
import { cpu, SparseMatrix, tensor, webgpu } from '../src/index.js';
import { encodeOnnxModel, type OnnxGraph } from '../src/runtime/onnx/write.js';
import { InferenceSession } from '../src/runtime/session.js';
import { pytorchBlocks } from '../test/fixtures/mobilenet-blocks.js';
import { matMulGraph, ort, ortSession, qdqMatMulGraph, qlinearMatMulGraph } from './ort-models.js';
import { timeIt } from './timing.js';

const SHAPES: [string, number, number, number][] = [
  ['256^3', 256, 256, 256],
  ['m64 1024x1024', 64, 1024, 1024],
  ['1024^3', 1024, 1024, 1024],
  ['gemv 1x4096x4096', 1, 4096, 4096],
];

const gpu = await webgpu();
const a = gpu.adapter;
console.log(`adapter: ${a.vendor} ${a.architecture} ${a.device} (${a.description}); onnxruntime-node ${ort.env.versions.common}`);
console.log('\n| kernel | shape | sparq webgpu ms | GFLOP/s | kernel ms (timestamps) | ort webgpu GFLOP/s | ratio | sparq cpu GFLOP/s | vs cpu |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, m, k, n] of SHAPES) {
  const x = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
  const w = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
  const wGpu = gpu.upload(tensor('float32', [k, n], w));
  const xt = tensor('float32', [m, k], x);
  const sparq = await timeIt(async () => {
    const y = await gpu.gemm(xt, wGpu);
    await gpu.download(y);
    y.dispose();
  }, { budgetMs: 3000, minSamples: 5 });
  // The kernel alone, from the GPU's timestamps (null without 'timestamp-query').
  const kernelTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { gpu: seconds } = await gpu.timeOnGpu(async () => (await gpu.gemm(xt, wGpu)).dispose());
    if (seconds !== null) kernelTimes.push(seconds);
  }
  const kernel = kernelTimes.length > 0 ? (kernelTimes.sort((p, q) => p - q)[kernelTimes.length >> 1] * 1e3).toFixed(1) : 'n/a';
  const session = await ort.InferenceSession.create(encodeOnnxModel(matMulGraph(m, k, n, w)), { executionProviders: ['webgpu'] });
  const feed = { X: new ort.Tensor('float32', x, [m, k]) };
  const onnx = await timeIt(() => session.run(feed), { budgetMs: 3000, minSamples: 5 });
  await session.release();
  const packed = cpu.packWeights(tensor('float32', [k, n], w));
  const out = new Float32Array(m * n);
  const onCpu = await timeIt(() => cpu.gemm(xt, packed, { out }), { budgetMs: 1500 });
  wGpu.dispose();
  const rate = (s: number) => (2 * m * n * k) / s / 1e9;
  console.log(`| sgemm | ${name} | ${(sparq.p50 * 1e3).toFixed(1)} | ${rate(sparq.p50).toFixed(1)} | ${kernel} | ${rate(onnx.p50).toFixed(1)} | **${(onnx.p50 / sparq.p50).toFixed(2)}x** | ${rate(onCpu.p50).toFixed(1)} | ${(onCpu.p50 / sparq.p50).toFixed(2)}x |`);
}

// The int8 model path: uint8 X, int8 W with per-column scales, uint8 Y. With
// the session options logSeverityLevel: 0, logVerbosityLevel: 0 onnxruntime
// logs where it placed each node (BENCHMARKS.md has what 1.30 does); here
// only errors, as it warns on every session that some nodes left the WebGPU EP.
const ms = (seconds: number) => (seconds * 1e3).toPrecision(3);
console.log('\n| model | shape | sparq webgpu ms | ort webgpu EP ms | ratio | ort cpu EP ms | max abs diff (both EPs) |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, m, k, n] of SHAPES) {
  const x = Uint8Array.from({ length: m * k }, () => Math.floor(Math.random() * 256));
  const w = Int8Array.from({ length: k * n }, () => Math.floor(Math.random() * 255) - 127);
  const wScales = Float32Array.from({ length: n }, () => 0.01 + Math.random() * 0.01);
  // Y's float value has a standard deviation of about sqrt(k) * 74 * 73 * 0.05 * 0.015 = 4 sqrt(k):
  // this scale spreads it over the uint8 range with little saturation, so rounding differences show.
  const params = { xScale: 0.05, xZeroPoint: 120, wScales, yScale: 0.1 * Math.sqrt(k), yZeroPoint: 128 };
  const xt = tensor('uint8', [m, k], x, { scale: params.xScale, zeroPoint: params.xZeroPoint });
  const wq = gpu.packWeights(tensor('int8', [k, n], w, { scale: wScales, axis: 1 }));
  const qgemmOptions = { output: 'uint8', outScale: params.yScale, outZeroPoint: params.yZeroPoint } as const;
  const sparqRun = async () => {
    const y = await gpu.qgemm(xt, wq, qgemmOptions);
    const out = await gpu.download(y);
    y.dispose();
    return out.data as Uint8Array;
  };
  const ours = await sparqRun();
  const sparq = await timeIt(sparqRun, { budgetMs: 2000, minSamples: 5 });
  wq.dispose();
  const feed = { X: new ort.Tensor('uint8', x, [m, k]) };
  for (const [model, graph] of [['QLinearMatMul', qlinearMatMulGraph(m, k, n, w, params)], ['QDQ MatMul', qdqMatMulGraph(m, k, n, w, params)]] as const) {
    let maxDiff = 0;
    const ortSeconds: number[] = [];
    for (const session of [await ort.InferenceSession.create(encodeOnnxModel(graph), { executionProviders: ['webgpu'], logSeverityLevel: 3 }), await ortSession(graph, 2)]) {
      const theirs = (await session.run(feed)).Y.data as Uint8Array;
      for (let i = 0; i < theirs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(theirs[i] - ours[i]));
      ortSeconds.push((await timeIt(() => session.run(feed), { budgetMs: 2000, minSamples: 5 })).p50);
      await session.release();
    }
    const [onGpu, onCpu] = ortSeconds;
    console.log(`| ${model} | ${name} | ${ms(sparq.p50)} | ${ms(onGpu)} | **${(onGpu / sparq.p50).toPrecision(2)}x** | ${ms(onCpu)} | ${maxDiff} |`);
  }
}

// int8 and sparse kernels against sparq's own WebGPU sgemm on the same shape:
// kernel time from timestamps (wall time where the adapter has none),
// operands resident on the GPU, results left there.
const [m, k, n] = [64, 1024, 1024];
const kernelSeconds = async (run: () => Promise<{ dispose(): void }>) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { wall, gpu: onGpu } = await gpu.timeOnGpu(async () => (await run()).dispose());
    times.push(onGpu ?? wall);
  }
  return times.sort((p, q) => p - q)[2];
};
const xf = gpu.upload(tensor('float32', [m, k], Float32Array.from({ length: m * k }, () => Math.random() - 0.5)));
const wf = gpu.upload(tensor('float32', [k, n], Float32Array.from({ length: k * n }, () => Math.random() - 0.5)));
const dense = await kernelSeconds(() => gpu.gemm(xf, wf));
const xq = gpu.upload(tensor('uint8', [m, k], Uint8Array.from({ length: m * k }, () => Math.floor(Math.random() * 256)), { scale: 0.05, zeroPoint: 128 }));
const wq = gpu.packWeights(tensor('int8', [k, n], Int8Array.from({ length: k * n }, () => Math.floor(Math.random() * 255) - 127), { scale: 0.01 }));
const xs = gpu.upload(tensor('float32', [k, m], Float32Array.from({ length: k * m }, () => Math.random() - 0.5)));
const pruned = (r: number) => {
  const w = new Float32Array(n * k);
  for (let r0 = 0; r0 < n; r0 += r) for (let c = 0; c < k; c++) if (Math.random() < 0.1) for (let i = 0; i < r; i++) w[(r0 + i) * k + c] = Math.random() - 0.5;
  return gpu.uploadSparse(SparseMatrix.fromDense(tensor('float32', [n, k], w), r === 1 ? { format: 'csr' } : { format: 'bsr', blockShape: [r, 1] }) as SparseMatrix<'float32'>);
};
const [csr, bsr8] = [pruned(1), pruned(8)];
// 2:4 keeps the 2 largest of every 4: half the weights, where the rows above keep 10%.
const nm24 = gpu.uploadSparse(
  SparseMatrix.fromDense(tensor('float32', [n, k], Float32Array.from({ length: n * k }, () => Math.random() - 0.5)), { format: 'nm', n: 2, m: 4 }) as SparseMatrix<'float32'>,
);
const qpruned = (block: number) => {
  const w = new Int8Array(n * k);
  for (let i = 0; i < n * k; i += block) if (Math.random() < 0.1) for (let j = 0; j < block; j++) w[i + j] = 1 + Math.floor(Math.random() * 127);
  const options = block === 1 ? { format: 'csr' as const } : { format: 'bsr' as const, blockShape: [1, block] as [number, number] };
  return gpu.packSparseWeights(SparseMatrix.fromDense(tensor('int8', [n, k], w, { scale: 0.01 }), options) as SparseMatrix<'int8'>);
};
const [qcsr, qbsr] = [qpruned(1), qpruned(4)];
const xsq = gpu.upload(tensor('uint8', [k, m], Uint8Array.from({ length: k * m }, () => Math.floor(Math.random() * 256)), { scale: 0.05, zeroPoint: 128 }));
console.log(`\nqgemm variant chosen by measurement: ${await gpu.qgemmVariant()}`);
console.log(`\n| kernel | shape | kernel ms | effective GOP/s | vs sparq webgpu sgemm (${(dense * 1e3).toFixed(1)} ms) |`);
console.log('|---|---|---|---|---|');
for (const [name, run] of [
  ['qgemm int32', () => gpu.qgemm(xq, wq)],
  ['qgemm uint8', () => gpu.qgemm(xq, wq, { output: 'uint8', outScale: 1, outZeroPoint: 128 })],
  ['spmm csr 90%', () => gpu.spmm(csr, xs)],
  ['spmm bsr8x1 90%', () => gpu.spmm(bsr8, xs)],
  ['spmm nm 2:4', () => gpu.spmm(nm24, xs)],
  ['qspmm csr 90%', () => gpu.qspmm(qcsr, xsq)],
  ['qspmm bsr1x4 90%', () => gpu.qspmm(qbsr, xsq)],
] as const) {
  const seconds = await kernelSeconds(run as () => Promise<{ dispose(): void }>);
  console.log(`| ${name} | ${m}x${k}x${n} | ${(seconds * 1e3).toFixed(1)} | ${((2 * m * n * k) / seconds / 1e9).toFixed(1)} | **${(dense / seconds).toFixed(2)}x** |`);
}
[xf, wf, xq, wq, xs, csr, bsr8, nm24, qcsr, qbsr, xsq].forEach((t) => t.dispose());

const random = (size: number) => Float32Array.from({ length: size }, () => Math.random() - 0.5);
const webgpuEp = (graph: OnnxGraph) => ort.InferenceSession.create(encodeOnnxModel(graph), { executionProviders: ['webgpu'], logSeverityLevel: 3 });

// Depthwise 3x3 layers of MobileNetV2 (pads 1, bias, ReLU6): the GPU kernel
// alone with x and w resident, its bandwidth counting x read once and y
// written once (the floor of any depthwise kernel's traffic); then wall time
// with x uploaded and y read back, against a one-node Conv (group = C) on
// onnxruntime's WebGPU EP, and sparq's CPU kernel (cpu.dwconv2d).
console.log('\n| depthwise 3x3 | x | kernel ms | GB/s (x + y) | sparq webgpu wall ms | ort webgpu EP ms | ratio | sparq cpu ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, dims, stride] of [
  ['MobileNetV2 144ch 56x56 s1', [1, 144, 56, 56], 1],
  ['MobileNetV2 96ch 112x112 s2', [1, 96, 112, 112], 2],
  ['MobileNetV2 960ch 7x7 s1', [1, 960, 7, 7], 1],
  ['batch 16, 144ch 28x28 s1', [16, 144, 28, 28], 1],
] as [string, number[], number][]) {
  const [batch, c, h, w] = dims;
  const x = tensor('float32', dims, random(batch * c * h * w));
  const weights = tensor('float32', [c, 1, 3, 3], random(c * 9));
  const bias = random(c);
  const options = { strides: [stride, stride] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], bias, activation: { min: 0, max: 6 } };
  const [xg, wg] = [gpu.upload(x), gpu.upload(weights)];
  const kernel = await kernelSeconds(() => gpu.dwconv2d(xg, wg, options));
  const wall = await timeIt(async () => {
    const y = await gpu.dwconv2d(x, wg, options);
    await gpu.download(y);
    y.dispose();
  }, { budgetMs: 2000, minSamples: 5 });
  const [oh, ow] = [Math.floor((h - 1) / stride) + 1, Math.floor((w - 1) / stride) + 1];
  const graph: OnnxGraph = {
    nodes: [{ opType: 'Conv', inputs: ['X', 'W', 'B'], outputs: ['Y'], attributes: { group: c, kernel_shape: [3, 3], strides: [stride, stride], pads: [1, 1, 1, 1] } }],
    inputs: [{ name: 'X', type: 'float', dims }],
    outputs: [{ name: 'Y', type: 'float', dims: [batch, c, oh, ow] }],
    initializers: [{ name: 'W', type: 'float', dims: [c, 1, 3, 3], data: weights.data }, { name: 'B', type: 'float', dims: [c], data: bias }],
  };
  const session = await webgpuEp(graph);
  const feed = { X: new ort.Tensor('float32', x.data, dims) };
  const onnx = await timeIt(() => session.run(feed), { budgetMs: 2000, minSamples: 5 });
  await session.release();
  const out = new Float32Array(batch * c * oh * ow);
  const onCpu = await timeIt(() => cpu.dwconv2d(x, weights, { ...options, out }), { budgetMs: 1500 });
  [xg, wg].forEach((t) => t.dispose());
  const bytes = (x.data.length + out.length) * 4;
  console.log(`| ${name} | [${dims}] | ${(kernel * 1e3).toFixed(2)} | ${(bytes / kernel / 1e9).toPrecision(3)} | ${ms(wall.p50)} | ${ms(onnx.p50)} | **${(onnx.p50 / wall.p50).toFixed(2)}x** | ${ms(onCpu.p50)} |`);
}

// The MobileNetV3-style stage of the tests (two inverted-residual blocks with
// HardSwish and squeeze-excite, 16 -> 24 channels, then the classifier) at
// ImageNet-like map sizes, whole sessions: input uploaded, logits read back.
console.log('\n| MobileNetV3 block stack | input | sparq webgpu ms | ort webgpu EP ms | ratio | ort cpu EP ms | sparq cpu ms |');
console.log('|---|---|---|---|---|---|---|');
const blocks = encodeOnnxModel(pytorchBlocks({ opset: 14, foldBn: true }));
for (const dims of [[1, 16, 112, 112], [1, 16, 56, 56], [16, 16, 56, 56]]) {
  const x = random(dims.reduce((a, b) => a * b));
  const feeds = { input: { type: 'float32' as const, dims, data: x } };
  const ortFeeds = { input: new ort.Tensor('float32', x, dims) };
  const ours = await InferenceSession.create(blocks, { backend: 'webgpu', gpu });
  const sparq = await timeIt(() => ours.run(feeds), { budgetMs: 3000, minSamples: 5 });
  await ours.release();
  const onCpuSession = await InferenceSession.create(blocks);
  const sparqCpu = await timeIt(() => onCpuSession.run(feeds), { budgetMs: 2000, minSamples: 5 });
  await onCpuSession.release();
  const ortTimes: number[] = [];
  for (const session of [await ort.InferenceSession.create(blocks, { executionProviders: ['webgpu'], logSeverityLevel: 3 }), await ort.InferenceSession.create(blocks)]) {
    ortTimes.push((await timeIt(() => session.run(ortFeeds), { budgetMs: 3000, minSamples: 5 })).p50);
    await session.release();
  }
  console.log(`| pytorchBlocks | [${dims}] | ${ms(sparq.p50)} | ${ms(ortTimes[0])} | **${(ortTimes[0] / sparq.p50).toFixed(2)}x** | ${ms(ortTimes[1])} | ${ms(sparqCpu.p50)} |`);
}
gpu.destroy();
