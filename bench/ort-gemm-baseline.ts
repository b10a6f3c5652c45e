/**
 * onnxruntime-node alone on the benchmark GEMM shapes, for kernel authors
 * tuning against it: `npx tsx bench/ort-gemm-baseline.ts [threads]`.
 * The side-by-side comparison is `npm run bench`.
 */
import { BENCH_GEMM_SHAPES } from '../test/fixtures/shapes.js';
import { matMulGraph, matMulIntegerGraph, ort, ortSession } from './ort-models.js';
import { timeIt } from './timing.js';

const threads = Number(process.argv[2] ?? 1);
console.log(`onnxruntime-node ${ort.env.versions.common}, ${threads} thread(s); GFLOP/s or GOP/s at the median`);
for (const s of BENCH_GEMM_SHAPES) {
  const ops = 2 * s.m * s.n * s.k;
  const fp = await ortSession(matMulGraph(s.m, s.k, s.n, new Float32Array(s.k * s.n).map(() => Math.random() - 0.5)), threads);
  const x = new ort.Tensor('float32', new Float32Array(s.m * s.k).map(() => Math.random()), [s.m, s.k]);
  const tf = await timeIt(() => fp.run({ X: x }));
  const q = await ortSession(matMulIntegerGraph(s.m, s.k, s.n, new Int8Array(s.k * s.n).map(() => (Math.random() * 256 - 128) | 0), 3), threads);
  const xq = new ort.Tensor('uint8', new Uint8Array(s.m * s.k).map(() => (Math.random() * 256) | 0), [s.m, s.k]);
  const tq = await timeIt(() => q.run({ X: xq }));
  console.log(`${s.name.padEnd(18)} MatMul ${(ops / tf.p50 / 1e9).toFixed(1).padStart(7)} GFLOP/s   MatMulInteger ${(ops / tq.p50 / 1e9).toFixed(1).padStart(7)} GOP/s`);
  await fp.release();
  await q.release();
}
