/**
 * What the soak repeats: each kernel family on the CPU and on WebGPU, the
 * CIFAR-10 CNN session (float, and int8 with 4x4-block pruning) run on
 * both, and sessions created and released in a loop. A case's step() is one
 * iteration; its output is checked against the first iteration's at every
 * `check` step (exactly: the same call on the same inputs must give the same
 * bits), so memory reused too early shows up as a wrong result, not only as growth.
 */
import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { cpu, SparseMatrix, tensor, type GpuTensor, type WebGpuBackend } from '../../src/index.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { randomFloats, randomInts, rng } from '../helpers.js';

export type Backend = 'cpu' | 'webgpu';

/** One iteration's result, compared by its bytes. */
type Output = ArrayLike<number>;

export interface SoakCase {
  name: string;
  backend: Backend;
  /** 'runs' repeat a call; 'cycles' create, run once and release a session. */
  kind: 'runs' | 'cycles';
  /** One iteration; returns its output when `check` is set (downloading it from the GPU costs time). */
  step(check: boolean): Promise<Output | undefined>;
  /** Frees what the case holds. */
  close(): Promise<void>;
}

interface Models {
  float: Uint8Array;
  int8: Uint8Array;
}

/** The CIFAR CNN as ONNX bytes: dense float, and int8 QDQ of its 4x4-block-pruned form (the int8 block conv kernels). */
export async function cifarModels(): Promise<Models> {
  const feeds = [{ input: { type: 'float32', dims: [2, 3, 32, 32], data: randomImages(2) } }];
  const pruned = cifarCnn({ prune: 0.75, pruneBlock: 4 });
  return { float: encodeOnnxModel(cifarCnn()), int8: encodeOnnxModel(quantizeQdq(pruned, await calibrate(pruned, feeds))) };
}

const image = { type: 'float32', dims: [1, 3, 32, 32], data: randomImages(1) };

/** A case repeating `call` (on held inputs); `close` frees them. */
function runs(name: string, backend: Backend, call: (check: boolean) => Promise<Output | undefined> | Output | undefined, close: () => void = () => {}): SoakCase {
  return { name, backend, kind: 'runs', step: async (check) => call(check), close: async () => close() };
}

function cpuKernels(seed: number): SoakCase[] {
  const r = rng(seed);
  const [m, k, n] = [16, 96, 48];
  const a = tensor('float32', [m, k], randomFloats(m * k, r));
  const wData = randomFloats(k * n, r);
  const w = cpu.packWeights(tensor('float32', [k, n], wData));
  const qa = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.05, zeroPoint: 128 });
  const qw = cpu.packWeights(tensor('int8', [k, n], randomInts(Int8Array, k * n, -127, 127, r), { scale: 0.01 }));
  const sparse = SparseMatrix.fromDense(tensor('float32', [n, k], wData.map((v) => (Math.abs(v) < 0.8 ? 0 : v))), { format: 'csr' });
  const x = tensor('float32', [k, m], randomFloats(k * m, r));
  const image8 = tensor('float32', [1, 8, 16, 16], randomFloats(8 * 256, r));
  const conv = cpu.packConvWeights(tensor('float32', [16, 8, 3, 3], randomFloats(16 * 72, r)));
  const dw = tensor('float32', [8, 1, 3, 3], randomFloats(72, r));
  const values = tensor('float32', [4096], randomFloats(4096, r, 8));
  return [
    runs('gemm f32', 'cpu', () => cpu.gemm(a, w, { activation: 'relu' }).data, () => w.dispose()),
    runs('qgemm u8s8', 'cpu', () => cpu.qgemm(qa, qw, { output: 'uint8', outScale: 0.2, outZeroPoint: 10 }).data, () => qw.dispose()),
    runs('spmm csr', 'cpu', () => cpu.spmm(sparse, x).data),
    runs('conv2d f32', 'cpu', () => cpu.conv2d(image8, conv, { pads: [1, 1, 1, 1] }).data, () => conv.dispose()),
    runs('dwconv2d f32', 'cpu', () => cpu.dwconv2d(image8, dw, { pads: [1, 1, 1, 1] }).data),
    runs('quantize/dequantize/requantize', 'cpu', () => {
      const q = cpu.quantize(values, { type: 'int8', scale: 0.05 });
      const d = cpu.dequantize(q);
      const acc = tensor('int32', [4096], Int32Array.from(q.data, (v) => v * 300), { scale: 0.001 });
      const rq = cpu.requantize(acc, { type: 'uint8', scale: 0.1, zeroPoint: 128 });
      return Float32Array.from([...d.data.subarray(0, 64), ...rq.data.subarray(0, 64)]);
    }),
  ];
}

