/**
 * The benchmark models (test/fixtures/benchmark-models.ts: MobileNetV2,
 * MobileNetV3-small, ResNet-18, at full width) on the WebGPU session at
 * 32x32, fp32 dense and 90% block-pruned, against onnxruntime-node from the
 * same bytes: within 1e-4 relative (the absolute part scaled to the logits,
 * as models.test.ts checks the CPU session), with every conv on a GPU kernel
 * (depthwise and strided ones included). int8 runs its QLinearConvs on the
 * CPU in a WebGPU session and is checked exactly by models.test.ts.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { BENCHMARK_MODELS, toVariant, type BenchmarkModel } from '../fixtures/benchmark-models.js';
import { randomImages } from '../fixtures/cifar-cnn.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { assertClose } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from '../webgpu/gpu.js';

const SIZE = 32;
const RTOL = 1e-4;

describe(`benchmark models on WebGPU vs onnxruntime at ${SIZE}x${SIZE}`, function () {
  // Full-width weights: building the models and uploading them take the time.
  this.timeout(300_000);
  after(releaseGpu);

  for (const model of Object.keys(BENCHMARK_MODELS) as BenchmarkModel[])
    for (const variant of ['fp32 dense', 'fp32 90% block-pruned'] as const)
      it(`${model}, ${variant}: every conv on the GPU, within 1e-4`, async function () {
        const gpu = await gpuOrSkip(this);
        const bytes = encodeOnnxModel(await toVariant(BENCHMARK_MODELS[model]({ size: SIZE }), variant));
        const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
        const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
        const x = randomImages(2, [3, SIZE, SIZE], 71);
        const dims = [2, 3, SIZE, SIZE];
        const actual = (await session.run({ input: { type: 'float32', dims, data: x } })).logits;
        const expected = (await reference.run({ input: new ort.Tensor('float32', x, dims) })).logits.data as Float32Array;
        assert.deepEqual(actual.dims, [2, 1000]);
        const atol = RTOL * expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(actual.data as Float32Array, expected, RTOL, atol, 'logits');
        const convs = session.profile().filter((p) => p.opType === 'Conv');
        assert.ok(convs.length > 0);
        assert.deepEqual(convs.filter((p) => !p.kernel.startsWith('gpu:')).map((p) => `${p.node} [${p.kernel}]`), [], 'convs left on the CPU');
        await session.release();
        await reference.release();
      });
});
