/**
 * QAT of residual and mobile-block networks: qat() fake-quantizes every
 * activation quantizeQdq quantizes (the inputs of Add, GlobalAveragePool and
 * HardSwish besides those of Conv and Gemm) once where it is made, so that
 * one range serves a value a Conv and an Add both read; the exported QDQ
 * model runs in sparq and onnxruntime as the QAT network computes, the
 * straight-through gradients train it, and a first layer skips its input
 * gradient through the wrappers.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { activationParams, quantizedActivations } from '../../src/compress/quantize-qdq.js';
import { hardSwish, relu6 } from '../../src/compress/train/layers/activation.js';
import { conv2d } from '../../src/compress/train/layers/conv2d.js';
import { depthwiseConv2d } from '../../src/compress/train/layers/conv-depthwise.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import { globalAveragePool } from '../../src/compress/train/layers/pool-global.js';
import type { Batch, Layer } from '../../src/compress/train/layer.js';
import { softmaxCrossEntropy } from '../../src/compress/train/loss.js';
import { graph, residual, sequential, type Network } from '../../src/compress/train/network.js';
import { exportOnnx } from '../../src/compress/train/onnx.js';
import { adam } from '../../src/compress/train/optimizer.js';
import { qat } from '../../src/compress/train/qat/qat.js';
import { quantize } from '../../src/compress/quantize/quantize.js';
import { Random } from '../../src/compress/train/random.js';
import { train } from '../../src/compress/train/train.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import type { Tensor } from '../../src/tensor.js';

const tensor = (data: Float32Array, dims: number[]): Tensor<'float32'> => ({ type: 'float32', dims, data });
const same = { kernelShape: [3, 3], pads: [1, 1, 1, 1] } as const;

/**
 * stem Conv -> HardSwish 'h' -> body Conv, 'sum' = body + h (h read by a Conv
 * and an Add), GlobalAveragePool of sum, Flatten, Gemm: NHWC [6, 6, 3] to 3 classes.
 */
function flatResidual(): Network {
  return graph((b, x) => {
    const h = b.apply(hardSwish(), b.apply(conv2d(3, 4, { ...same, name: 'stem', seed: 1 }), x, 'stem_out'), 'h');
    const sum = b.add(b.apply(conv2d(4, 4, { ...same, name: 'body', seed: 2 }), h, 'body_out'), h, 'sum');
    return b.apply(dense(4, 3, { name: 'fc', seed: 3 }), b.apply(flatten(), b.apply(globalAveragePool(), sum, 'pooled')));
  }, { input: [6, 6, 3] });
}

/** MobileNetV2-like: 1x1 expand, ReLU6, two inverted-residual blocks in a row (the second's Add reads the first's), GlobalAveragePool, Gemm. */
function mobileBlocks(): Network {
  const block = (i: number) => residual([
    conv2d(4, 8, { kernelShape: [1, 1], name: `expand${i}`, seed: 10 + i }), hardSwish(),
    depthwiseConv2d(8, { ...same, name: `dw${i}`, seed: 20 + i }), relu6(),
    conv2d(8, 4, { kernelShape: [1, 1], name: `project${i}`, seed: 30 + i }),
  ]);
  return sequential([conv2d(3, 4, { ...same, name: 'stem', seed: 1 }), relu6(), block(1), block(2), globalAveragePool(), flatten(), dense(4, 3, { name: 'fc', seed: 3 })], { input: [6, 6, 3] });
}

/** Images whose class is the channel with the largest mean, batches of 32 (seeded). */
function images(batches: number, seed: number): Batch[] {
  const r = new Random(seed);
  return Array.from({ length: batches }, () => {
    const x = r.uniform(32 * 108, 1), labels = new Uint8Array(32);
    for (let i = 0; i < 32; i++) {
      const c = (labels[i] = Math.floor(r.next() * 3));
      for (let p = 0; p < 36; p++) x[i * 108 + p * 3 + c] += 0.5;
    }
    return { x: tensor(x, [32, 6, 6, 3]), labels };
  });
}

function nchw(x: Tensor<'float32'>): Tensor<'float32'> {
  const [n, h, w, c] = x.dims, out = new Float32Array(x.data.length);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[(i * c + ch) * h * w + p] = x.data[(i * h * w + p) * c + ch];
  return tensor(out, [n, c, h, w]);
}

const networks: [string, () => Network][] = [['graph() with a residual Add, HardSwish, GlobalAveragePool', flatResidual], ['residual() MobileNetV2-like blocks with depthwise convs', mobileBlocks]];

