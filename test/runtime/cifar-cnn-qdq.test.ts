import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { cifarCnn, randomImages } from '../../bench/models/cifar-cnn.js';
import { calibrate, quantizeQdq } from '../../bench/models/qdq.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { hasInt8ConvKernel } from '../../src/kernels/conv2d.js';

async function qdqModel(prune = 0, image: [number, number, number] = [3, 32, 32], pruneBlock: 1 | 4 = 1): Promise<Uint8Array> {
  const graph: OnnxGraph = cifarCnn({ prune, image, pruneBlock });
  const feeds = [0, 1].map((seed) => ({ input: { type: 'float32', dims: [4, ...image], data: randomImages(4, image, 100 + seed) } }));
  return encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, feeds)));
}

async function compareExact(bytes: Uint8Array, batch: number, image: [number, number, number] = [3, 32, 32]) {
  const x = randomImages(batch, image, 3);
  const feeds = { input: new ort.Tensor('float32', x, [batch, ...image]) };
  const reference = (await (await ort.InferenceSession.create(bytes)).run(feeds)).logits.data as Float32Array;
  const session = await InferenceSession.create(bytes);
  const ours = (await session.run(feeds)).logits.data as Float32Array;
  let mismatches = 0;
  for (let i = 0; i < ours.length; i++) if (ours[i] !== reference[i]) mismatches++;
  return { mismatches, session, ours, reference };
}

describe('runtime: the CIFAR-10 CNN in QDQ int8 (per-channel weights)', () => {
  for (const [prune, batch] of [[0, 1], [0, 5], [0.9, 2]] as const) {
    it(`runs int8 end to end and equals onnxruntime exactly (pruned ${prune * 100}%, batch ${batch})`, async () => {
      const { mismatches, session } = await compareExact(await qdqModel(prune), batch);
      assert.equal(mismatches, 0);
      const ops = session.profile().map((p) => p.opType);
      assert.deepEqual(ops, ['QuantizeLinear', 'QLinearConv', 'QLinearConv', 'QLinearConv', 'Flatten', 'QLinearMatMul', 'QLinearMatMul', 'DequantizeLinear']);
    });
  }

  it('runs 90% block-pruned int8 on the block kernels (8-bit ones where the CPU has VNNI), exactly', async () => {
    const { mismatches, session } = await compareExact(await qdqModel(0.9, [3, 32, 32], 4), 3);
    assert.equal(mismatches, 0);
    const kernel = hasInt8ConvKernel() ? 'qconv-direct-int8' : 'qconv-direct-block4';
    assert.deepEqual(session.profile().filter((p) => p.opType === 'QLinearConv').map((p) => p.kernel), [kernel, kernel, kernel]);
  });

  it('runs dense int8 convs on the 8-bit kernel where the CPU has VNNI, exactly, and on the float kernels with sparsity off', async () => {
    const bytes = await qdqModel(0);
    const { mismatches, session } = await compareExact(bytes, 2);
    assert.equal(mismatches, 0);
    const kernels = session.profile().filter((p) => p.opType === 'QLinearConv').map((p) => p.kernel);
    assert.deepEqual(kernels, new Array(3).fill(hasInt8ConvKernel() ? 'qconv-direct-int8' : 'qconv-direct'));
    const off = await InferenceSession.create(bytes, { sparsity: 'off' });
    assert.deepEqual(off.profile().filter((p) => p.opType === 'QLinearConv').map((p) => p.kernel), ['qconv-direct', 'qconv-direct', 'qconv-direct']);
  });

  it('runs the 1x28x28 variant exactly too', async () => {
    const { mismatches } = await compareExact(await qdqModel(0, [1, 28, 28]), 3, [1, 28, 28]);
    assert.equal(mismatches, 0);
  });

  // The built-in crossover table puts int8 CSR's break-even at 6-7% density
  // (src/sparse/crossover-table.ts), so 97% pruning must run sparse.
  it('picks sparse int8 kernels for 97%-pruned layers and stays exact', async () => {
    const bytes = await qdqModel(0.97);
    assert.equal((await compareExact(bytes, 2)).mismatches, 0);
    const session = await InferenceSession.create(bytes);
    assert.ok(session.profile().some((p) => /^q(conv|spmm)-/.test(p.kernel)), session.profile().map((p) => p.kernel).join(', '));
  });
});