function gpuKernels(gpu: WebGpuBackend, seed: number): SoakCase[] {
  const r = rng(seed);
  const [m, k, n] = [16, 96, 48];
  const a = tensor('float32', [m, k], randomFloats(m * k, r));
  const wData = randomFloats(k * n, r);
  const w = gpu.upload(tensor('float32', [k, n], wData));
  const qa = tensor('uint8', [m, k], randomInts(Uint8Array, m * k, 0, 255, r), { scale: 0.05, zeroPoint: 128 });
  const qw = gpu.packWeights(tensor('int8', [k, n], randomInts(Int8Array, k * n, -127, 127, r), { scale: 0.01 }));
  const sparse = gpu.uploadSparse(SparseMatrix.fromDense(tensor('float32', [n, k], wData.map((v) => (Math.abs(v) < 0.8 ? 0 : v))), { format: 'csr' }));
  const x = tensor('float32', [k, m], randomFloats(k * m, r));
  const values = tensor('float32', [4096], randomFloats(4096, r, 8));
  const image8 = tensor('float32', [1, 8, 16, 16], randomFloats(8 * 256, r));
  /** Runs a GPU call and frees its result, downloading it first when checked. */
  const call = (make: () => Promise<GpuTensor>) => async (check: boolean) => {
    const y = await make();
    const out = check ? ((await gpu.download(y)).data as Output) : undefined;
    y.dispose();
    return out;
  };
  return [
    runs('gemm f32', 'webgpu', call(() => gpu.gemm(a, w, { activation: 'relu' })), () => w.dispose()),
    runs('qgemm u8s8', 'webgpu', call(() => gpu.qgemm(qa, qw, { output: 'uint8', outScale: 0.2, outZeroPoint: 10 })), () => qw.dispose()),
    runs('spmm csr', 'webgpu', call(() => gpu.spmm(sparse, x)), () => sparse.dispose()),
    runs('maxPool+im2col f32', 'webgpu', call(async () => {
      const p = await gpu.maxPool(image8, { kernelShape: [2, 2], strides: [2, 2] });
      const cols = await gpu.im2col(p, { kernelShape: [3, 3] });
      p.dispose();
      return cols;
    })),
    runs('quantize/dequantize', 'webgpu', call(async () => {
      const q = await gpu.quantize(values, { type: 'int8', scale: 0.05 });
      const d = await gpu.dequantize(q);
      q.dispose();
      return d;
    })),
  ];
}

/** A session of `bytes` run on one image per iteration. */
async function sessionRuns(name: string, backend: Backend, bytes: Uint8Array, gpu?: WebGpuBackend): Promise<SoakCase> {
  const session = await InferenceSession.create(bytes, { backend, gpu });
  const [output] = session.outputNames;
  return runs(name, backend, async () => (await session.run({ input: image }))[output].data as Output, () => void session.release());
}

/** Sessions of `bytes` created, run once and released, one per iteration (on WebGPU on the shared backend: the buffers the session made must all come back). */
function sessionCycles(name: string, backend: Backend, bytes: Uint8Array, gpu?: WebGpuBackend): SoakCase {
  return {
    name, backend, kind: 'cycles',
    async step() {
      const session = await InferenceSession.create(bytes, { backend, gpu });
      try {
        return (await session.run({ input: image }))[session.outputNames[0]].data as Output;
      } finally {
        await session.release();
      }
    },
    close: async () => {},
  };
}

/** Every case of `backends`, set up (WebGPU ones on `gpu`). */
export async function soakCases(backends: readonly Backend[], seed: number, gpu?: WebGpuBackend): Promise<SoakCase[]> {
  const models = await cifarModels();
  const cases: SoakCase[] = [];
  for (const backend of backends) {
    const on = backend === 'webgpu' ? gpu : undefined;
    cases.push(...(backend === 'cpu' ? cpuKernels(seed) : gpuKernels(gpu!, seed)));
    cases.push(await sessionRuns('cifar-cnn float session', backend, models.float, on));
    cases.push(await sessionRuns('cifar-cnn int8 pruned session', backend, models.int8, on));
    cases.push(sessionCycles('cifar-cnn float create/release', backend, models.float, on));
    cases.push(sessionCycles('cifar-cnn int8 pruned create/release', backend, models.int8, on));
  }
  return cases;
}
