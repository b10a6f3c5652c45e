/**
 * The WebGPU session on MobileNet-style models (test/fixtures/mobilenet-blocks.ts):
 * the elementwise, pooling and layout nodes they need, each on its own
 * against the CPU kernels, then the PyTorch and Paddle exports end to end
 * against onnxruntime (fp32 within 1e-4 relative, as the CPU session's
 * tests), with every node on a GPU kernel but the int64 shape arithmetic.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { paddleBlocks, pytorchBlocks } from '../fixtures/mobilenet-blocks.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { value } from '../../src/runtime/value.js';
import { assertClose, randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from '../webgpu/gpu.js';
import { initializer, type NodeTest } from './ort-compare.js';
import { sameAsCpu } from './webgpu-same.js';

const RTOL = 1e-4;

describe('runtime: MobileNet-style models on WebGPU', () => {
  after(releaseGpu);

  it('runs broadcast arithmetic, activations, GlobalAveragePool and NCHW<->NHWC transposes on the GPU, other inputs on the CPU, as the CPU does', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(801);
    const f = (dims: number[], scale = 2) => value('float32', dims, randomFloats(dims.reduce((a, b) => a * b, 1), r, scale));
    const scalar = (v: number) => initializer(value('float32', [], Float32Array.of(v)));
    const x = f([2, 6, 5, 7]);
    const cases: [NodeTest, string][] = [
      [{ op: 'Add', inputs: [x, f([2, 6, 5, 7])] }, 'gpu:add'],
      [{ op: 'Mul', inputs: [x, f([2, 6, 1, 1])] }, 'gpu:mul'],
      [{ op: 'Add', inputs: [f([1, 6, 1, 1]), x] }, 'gpu:add'],
      [{ op: 'Sub', inputs: [f([2, 1, 5]), initializer(f([3, 1]))] }, 'gpu:sub'],
      [{ op: 'Mul', inputs: [x, initializer(f([6, 1, 1]))] }, 'gpu:mul'],
      [{ op: 'Add', inputs: [x, scalar(3)] }, 'gpu:add'],
      [{ op: 'Div', inputs: [x, scalar(6)] }, 'gpu:div'],
      [{ op: 'Mul', inputs: [f([2, 1, 3, 1, 2, 1, 2, 1, 2, 1]), f([1, 2, 1, 2, 1, 2, 1, 2, 1, 2])] }, 'cpu:mul'],
      [{ op: 'Add', inputs: [value('int64', [3], BigInt64Array.of(1n, 2n, 3n)), value('int64', [1], BigInt64Array.of(5n))] }, 'cpu:add'],
      // A fusion attribute the elementwise GPU kernels do not apply: the CPU runs the node.
      [{ op: 'Add', inputs: [x, f([2, 6, 5, 7])], attributes: { sparq_activation_min: 0 }, floatAttributes: ['sparq_activation_min'] }, 'cpu:add'],
      [{ op: 'Relu', inputs: [x] }, 'gpu:relu'],
      [{ op: 'LeakyRelu', inputs: [x], attributes: { alpha: 0.1 }, floatAttributes: ['alpha'] }, 'cpu:leaky-relu'],
      [{ op: 'HardSigmoid', inputs: [x], attributes: { alpha: 1 / 6, beta: 0.5 }, floatAttributes: ['alpha', 'beta'] }, 'gpu:hard-sigmoid'],
      [{ op: 'HardSigmoid', inputs: [x] }, 'gpu:hard-sigmoid'],
      [{ op: 'HardSwish', inputs: [f([2, 6, 5, 7], 5)], opset: 14 }, 'gpu:hard-swish'],
      [{ op: 'Clip', inputs: [x, scalar(0), scalar(6)], opset: 11 }, 'gpu:clip'],
      [{ op: 'Clip', inputs: [x, undefined, scalar(0.5)], opset: 13 }, 'gpu:clip'],
      [{ op: 'Clip', inputs: [x], opset: 9, attributes: { min: -0.5, max: 1 }, floatAttributes: ['min', 'max'] }, 'gpu:clip'],
      // Bounds the wrong way round (all values become max): the CPU's Clip.
      [{ op: 'Clip', inputs: [x, scalar(1), scalar(-1)], opset: 11 }, 'cpu:clip'],
      [{ op: 'Clip', inputs: [value('int32', [4], Int32Array.of(-9, 0, 3, 9)), initializer(value('int32', [], Int32Array.of(0)))], opset: 13 }, 'cpu:clip'],
      [{ op: 'GlobalAveragePool', inputs: [f([2, 5, 9, 11])] }, 'gpu:globalavgpool'],
      [{ op: 'GlobalAveragePool', inputs: [f([3, 4, 150])] }, 'gpu:globalavgpool'],
      [{ op: 'Transpose', inputs: [x], attributes: { perm: [0, 2, 3, 1] } }, 'gpu:transpose'],
      [{ op: 'Transpose', inputs: [f([2, 5, 3, 4])], attributes: { perm: [0, 3, 1, 2] } }, 'gpu:transpose'],
      [{ op: 'Transpose', inputs: [f([1, 6, 1, 1])], attributes: { perm: [0, 2, 3, 1] } }, 'gpu:transpose'],
      [{ op: 'Transpose', inputs: [f([4, 7])] }, 'gpu:transpose'],
      [{ op: 'Transpose', inputs: [f([2, 3, 4])], attributes: { perm: [1, 0, 2] } }, 'cpu:transpose'],
    ];
    for (const [test, kernel] of cases) {
      // WGSL division may be 2.5 ULP off, the activations round per step in f32: a few ULPs.
      const got = await sameAsCpu(gpu, test, 1e-6);
      // CPU labels may name the CPU kernel's variant after the prefix ('cpu:add-avx2').
      const same = got === kernel || (kernel.startsWith('cpu:') && got.startsWith(`${kernel}-`));
      assert.ok(same, `${test.op} [${test.inputs.map((i) => (i && 'dims' in i ? i.dims : i && i.constant.dims))}]: ${got}`);
    }
  });

  it('runs the post-ops the passes fuse (Conv + residual Add + Relu, depthwise Conv + HardSwish, Gemm + HardSigmoid) on the GPU as the CPU does', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(803);
    const w = (base: string, dims: number[]) => ({ name: base, type: 'float' as const, dims, data: randomFloats(dims.reduce((a, b) => a * b), r, 0.5) });
    const graph: OnnxGraph = {
      nodes: [
        { opType: 'Conv', name: 'conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { pads: [1, 1, 1, 1] } },
        { opType: 'Add', name: 'residual', inputs: ['x', 'c1'], outputs: ['sum'] },
        { opType: 'Relu', name: 'relu', inputs: ['sum'], outputs: ['r1'] },
        { opType: 'Conv', name: 'depthwise', inputs: ['r1', 'w2'], outputs: ['c2'], attributes: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] } },
        { opType: 'HardSwish', name: 'hswish', inputs: ['c2'], outputs: ['h'] },
        { opType: 'Flatten', name: 'flat', inputs: ['h'], outputs: ['f'] },
        { opType: 'Gemm', name: 'fc', inputs: ['f', 'w3'], outputs: ['g'], attributes: { transB: 1 } },
        { opType: 'HardSigmoid', name: 'hsig', inputs: ['g'], outputs: ['y'], attributes: { alpha: 0.25, beta: 0.4 }, floatAttributes: ['alpha', 'beta'] },
      ],
      initializers: [w('w1', [4, 4, 3, 3]), w('b1', [4]), w('w2', [4, 1, 3, 3]), w('w3', [6, 36])],
      inputs: [{ name: 'x', type: 'float', dims: ['n', 4, 5, 5] }],
      outputs: [{ name: 'y', type: 'float', dims: ['n', 6] }],
      opset: 14,
    };
    const bytes = encodeOnnxModel(graph);
    const feeds = { x: value('float32', [2, 4, 5, 5], randomFloats(200, r, 2)) };
    const expected = (await InferenceSession.create(bytes)).runSync(feeds).y;
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
    try {
      const got = (await session.run(feeds)).y;
      assert.deepEqual(got.dims, expected.dims);
      assertClose(got.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-6, 'y');
      assert.deepEqual(session.profile().map((p) => p.kernel), ['gpu:conv', 'gpu:dwconv', 'view', 'gpu:gemm']);
    } finally {
      await session.release();
    }
  });

  /**
   * The model on WebGPU and on onnxruntime (CPU EP) at each shape; returns
   * the GPU session's kernel labels and how many GPU tensors it downloaded.
   */
  async function againstOrt(context: Mocha.Context, graph: OnnxGraph, shapes: number[][]): Promise<{ kernels: string[]; downloads: number }> {
    const gpu = await gpuOrSkip(context);
    const bytes = encodeOnnxModel(graph);
    const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu, profile: true });
    const [inputName, outputName] = [graph.inputs[0].name, graph.outputs[0].name];
    const download = gpu.download;
    let downloads = 0;
    gpu.download = (t) => (downloads++, download.call(gpu, t)) as never;
    try {
      for (const [i, dims] of shapes.entries()) {
        const x = Float32Array.from(randomFloats(dims.reduce((a, b) => a * b), rng(820 + i)), (v) => v / 2 + 0.5);
        const expected = (await reference.run({ [inputName]: new ort.Tensor('float32', x, dims) }))[outputName];
        const actual = (await session.run({ [inputName]: value('float32', dims, x) }))[outputName];
        assert.deepEqual(actual.dims, [...expected.dims]);
        const want = expected.data as Float32Array;
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(actual.data as Float32Array, want, RTOL, RTOL * scale, `input [${dims}]`);
      }
      return { kernels: session.profile().map((p) => p.kernel), downloads };
    } finally {
      gpu.download = download;
      await session.release();
    }
  }

  for (const opset of [13, 14] as const)
    it(`runs the PyTorch export (opset ${opset}) wholly on GPU kernels within 1e-4 of onnxruntime`, async function () {
      const { kernels, downloads } = await againstOrt(this, pytorchBlocks({ opset }), [[1, 16, 12, 12], [2, 16, 11, 9]]);
      // The logits of each run, nothing else.
      assert.equal(downloads, 2);
      assert.ok(kernels.every((k) => k.startsWith('gpu:') || k === 'view'), kernels.join(', '));
      assert.equal(kernels.filter((k) => k === 'gpu:dwconv').length, 2, kernels.join(', '));
    });

  it('runs the Paddle export (Clip ReLU6, arithmetic HardSwish, NHWC head) on GPU kernels but its int64 shape arithmetic, within 1e-4 of onnxruntime', async function () {
    const { kernels, downloads } = await againstOrt(this, paddleBlocks({ opset: 11 }), [[1, 16, 12, 12], [2, 16, 11, 9]]);
    // Shape reads the GPU value's dims without downloading it: the logits of each run only.
    assert.equal(downloads, 2);
    // Shape -> Gather -> Unsqueeze (a view) -> Concat computes Reshape's [batch, -1] on the CPU (int64 values).
    assert.deepEqual(kernels.filter((k) => k.startsWith('cpu:')), ['cpu:shape', 'cpu:gather', 'cpu:concat'], kernels.join(', '));
    assert.ok(kernels.includes('gpu:transpose') && kernels.includes('gpu:dwconv'), kernels.join(', '));
  });
});
