import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { assertCloseNonfinite, relativeError } from '../helpers.js';

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

  it('fuses the ReLUs into the convs and dense layers, and the pools into the convs, in either layout (\'auto\' takes NHWC)', async () => {
    const ops = async (layout: 'auto' | 'nchw') => (await InferenceSession.create(encodeOnnxModel(cifarCnn()), { layout })).profile().map((p) => p.opType);
    assert.deepEqual(await ops('nchw'), ['Conv', 'Conv', 'Conv', 'Flatten', 'Gemm', 'Gemm']);
    // NHWC: the input transposed in, back to NCHW before Flatten.
    assert.deepEqual(await ops('auto'), ['Transpose', 'Conv', 'Conv', 'Conv', 'Transpose', 'Flatten', 'Gemm', 'Gemm']);
  });

  it('runs 90%-pruned weights on sparse kernels and still matches onnxruntime', async () => {
    const image: [number, number, number] = [3, 32, 32];
    const { reference, ours, session } = await both(encodeOnnxModel(cifarCnn({ prune: 0.9 })), 2, image);
    assert.ok(relativeError(ours.data as Float32Array, reference) < 1e-5);
    // Direct or im2col is the conv cost model's call for the variants this CPU runs; CSR either way.
    const convKernels = (s: InferenceSession) => s.profile().filter((p) => p.opType === 'Conv').map((p) => p.kernel);
    for (const k of convKernels(session)) assert.match(k, /^conv-(direct-)?csr$/, convKernels(session).join(', '));
    const dense = await InferenceSession.create(encodeOnnxModel(cifarCnn({ prune: 0.9 })), { sparsity: 'off' });
    for (const k of convKernels(dense)) assert.match(k, /^conv(-direct|-nhwc|-nchw-to-nhwc)?$/, convKernels(dense).join(', '));
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
    // Direct or im2col is the conv cost model's call for the variants this CPU runs; [4 x 1] blocks either way.
    const convs = kernels.filter((k) => k.startsWith('conv'));
    assert.equal(convs.length, 3);
    for (const k of convs) assert.match(k, /^conv-(direct-block4|bsr4x1)$/, convs.join(', '));
    // The dense layer's block height is linear()'s crossover call for this CPU ([4 x 1] or [8 x 1]).
    assert.ok(kernels.some((k) => /^spmm-bsr[48]x1$/.test(k)), kernels.join(', '));
  });

  // The sparse kernels' contract: an unstored weight is an exact 0, and
  // 0 x Inf = 0 x NaN = NaN, so a pruned model has NaN where the same model
  // on dense kernels has it (the sparse kernels once skipped those products
  // and gave finite logits). Against onnxruntime at pixels whose NaN and Inf
  // reach the logits the same way through both MaxPools: sparq's never lets
  // a NaN win a window (f32-maxpool.h), onnxruntime's lets it win in some
  // window positions, so an Inf at pixel 1500 gives NaN logits there only.
  it('gives NaN logits for images with a NaN or an Inf pixel where its dense kernels and onnxruntime do, block-pruned and CSR', async () => {
    const image: [number, number, number] = [3, 32, 32];
    const pixels = [0, 100, 231, 1000, 2047, 2500, 3071];
    const specials = [NaN, Infinity, -Infinity].flatMap((value) => pixels.map((at) => [value, at]));
    const x = randomImages(specials.length, image);
    specials.forEach(([value, at], b) => (x[b * 3072 + at] = value));
    const feeds = { input: new ort.Tensor('float32', x, [specials.length, ...image]) };
    const nanImages = (logits: Float32Array) => specials.map((_, b) => logits.subarray(b * 10, b * 10 + 10).some(Number.isNaN));
    for (const options of [{ prune: 0.9, pruneBlock: 4 as const }, { prune: 0.9 }]) {
      const bytes = encodeOnnxModel(cifarCnn(options));
      const reference = (await (await ort.InferenceSession.create(bytes)).run(feeds)).logits.data as Float32Array;
      const sparse = (await (await InferenceSession.create(bytes)).run(feeds)).logits.data as Float32Array;
      const dense = (await (await InferenceSession.create(bytes, { sparsity: 'off' })).run(feeds)).logits.data as Float32Array;
      const what = `pruneBlock ${options.pruneBlock ?? 1}`;
      assertCloseNonfinite(sparse, dense, 1e-4, 1e-5, `${what}: sparse vs dense kernels`);
      assert.deepEqual(nanImages(sparse), nanImages(reference), `${what}: images with NaN logits vs onnxruntime`);
      assert.ok(nanImages(sparse).some((v) => v) && nanImages(sparse).some((v) => !v), `${what}: some images NaN, some not`);
      // Batch 1 runs the sparse dense layer on one row (the GEMV path).
      const one = await (await InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x.subarray(3072, 6144), [1, ...image]) });
      assertCloseNonfinite(one.logits.data as Float32Array, dense.subarray(10, 20), 1e-4, 1e-5, `${what}: batch 1`);
    }
  });
});
