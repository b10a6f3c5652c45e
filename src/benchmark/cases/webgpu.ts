/**
 * sparq's WebGPU kernels on the adapter against onnxruntime's WebGPU
 * execution provider: weights resident on the GPU on both sides, the
 * activations uploaded and the result read back on every call (what
 * onnxruntime's run() does), so both are wall times of the same work.
 * onnxruntime 1.30's WebGPU EP has no MatMulInteger or QLinearMatMul kernel
 * (it runs them on its CPU EP), so qgemm has no onnxruntime side here; spmm
 * is timed against the dense MatMul on the same pruned matrix.
 */
import { LAYOUTS } from '../../backends/cpu/crossover.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { mulberry32 } from '../../random.js';
import { SparseMatrix } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import { matMulGraph, ortSession } from '../ort-graphs.js';
import type { GemmShape, SpmmShape } from '../shapes.js';
import { anyUint8, centered, filled, int8In, releasing, transposed, type CaseEnv, type KernelCase } from './kernel-case.js';
import { prunedWeight } from './sparse.js';

/** Why a WebGPU row has no onnxruntime side. */
export const NO_ORT_QGEMM_ON_WEBGPU = "webgpu qgemm: onnxruntime's WebGPU EP has no MatMulInteger/QLinearMatMul kernel (it runs them on its CPU EP), so no onnxruntime side";

function gpuOf(env: CaseEnv) {
  if (!env.gpu) throw new Error('a WebGPU case needs the adapter (env.gpu)');
  return env.gpu;
}

/** Runs `op`, reads its result back and frees it: one call as an application sees it. */
function roundTrip(env: CaseEnv, op: () => Promise<GpuTensor>): () => Promise<void> {
  const gpu = gpuOf(env);
  return async () => {
    const y = await op();
    await gpu.download(y);
    y.dispose();
  };
}

export function gpuSgemmCase(s: GemmShape): KernelCase {
  return {
    group: 'gemm', kernel: 'sgemm', family: null, backend: 'webgpu', shape: s.name, sparsity: 0, ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul',
    async setup(env) {
      const random = mulberry32(s.m * 31 + s.k);
      const w = filled(new Float32Array(s.k * s.n), random, centered);
      const x = tensor('float32', [s.m, s.k], filled(new Float32Array(s.m * s.k), random, centered));
      const wGpu = gpuOf(env).upload(tensor('float32', [s.k, s.n], w));
      const session = env.ort && (await ortSession(env.ort, matMulGraph(s.m, s.k, s.n, w), env.threads, 'webgpu'));
      const feed = env.ort && { X: new env.ort.Tensor('float32', x.data, [s.m, s.k]) };
      return {
        sparq: roundTrip(env, () => gpuOf(env).gemm(x, wGpu)),
        ort: session && (() => session.run(feed!)),
        variant: null,
        release: releasing(session, wGpu),
      };
    },
  };
}

export function gpuQgemmCase(s: GemmShape): KernelCase {
  return {
    group: 'qgemm', kernel: 'qgemm-uint8 full', family: null, backend: 'webgpu', shape: s.name, sparsity: 0, ops: 2 * s.m * s.n * s.k, unit: 'GOP/s', baseline: null,
    async setup(env) {
      const random = mulberry32(s.m * 37 + s.k);
      const w = filled(new Int8Array(s.k * s.n), random, int8In(-128, 127));
      const wScales = filled(new Float32Array(s.n), random, (r) => 0.01 + r * 0.01);
      const x = tensor('uint8', [s.m, s.k], filled(new Uint8Array(s.m * s.k), random, anyUint8), { scale: 0.05, zeroPoint: 120 });
      const wq = gpuOf(env).packWeights(tensor('int8', [s.k, s.n], w, { scale: wScales, axis: 1 }));
      const options = { output: 'uint8', outScale: 0.1 * Math.sqrt(s.k), outZeroPoint: 128 } as const;
      return { sparq: roundTrip(env, () => gpuOf(env).qgemm(x, wq, options)), ort: null, variant: null, release: releasing(null, wq) };
    },
  };
}

export function gpuSpmmCase(s: SpmmShape, layout: 'csr' | 'bsr4x1'): KernelCase {
  return {
    group: 'spmm', kernel: layout === 'csr' ? 'spmm csr' : 'spmm bsr-4x1', family: null, backend: 'webgpu', shape: s.name, sparsity: s.sparsity,
    ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul',
    async setup(env) {
      const random = mulberry32(s.n * 41 + s.m + Math.round(s.sparsity * 100));
      const w = prunedWeight('float32', s, layout, random) as Float32Array;
      const x = tensor('float32', [s.k, s.m], filled(new Float32Array(s.k * s.m), random, centered));
      const sparse = gpuOf(env).uploadSparse(SparseMatrix.fromDense(tensor('float32', [s.n, s.k], w), { ...LAYOUTS[layout] }) as SparseMatrix<'float32'>);
      const session = env.ort && (await ortSession(env.ort, matMulGraph(s.m, s.k, s.n, transposed(w, s.n, s.k)), env.threads, 'webgpu'));
      const feed = env.ort && { X: new env.ort.Tensor('float32', transposed(x.data, s.k, s.m), [s.m, s.k]) };
      return {
        sparq: roundTrip(env, () => gpuOf(env).spmm(sparse, x)),
        ort: session && (() => session.run(feed!)),
        variant: null,
        release: releasing(session, sparse),
      };
    },
  };
}
