import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { downsamplingBlocks, pytorchBlocks } from '../fixtures/mobilenet-blocks.js';
import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/backend.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession, type Feeds } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { randomFloats, randomInts, relativeError, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from '../webgpu/gpu.js';
import { assertInt8Outputs, initializer, nodeGraph, ortInt8Case, type NodeTest } from './ort-compare.js';
import { sameAsCpu } from './webgpu-same.js';

const IMAGE: [number, number, number] = [3, 32, 32];

async function qdqModel(prune: number): Promise<Uint8Array> {
  const graph: OnnxGraph = cifarCnn({ prune, image: IMAGE });
  const feeds = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [4, ...IMAGE], data: randomImages(4, IMAGE, 100 + seed) } }));
  return encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, feeds)));
}

/** Where each CPU-session node runs on WebGPU: all of the CNN's on the GPU (Flatten as a view). */
const GPU_KERNEL: Record<string, string> = {
  Conv: 'gpu:conv', QLinearConv: 'gpu:qconv', MaxPool: 'gpu:maxpool', Flatten: 'view', Gemm: 'gpu:gemm', QLinearMatMul: 'gpu:qgemm',
  QuantizeLinear: 'gpu:quantize', DequantizeLinear: 'gpu:dequantize',
};

/** The logits of onnxruntime-node (CPU EP, default options as the CPU tests) and of a sparq 'webgpu' session on the same images. */
async function both(bytes: Uint8Array, batch: number, gpu: WebGpuBackend) {
  const feeds = { input: new ort.Tensor('float32', randomImages(batch, IMAGE, 3), [batch, ...IMAGE]) };
  const reference = (await (await ort.InferenceSession.create(bytes)).run(feeds)).logits.data as Float32Array;
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu, profile: true });
  try {
    const out = (await session.run(feeds)).logits;
    assert.deepEqual(out.dims, [batch, 10]);
    assert.equal(out.type, 'float32');
    // The nodes the passes leave (MaxPool may be fused into its conv), each on its GPU kernel.
    // The CPU session's nodes in the layout the WebGPU session keeps (NCHW: 'auto' would add the NHWC region's transposes).
    const nodes = (await InferenceSession.create(bytes, { layout: 'nchw' })).profile().map((p) => p.opType);
    assert.deepEqual(session.profile().map((p) => p.kernel), nodes.map((op) => GPU_KERNEL[op]));
    return { reference, ours: out.data as Float32Array, profile: session.profile() };
  } finally {
    await session.release();
  }
}

