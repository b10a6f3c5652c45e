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
      [{ op: 'Relu', inputs: [x] }, 'gpu:relu'],
      [{ op: 'LeakyRelu', inputs: [x], attributes: { alpha: 0.1 }, floatAttributes: ['alpha'] }, 'gpu:leaky-relu'],
      [{ op: 'HardSigmoid', inputs: [x], attributes: { alpha: 1 / 6, beta: 0.5 }, floatAttributes: ['alpha', 'beta'] }, 'gpu:hard-sigmoid'],
      [{ op: 'HardSigmoid', inputs: [x] }, 'gpu:hard-sigmoid'],
      [{ op: 'HardSwish', inputs: [f([2, 6, 5, 7], 5)], opset: 14 }, 'gpu:hard-swish'],
      [{ op: 'Clip', inputs: [x, scalar(0), scalar(6)], opset: 11 }, 'gpu:clip'],
      [{ op: 'Clip', inputs: [x, undefined, scalar(0.5)], opset: 13 }, 'gpu:clip'],
      [{ op: 'Clip', inputs: [x], opset: 9, attributes: { min: -0.5, max: 1 }, floatAttributes: ['min', 'max'] }, 'gpu:clip'],
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
      assert.equal(got, kernel, `${test.op} [${test.inputs.map((i) => (i && 'dims' in i ? i.dims : i && i.constant.dims))}]`);
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
    assert.ok(kernels.includes('gpu:transpose') && kernels.includes('gpu:clip') && kernels.includes('gpu:div'), kernels.join(', '));
  });
});
