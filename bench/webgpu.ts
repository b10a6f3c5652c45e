/**
 * WebGPU kernels against onnxruntime-node's WebGPU execution provider on the
 * same adapter, and against sparq's CPU backend, in one run: float32 GEMM
 * with the weights resident on the GPU (uploaded once on both sides) and the
 * activations uploaded and the result read back on every call (what
 * onnxruntime's run() does). Wall time, medians; on a software adapter
 * (lavapipe) the figures only show the code paths work, the table names
 * the adapter.
 *
 *   npm run bench:webgpu
 */
import { cpu, tensor, webgpu } from '../src/index.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { matMulGraph, ort } from './ort-models.js';
import { timeIt } from './timing.js';

const SHAPES: [string, number, number, number][] = [
  ['256^3', 256, 256, 256],
  ['m64 1024x1024', 64, 1024, 1024],
  ['1024^3', 1024, 1024, 1024],
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
gpu.destroy();