describe('runtime: InferenceSession on WebGPU', () => {
  after(releaseGpu);

  it('runs 1-D, padded/strided, depthwise and grouped convs, pools and batched MatMul rows on the GPU, transA Gemm on the CPU, all as the CPU does', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(601);
    const f = (dims: number[], scale = 1) => value('float32', dims, randomFloats(dims.reduce((a, b) => a * b, 1), r, scale));
    const cases: [NodeTest, string][] = [
      [{ op: 'Conv', inputs: [f([2, 3, 11]), initializer(f([5, 3, 3])), initializer(f([5]))], attributes: { pads: [2, 1], strides: [2] } }, 'gpu:conv'],
      [{ op: 'Conv', inputs: [f([1, 3, 7, 6]), initializer(f([4, 3, 3, 2]))], attributes: { auto_pad: 'SAME_UPPER', strides: [2, 1], dilations: [1, 2] } }, 'gpu:conv'],
      [{ op: 'Conv', inputs: [f([2, 3, 9, 8]), initializer(f([4, 3, 3, 3])), initializer(f([4]))], attributes: { strides: [2, 2], pads: [0, 1, 1, 0] } }, 'gpu:conv'],
      [{ op: 'Conv', inputs: [f([1, 4, 5, 5]), initializer(f([6, 2, 3, 3]))], attributes: { group: 2 } }, 'gpu:dwconv'],
      [{ op: 'Conv', inputs: [f([2, 6, 11, 10]), initializer(f([6, 1, 5, 5])), initializer(f([6]))], attributes: { group: 6, strides: [2, 2], pads: [2, 1, 1, 2] } }, 'gpu:dwconv'],
      [{ op: 'Conv', inputs: [f([1, 4, 7, 7]), initializer(f([8, 1, 3, 3]))], attributes: { group: 4, auto_pad: 'SAME_UPPER', strides: [2, 2] } }, 'gpu:dwconv'],
      [{ op: 'Conv', inputs: [f([2, 4, 13]), initializer(f([4, 1, 3]))], attributes: { group: 4, pads: [1, 0], dilations: [2] } }, 'gpu:dwconv'],
      // A fusion attribute the GPU kernels do not know (a future pass's): the node stays on the CPU.
      [{ op: 'Conv', inputs: [f([1, 2, 5, 5]), initializer(f([3, 2, 3, 3]))], attributes: { sparq_unknown_fusion: 1 } }, 'cpu:conv'],
      [{ op: 'MaxPool', inputs: [f([2, 3, 7, 7])], attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } }, 'gpu:maxpool'],
      [{ op: 'MaxPool', inputs: [value('int8', [1, 2, 5, 6], randomInts(Int8Array, 60, -128, 127, r))], attributes: { kernel_shape: [2, 2], strides: [1, 2] } }, 'gpu:maxpool'],
      // A window larger than the padded input (onnxruntime's one output per axis).
      [{ op: 'MaxPool', inputs: [f([1, 2, 1, 2])], attributes: { kernel_shape: [2, 3], strides: [2, 2] } }, 'gpu:maxpool'],
      [{ op: 'MatMul', inputs: [f([2, 3, 7]), initializer(f([7, 5]))] }, 'gpu:gemm'],
      [{ op: 'Gemm', inputs: [f([7, 4]), initializer(f([7, 5])), initializer(f([5]))], attributes: { transA: 1 } }, 'cpu:gemm'],
      [{ op: 'Gemm', inputs: [f([3, 7]), initializer(f([5, 7])), initializer(f([1]))], attributes: { transB: 1, alpha: 0.5, beta: 2 }, floatAttributes: ['alpha', 'beta'] }, 'gpu:gemm'],
    ];
    // CPU labels name the CPU kernel's variant after the prefix ('cpu:conv-direct').
    for (const [test, kernel] of cases) {
      const got = await sameAsCpu(gpu, test);
      assert.ok(got === kernel || (kernel.startsWith('cpu:') && got.startsWith(`${kernel}-`)), `${test.op} ${JSON.stringify(test.attributes)}: ${got}`);
    }
  });

  it('runs a net whose pools get windows larger than their input at 32x32 (one fused into its conv) as onnxruntime does', async function () {
    const gpu = await gpuOrSkip(this);
    const bytes = encodeOnnxModel(downsamplingBlocks());
    const dims = [2, 3, 32, 32];
    const x = randomFloats(dims.reduce((a, b) => a * b), rng(602));
    const reference = (await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x, dims) })).logits.data as Float32Array;
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
    try {
      const ours = (await session.run({ input: value('float32', dims, x) })).logits.data as Float32Array;
      assert.ok(relativeError(ours, reference) < 1e-4, `relative error ${relativeError(ours, reference)}`);
      assert.ok(session.profile().some((p) => p.kernel === 'gpu:maxpool'));
    } finally {
      await session.release();
    }
  });

  it('reports a bad run-time input of a GPU node with the CPU kernel\'s ModelError', async function () {
    const gpu = await gpuOrSkip(this);
    const { graph } = nodeGraph({ op: 'Conv', inputs: [value('float32', [1, 3, 4, 4]), initializer(value('float32', [2, 3, 3, 3]))] });
    graph.inputs[0].dims = null;
    const bytes = encodeOnnxModel(graph);
    const feeds = { in0: value('float32', [1, 2, 4, 4]) };
    const cpuError = await InferenceSession.create(bytes).then((s) => s.run(feeds)).catch((e: Error) => e);
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
    await assert.rejects(session.run(feeds), (e: Error) => e.name === 'ModelError' && e.message === (cpuError as Error).message);
    await session.release();
  });

  for (const [prune, batch] of [[0, 1], [0, 3], [0.9, 3]] as const) {
    it(`runs the CIFAR-10 CNN fp32 within 1e-4 of onnxruntime (pruned ${prune * 100}%, batch ${batch}), convs and dense layers on the GPU`, async function () {
      const gpu = await gpuOrSkip(this);
      const { reference, ours, profile } = await both(encodeOnnxModel(cifarCnn({ prune, image: IMAGE })), batch, gpu);
      assert.ok(relativeError(ours, reference) < 1e-4, `relative error ${relativeError(ours, reference)}`);
      assert.equal(profile.filter((p) => p.kernel === 'gpu:conv').length, 3);
      assert.ok(profile.every((p) => p.calls === 1 && p.totalMs > 0));
    });
  }

  for (const [prune, batch] of [[0, 1], [0, 3], [0.9, 3]] as const) {
    it(`runs the QDQ int8 CNN bit for bit (pruned ${prune * 100}%, batch ${batch}) ${ortInt8Case()}`, async function () {
      const gpu = await gpuOrSkip(this);
      const bytes = await qdqModel(prune);
      const { reference, ours, profile } = await both(bytes, batch, gpu);
      // both() ran these images.
      const feeds = { input: { type: 'float32', dims: [batch, ...IMAGE], data: randomImages(batch, IMAGE, 3) } };
      const logits = (data: Float32Array) => ({ logits: { type: 'float32' as const, dims: [batch, 10], data } });
      await assertInt8Outputs(bytes, feeds, logits(ours), logits(reference), { tolerance: 0 });
      assert.equal(profile.filter((p) => p.kernel === 'gpu:qconv').length, 3);
    });
  }

  it('runs nodes without GPU kernels on the CPU between GPU nodes, fetches intermediate values, and frees every GPU buffer', async function () {
    const gpu = await gpuOrSkip(this);
    // Unfused: the BatchNormalizations stay nodes of their own (CPU kernels) between GPU convs and activations.
    const graph = pytorchBlocks({ opset: 14 });
    const bytes = encodeOnnxModel(graph);
    // Given-back buffers return to the pool at the next submit: count after a sync.
    await gpu.sync();
    const before = gpu.liveBuffers;
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu, optimize: false });
    const kernels = session.profile().map((p) => p.kernel);
    assert.ok(kernels.includes('cpu:batchnorm') && kernels.includes('gpu:conv') && kernels.includes('gpu:hard-swish'), kernels.join(', '));
    const dims = [2, 16, 8, 8];
    const feeds: Feeds = { input: { type: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b), rng(603)) } };
    const cpuSession = await InferenceSession.create(bytes, { optimize: false });
    // The first Conv's, BN's and HardSwish's outputs, and the logits.
    const first = (op: string) => graph.nodes.find((n) => n.opType === op)!.outputs[0];
    const fetches = [first('Conv'), first('BatchNormalization'), first('HardSwish'), 'logits'];
    const expected = cpuSession.runSync(feeds, fetches);
    const got = await session.run(feeds, fetches);
    for (const name of fetches) {
      assert.deepEqual(got[name].dims, expected[name].dims, name);
      assert.ok(relativeError(got[name].data as Float32Array, expected[name].data as Float32Array) < 1e-4, name);
    }
    await session.release();
    await gpu.sync();
    assert.equal(gpu.liveBuffers, before, 'GPU buffers left after release');
  });

  it('rejects runSync, bad feeds (as the CPU does) and runs after release', async function () {
    const gpu = await gpuOrSkip(this);
    const bytes = encodeOnnxModel(cifarCnn({ image: IMAGE }));
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
    const cpuSession = await InferenceSession.create(bytes);
    const good = { type: 'float32', dims: [1, ...IMAGE], data: randomImages(1, IMAGE) };
    assert.throws(() => session.runSync({ input: good }), (e: Error) => e instanceof TypeError && /use run\(\)/.test(e.message));
    for (const feeds of [
      {},
      { input: good, other: good },
      { input: { ...good, type: 'int32', data: new Int32Array(good.data.length) } },
      { input: { ...good, dims: [1, 3, 32, 31] } },
      { input: { ...good, data: new Float32Array(5) } },
    ] as Feeds[]) {
      let expected: Error | undefined;
      try {
        cpuSession.runSync(feeds);
      } catch (e) {
        expected = e as Error;
      }
      assert.ok(expected, `the CPU rejects ${JSON.stringify(Object.keys(feeds))}`);
      await assert.rejects(session.run(feeds), (e: Error) => e.constructor === expected!.constructor && e.message === expected!.message);
    }
    await assert.rejects(session.run({ input: good }, ['nope']), /^TypeError: fetches names "nope"/);
    await session.release();
    await assert.rejects(session.run({ input: good }), /the session was released/);
  });

  it('makes and destroys its own backend without options.gpu, and checks the options', async function () {
    await gpuOrSkip(this);
    const bytes = encodeOnnxModel(cifarCnn({ image: IMAGE }));
    const session = await InferenceSession.create(bytes, { backend: 'webgpu' });
    const out = await session.run({ input: { type: 'float32', dims: [1, ...IMAGE], data: randomImages(1, IMAGE) } });
    assert.deepEqual(out.logits.dims, [1, 10]);
    await session.release();
    await assert.rejects(InferenceSession.create(bytes, { gpu: {} as WebGpuBackend }), /^TypeError: options\.gpu needs options\.backend 'webgpu'/);
    await assert.rejects(InferenceSession.create(bytes, { backend: 'webgpu', gpu: {} as WebGpuBackend }), /^TypeError: options\.gpu must be a backend from webgpu\(\)/);
    await assert.rejects(InferenceSession.create(bytes, { backend: 'gpu' as never }), /options\.backend/);
  });
});
