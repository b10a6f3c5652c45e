/**
 * The benchmark models (test/fixtures/benchmark-models.ts: MobileNetV2,
 * MobileNetV3-small, ResNet-18, at full width) at 32x32, each variant the
 * benchmark times, run by sparq and by onnxruntime-node from the same bytes,
 * at batch 2 and then batch 1 on the same sessions, each with option
 * layout 'nchw' and 'nhwc' (the convs the channels-last operator runs, and
 * the nodes between them, moved to NHWC: passes/nhwc-layout.ts).
 *
 * fp32: |sparq - onnxruntime| <= 1e-4 * |onnxruntime| + 1e-4 * max|onnxruntime|
 * (relative 1e-4, the absolute part scaled to the logits for values near 0,
 * as in mobilenet-blocks.test.ts). int8 (QDQ), at batch 2: exactly the
 * logits of sparq's exact reference backend, and of onnxruntime where its
 * int8 is exact on this CPU (ort-compare.ts's assertInt8Outputs; where
 * onnxruntime's u8s8 kernels saturate at int16, its logits are checked for
 * type and dims only); at batch 1, exactly the first image's logits at
 * batch 2 (one run of the slow reference per model). Exact because every
 * Conv runs as a QLinearConv (quantizeQdq quantizes the inputs of the
 * residual Adds, activations and squeeze-excites, so a QuantizeLinear
 * follows each Conv: the last describe checks none is left in float) and
 * the elementwise ops between a DequantizeLinear and a QuantizeLinear are
 * single float operations, the same in every backend. NHWC's int8 logits
 * equal NCHW's exactly.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { BENCHMARK_MODELS, toVariant, VARIANTS, type BenchmarkModel } from '../fixtures/benchmark-models.js';
import { randomImages } from '../fixtures/cifar-cnn.js';
import { encodeOnnxModel, type OnnxGraph } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { assertClose } from '../helpers.js';
import { assertInt8Outputs, ortInt8Case } from './ort-compare.js';

const SIZE = 32;
const RTOL = 1e-4;

const count = (graph: OnnxGraph, op: string) => graph.nodes.filter((n) => n.opType === op).length;

/** Each model's fp32 dense graph at SIZE, built once for all the tests (full-width weights take a while to draw). */
const denseGraphs = new Map<BenchmarkModel, OnnxGraph>();
function dense(model: BenchmarkModel): OnnxGraph {
  if (!denseGraphs.has(model)) denseGraphs.set(model, BENCHMARK_MODELS[model]({ size: SIZE }));
  return denseGraphs.get(model)!;
}

describe('benchmark models: the layer tables', () => {
  it('MobileNetV2: 52 convs (17 of them depthwise 3x3), 10 residual Adds, 35 ReLU6 Clips, one Gemm to 1000 classes', () => {
    const g = dense('mobilenetv2');
    assert.equal(count(g, 'Conv'), 52);
    assert.equal(g.nodes.filter((n) => n.opType === 'Conv' && n.attributes?.group !== 1).length, 17);
    assert.equal(count(g, 'Add'), 10);
    assert.equal(count(g, 'Clip'), 35);
    assert.equal(count(g, 'Gemm'), 1);
    assert.deepEqual(g.outputs[0].dims, ['batch', 1000]);
  });

  it('MobileNetV3-small: 52 convs (11 depthwise, 8 of them 5x5), 9 squeeze-excites, 6 residual Adds, 2 Gemms', () => {
    const g = dense('mobilenetv3-small');
    const depthwise = g.nodes.filter((n) => n.opType === 'Conv' && n.attributes?.group !== 1);
    assert.equal(count(g, 'Conv'), 52);
    assert.equal(depthwise.length, 11);
    assert.equal(depthwise.filter((n) => (n.attributes?.kernel_shape as number[])[0] === 5).length, 8);
    assert.equal(count(g, 'HardSigmoid'), 9);
    assert.equal(count(g, 'Mul'), 9);
    assert.equal(count(g, 'Add'), 6);
    assert.equal(count(g, 'Gemm'), 2);
  });

  it('ResNet-18: 20 convs (one 7x7, three 1x1 downsamples), a max pool, 8 residual Adds', () => {
    const g = dense('resnet18');
    const kernels = g.nodes.filter((n) => n.opType === 'Conv').map((n) => (n.attributes?.kernel_shape as number[])[0]);
    assert.deepEqual([kernels.filter((k) => k === 7).length, kernels.filter((k) => k === 3).length, kernels.filter((k) => k === 1).length], [1, 16, 3]);
    assert.equal(count(g, 'MaxPool'), 1);
    assert.equal(count(g, 'Add'), 8);
  });
});

