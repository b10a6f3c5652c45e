import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { cifarCnn, randomImages } from '../../bench/models/cifar-cnn.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { relativeError } from '../helpers.js';

async function both(bytes: Uint8Array, batch: number, image: [number, number, number], options = {}) {
  const x = randomImages(batch, image);
  const feeds = { input: new ort.Tensor('float32', x, [batch, ...image]) };
  const reference = (await (await ort.InferenceSession.create(bytes)).run(feeds)).logits.data as Float32Array;
  const session = await InferenceSession.create(bytes, options);
  const ours = (await session.run(feeds)).logits;
  return { reference, ours, session };
}

describe('runtime: the CIFAR-10 CNN (fp32)', () => {
  for (const [image, batch] of [[[3, 32, 32], 1], [[3, 32, 32], 4], [[1, 28, 28], 3]] as [[number, number, number], number][]) {
    it(`matches onnxruntime on ${image.join('x')} at batch ${batch}`, async () => {
      const { reference, ours } = await both(encodeOnnxModel(cifarCnn({ image })), batch, image);
      assert.deepEqual(ours.dims, [batch, 10]);
      assert.ok(relativeError(ours.data as Float32Array, reference) < 1e-5, `relative error ${relativeError(ours.data as Float32Array, reference)}`);
    });
  }

  it('fuses the ReLUs into the convs and dense layers, and the pools into the convs', async () => {
    const session = await InferenceSession.create(encodeOnnxModel(cifarCnn()));
    const ops = session.profile().map((p) => p.opType);
    assert.deepEqual(ops, ['Conv', 'Conv', 'Conv', 'Flatten', 'Gemm', 'Gemm']);
  });

  it('runs 90%-pruned weights on sparse kernels and still matches onnxruntime', async () => {
    const image: [number, number, number] = [3, 32, 32];
    const { reference, ours, session } = await both(encodeOnnxModel(cifarCnn({ prune: 0.9 })), 2, image);
    assert.ok(relativeError(ours.data as Float32Array, reference) < 1e-5);
    const convKernels = (s: InferenceSession) => s.profile().filter((p) => p.opType === 'Conv').map((p) => p.kernel);
    assert.deepEqual(convKernels(session), ['conv-direct-csr', 'conv-direct-csr', 'conv-direct-csr']);
    const dense = await InferenceSession.create(encodeOnnxModel(cifarCnn({ prune: 0.9 })), { sparsity: 'off' });
    assert.deepEqual(convKernels(dense), ['conv-direct', 'conv-direct', 'conv-direct']);
    assert.ok(dense.profile().every((p) => !/sparse|csr|bsr|nm/.test(p.kernel)), dense.profile().map((p) => p.kernel).join(', '));
  });

  it('runs 90% block-pruned weights (4 output channels at a tap) on the block kernels and still matches onnxruntime, at batch 1 and 3', async () => {
    const image: [number, number, number] = [3, 32, 32];
    const bytes = encodeOnnxModel(cifarCnn({ prune: 0.9, pruneBlock: 4 }));
    // Batch 1 runs the sparse dense layer on one row without its transposes.
    const one = await both(bytes, 1, image);
    assert.ok(relativeError(one.ours.data as Float32Array, one.reference) < 1e-5);
    const { reference, ours, session } = await both(bytes, 3, image);
    assert.ok(relativeError(ours.data as Float32Array, reference) < 1e-5);
    const kernels = session.profile().map((p) => p.kernel);
    assert.deepEqual(kernels.filter((k) => k.startsWith('conv')), ['conv-direct-block4', 'conv-direct-block4', 'conv-direct-block4']);
    assert.ok(kernels.includes('spmm-bsr4x1'), kernels.join(', '));
  });
});