describe('compress: qat() of residual networks', () => {
  for (const [what, build] of networks) {
    it(`${what}: one range per activation quantizeQdq quantizes; the QDQ model in sparq and onnxruntime computes what the QAT network does`, async () => {
      const data = images(8, 1);
      const net = build();
      train(net, { train: () => data, epochs: 2, optimizer: adam(net.params()), schedule: 0.01, progress: 'none' });
      const q = qat(net, { calibration: data.slice(0, 2), momentum: 0.1 });
      // Before fine-tuning the QAT network is post-training quantization: quantize()'s min-max model, node for node. Its
      // calibration runs the float model in sparq's session (NCHW kernels), whose sums may round apart from the trainer's
      // in the last bit: scales within 1e-6 relative, zero points and int32 biases within one.
      const { graph: postTraining } = await quantize(exportOnnx(net), data.slice(0, 2).map((b) => ({ input: nchw(b.x) })));
      const before = q.exportQdq();
      assert.deepEqual(before.nodes, postTraining.nodes);
      assert.deepEqual(before.initializers!.map((t) => [t.name, t.type, t.dims]), postTraining.initializers!.map((t) => [t.name, t.type, t.dims]));
      before.initializers!.forEach((t, i) => {
        const expected = postTraining.initializers![i].data as ArrayLike<number>;
        const tolerance = (v: number) => (t.type === 'float' ? 1e-6 * Math.abs(v) : t.type === 'int8' ? 0 : 1);
        Array.from(t.data as ArrayLike<number>).forEach((v, j) => assert.ok(Math.abs(v - expected[j]) <= tolerance(v), `${t.name}[${j}]: ${v}, quantize() ${expected[j]}`));
      });
      train(q, { train: () => data, epochs: 1, optimizer: adam(q.params()), schedule: 0.002, progress: 'none' });
      const float = exportOnnx(net);
      const ranges = q.ranges(float);
      const sources = quantizedActivations(float).filter((name) => !float.nodes.some((n) => n.outputs[0] === name && (n.opType === 'Flatten' || n.opType === 'MaxPool')));
      assert.deepEqual([...ranges.keys()].sort(), sources.sort());
      const bytes = encodeOnnxModel(q.exportQdq());
      const x = images(1, 9)[0].x;
      const expected = q.forward(x, 'eval').data;
      const step = activationParams(...ranges.get('logits')!, false).scale;
      const sparq = (await (await InferenceSession.create(bytes)).run({ input: nchw(x) })).logits.data as Float32Array;
      const ortInput = nchw(x);
      const onnxruntime = (await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', ortInput.data, ortInput.dims) })).logits.data as Float32Array;
      // Not exact by construction: the runtimes requantize each Conv's int32 sums with a float multiplier where the fake quant
      // rounds float sums, and sum the pool in another order; one step of an inner value can move a logit by up to a step.
      for (const [runtime, logits] of [['sparq', sparq], ['onnxruntime', onnxruntime]] as const) {
        let equal = 0;
        for (let i = 0; i < logits.length; i++) {
          assert.ok(Math.abs(logits[i] - expected[i]) <= step * 1.0001, `${runtime} logit ${i}: ${logits[i]}, fake quant ${expected[i]} (one step ${step})`);
          if (logits[i] === expected[i]) equal++;
        }
        assert.ok(equal >= 0.9 * logits.length, `${runtime}: ${equal} of ${logits.length} logits equal`);
      }
    });

    it(`${what}: the straight-through gradients lower the loss on a fixed batch; needInputGrad false reaches the first layer`, () => {
      const net = build();
      const stem = net.layers()[0];
      const asked: boolean[] = [];
      const backward = stem.backward.bind(stem);
      stem.backward = ((dy: Tensor<'float32'>, needInputGrad: boolean = true) => {
        asked.push(needInputGrad);
        return backward(dy, needInputGrad);
      }) as Layer['backward'];
      const batch = images(1, 2)[0];
      const q = qat(net, { calibration: [batch], momentum: 0.1 });
      const optimizer = adam(q.params());
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const { loss, grad } = softmaxCrossEntropy(q.forward(batch.x, 'train'), batch.labels);
        losses.push(loss);
        for (const p of q.params()) p.grad.fill(0);
        assert.equal(q.backward(grad, false), undefined);
        optimizer.step(0.01);
      }
      assert.ok(asked.length === 20 && asked.every((need) => !need), `the stem was asked for ${asked.join(', ')}`);
      assert.ok(losses[19] < 0.8 * losses[0], `loss ${losses[0]} -> ${losses[19]}`);
      // The same params' grads with and without the input gradient.
      const { grad } = softmaxCrossEntropy(q.forward(batch.x, 'train'), batch.labels);
      const grads = (need: boolean) => {
        for (const p of q.params()) p.grad.fill(0);
        const dx = q.backward(grad, need);
        return { dx, params: q.params().map((p) => Float32Array.from(p.grad)) };
      };
      const without = grads(false), withInput = grads(true);
      assert.deepEqual(without.params, withInput.params);
      assert.deepEqual(withInput.dx?.dims, batch.x.dims);
      assert.ok(withInput.dx!.data.some((g) => g !== 0));
    });
  }

  it('ranges follow the export names: exportQdq with other input and output names', async () => {
    const net = mobileBlocks();
    const data = images(2, 4);
    const q = qat(net, { calibration: data });
    const renamed = q.exportQdq({ inputName: 'image', outputName: 'scores' });
    const plain = q.exportQdq();
    assert.equal(renamed.initializers!.length, plain.initializers!.length);
    const x = data[0].x;
    const session = await InferenceSession.create(encodeOnnxModel(renamed));
    const a = (await session.run({ image: nchw(x) })).scores.data;
    const b = (await (await InferenceSession.create(encodeOnnxModel(plain))).run({ input: nchw(x) })).logits.data;
    assert.deepEqual(a, b);
  });
});