describe(`benchmark models vs onnxruntime at ${SIZE}x${SIZE}, batch 2 then 1, layouts nchw and nhwc`, function () {
  // Full-width weights: building and preparing the models, not running them, takes the time.
  this.timeout(300_000);

  for (const model of Object.keys(BENCHMARK_MODELS) as BenchmarkModel[])
    for (const variant of VARIANTS) {
      const int8 = variant.startsWith('int8');
      it(`${model}, ${variant}${int8 ? ` ${ortInt8Case()}` : ''}`, async () => {
        const graph = await toVariant(dense(model), variant);
        const bytes = encodeOnnxModel(graph);
        const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
        const nchw = await InferenceSession.create(bytes, { layout: 'nchw' });
        const nhwc = await InferenceSession.create(bytes, { layout: 'nhwc' });
        const images = randomImages(2, [3, SIZE, SIZE], 70);
        let pair: Float32Array | undefined;
        for (const batch of [2, 1]) {
          const x = images.subarray(0, batch * 3 * SIZE * SIZE);
          const feeds = { input: { type: 'float32', dims: [batch, 3, SIZE, SIZE], data: x } };
          const actual = await nchw.run(feeds);
          const moved = (await nhwc.run(feeds)).logits;
          assert.deepEqual(actual.logits.dims, [batch, 1000]);
          assert.deepEqual(moved.dims, [batch, 1000]);
          const logits = actual.logits.data as Float32Array;
          // int8 is exact in both layouts, so NHWC's logits are NCHW's, which are checked against the oracles.
          if (int8) assert.deepEqual(moved.data, logits, `layout 'nhwc' against 'nchw', batch ${batch}`);
          if (int8 && pair) {
            assert.deepEqual(logits, pair.subarray(0, 1000), 'batch 1 against the first image of batch 2');
            continue;
          }
          const expected = await reference.run({ input: new ort.Tensor('float32', x, feeds.input.dims) });
          if (int8) await assertInt8Outputs(bytes, feeds, actual, expected, { tolerance: 0 });
          else {
            const e = expected.logits.data as Float32Array;
            const atol = RTOL * e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            assertClose(logits, e, RTOL, atol, `layout 'nchw', batch ${batch}`);
            assertClose(moved.data as Float32Array, e, RTOL, atol, `layout 'nhwc', batch ${batch}`);
          }
          pair = logits;
        }
        // The dense models' convs run channels-last (pruned ones the NCHW operator runs sparse stay NCHW).
        if (variant.endsWith('dense')) assert.ok(nhwc.profile().some((p) => p.opType === 'Transpose'), 'the layout pass moved nothing');
        await nchw.release();
        await nhwc.release();
        await reference.release();
      });
    }
});

describe('benchmark models, int8: every Conv and Gemm runs on the integer kernels', function () {
  this.timeout(300_000);

  for (const model of Object.keys(BENCHMARK_MODELS) as BenchmarkModel[])
    for (const variant of VARIANTS.filter((v) => v.startsWith('int8')))
      it(`${model}, ${variant}: no float Conv or Gemm after the passes`, async () => {
        const graph = await toVariant(dense(model), variant);
        const session = await InferenceSession.create(encodeOnnxModel(graph));
        const ops = session.profile().map((p) => p.opType);
        assert.deepEqual(ops.filter((op) => op === 'Conv' || op === 'Gemm' || op === 'MatMul'), [], ops.join(', '));
        assert.equal(ops.filter((op) => op === 'QLinearConv').length, count(graph, 'Conv'));
        await session.release();
      });
});
