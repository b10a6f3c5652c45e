/**
 * Quantization-aware fine-tuning: fake quantization follows ONNX's
 * QuantizeLinear -> DequantizeLinear, its clipped straight-through
 * gradient is checked by finite differences on its surrogate, a wrapped
 * Dense computes (and differentiates) as a Dense on the quantized values,
 * pruned weights stay 0, ranges follow a moving average in training and
 * freeze in eval, the exported QDQ model runs in sparq and onnxruntime as
 * the fake-quant network computes, and on a task where post-training int8
 * loses accuracy QAT wins most of it back.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { activationParams } from '../../src/compress/quantize-qdq.js';
import { relu } from '../../src/compress/train/layers/activation.js';
import { Dense, dense } from '../../src/compress/train/layers/dense.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import type { Batch } from '../../src/compress/train/layer.js';
import { graph, sequential, type Network } from '../../src/compress/train/network.js';
import { adam, sgd } from '../../src/compress/train/optimizer.js';
import { fakeQuantize, straightThrough } from '../../src/compress/train/qat/fake-quant.js';
import { qat } from '../../src/compress/train/qat/qat.js';
import { exportOnnx } from '../../src/compress/train/onnx.js';
import { quantize } from '../../src/compress/quantize/quantize.js';
import { Random } from '../../src/compress/train/random.js';
import { evaluate, train } from '../../src/compress/train/train.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import type { Tensor } from '../../src/tensor.js';
import { assertInt8Outputs } from '../runtime/ort-compare.js';
import { checkGradient } from './gradcheck.js';

const tensor = (data: Float32Array, dims: number[]): Tensor<'float32'> => ({ type: 'float32', dims, data });

/** Gaussian clusters: `features` dims around one random center per class (seed 7), noise 0.5, batches of 64. */
function clusters(images: number, features: number, classes: number, seed: number): Batch[] {
  const centers = new Random(7).uniform(classes * features, 1);
  const r = new Random(seed);
  const normal = () => (r.next() + r.next() + r.next() + r.next() - 2) * Math.sqrt(3);
  const batches: Batch[] = [];
  for (let b = 0; b < images / 64; b++) {
    const x = new Float32Array(64 * features), labels = new Uint8Array(64);
    for (let i = 0; i < 64; i++) {
      const c = (labels[i] = Math.floor(r.next() * classes));
      for (let f = 0; f < features; f++) x[i * features + f] = centers[c * features + f] + 0.5 * normal();
    }
    batches.push({ x: tensor(x, [64, features]), labels });
  }
  return batches;
}

function mlp(features: number, hidden: number, classes: number): Network {
  return sequential([dense(features, hidden, { name: 'fc1', seed: 1 }), relu(), dense(hidden, classes, { name: 'fc2', seed: 2 })], { input: [features] });
}

describe('compress: QAT fake quantization', () => {
  it('forward is QuantizeLinear -> DequantizeLinear (half to even, saturated); the mask marks the representable range', () => {
    const grid = { scale: 0.5, zeroPoint: 10 };
    const x = Float32Array.of(0.25, 0.75, -0.25, -5, -5.25, -6, 122.5, 123, 200);
    const y = new Float32Array(x.length), codes = new Uint8Array(x.length), inside = new Uint8Array(x.length);
    fakeQuantize(x, grid, y, codes, inside);
    assert.deepEqual([...codes], [10, 12, 10, 0, 0, 0, 255, 255, 255]);
    // 0.25 / 0.5 = 0.5 -> 0; 1.5 -> 2; -0.5 -> -0 (ties to even); -10 -> 0 + 10 = qmin; below saturates; 245 + 10 = 255; above saturates.
    assert.deepEqual([...y], [0, 1, 0, -5, -5, -5, 122.5, 122.5, 122.5]);
    assert.deepEqual([...inside], [1, 1, 1, 1, 0, 0, 1, 0, 0]);
    const dy = Float32Array.from(x, (_, i) => i + 1);
    straightThrough(dy, inside, dy);
    assert.deepEqual([...dy], [1, 2, 3, 4, 0, 0, 7, 0, 0]);
  });

  it("backward is the clipped STE: the gradient of its surrogate clamp(x, lo, hi) (finite differences)", () => {
    const grid = { scale: 0.1, zeroPoint: 100 }; // range [-10, 15.5]
    const r = new Random(3);
    // Values away from the range's ends by more than eps, some on each side.
    const x = Float32Array.from(r.uniform(64, 20), (v) => (Math.abs(v + 10) < 0.01 || Math.abs(v - 15.5) < 0.01 ? v + 0.1 : v));
    const weights = r.uniform(64, 1);
    const inside = new Uint8Array(64), dx = new Float32Array(64);
    fakeQuantize(x, grid, new Float32Array(64), new Uint8Array(64), inside);
    straightThrough(weights, inside, dx);
    assert.ok(inside.includes(0) && inside.includes(1));
    const surrogate = () => x.reduce((s, v, i) => s + weights[i] * Math.min(15.5, Math.max(-10, v)), 0);
    checkGradient('x', x, dx, surrogate);
  });
});

describe('compress: qat()', () => {
  for (const options of [{}, { perChannel: false, reduceRange: true }]) {
    it(`${JSON.stringify(options)}: a wrapped Dense computes and differentiates as a Dense on its fake-quantized weight and bias; the network fake-quantizes its input`, () => {
      const net = mlp(6, 5, 3);
      const batch = clusters(64, 6, 3, 1)[0];
      const q = qat(net, { ...options, calibration: [batch] });
      const fc1 = net.layers()[0] as Dense;
      const { scale, zeroPoint } = activationParams(...(q.ranges(exportOnnx(net)).get('input')!), false);
      const xq = tensor(new Float32Array(batch.x.data.length), [...batch.x.dims]), inside = new Uint8Array(xq.data.length);
      fakeQuantize(batch.x.data, { scale, zeroPoint }, xq.data, new Uint8Array(xq.data.length), inside);
      // The quantized params, as the exported model dequantizes them.
      const qdq = q.exportQdq();
      const dq = (name: string) => {
        const init = (n: string) => qdq.initializers!.find((t) => t.name === n)!.data;
        const values = init(`${name}.q`), scales = init(`${name}.scale`) as Float32Array;
        const k = values.length / scales.length;
        return Float32Array.from(values as Int8Array, (v, i) => Math.fround(v * scales[Math.floor(i / k)]));
      };
      const plain = new Dense({ ...fc1.weight, value: dq('fc1.weight'), grad: new Float32Array(30) }, { ...fc1.bias!, value: dq('fc1.bias'), grad: new Float32Array(5) });
      const expected = plain.forward(xq, 'train');
      const dy = tensor(new Random(5).uniform(64 * 5, 1), [64, 5]);
      const float = Float32Array.from(fc1.weight.value);
      assert.deepEqual(fc1.forward(xq, 'eval').data, expected.data);
      fc1.forward(xq, 'train');
      fc1.weight.grad.fill(0);
      fc1.bias!.grad.fill(0);
      const dx = Float32Array.from(fc1.backward(dy).data);
      const plainDx = plain.backward(dy);
      assert.deepEqual(fc1.weight.value, float, 'the float weights are back after forward and backward');
      assert.deepEqual(fc1.weight.grad, plain.weight.grad);
      assert.deepEqual(fc1.bias!.grad, plain.bias!.grad);
      assert.deepEqual(dx, plainDx.data);
      // The network's own input gradient is the STE's: 0 where the input saturated (the batch's extremes may, by the zero point's rounding).
      const logits = q.forward(batch.x, 'train');
      const dLogits = tensor(new Random(6).uniform(logits.data.length, 1), [...logits.dims]);
      const dInput = q.backward(dLogits);
      assert.ok(dInput.data.every((g, i) => inside[i] || g === 0));
      assert.ok(dInput.data.some((g) => g !== 0));
    });
  }

  it('activation ranges: min-max over the calibration, a moving average in train mode, frozen in eval', () => {
    const net = mlp(4, 4, 2);
    const x = (lo: number, hi: number) => tensor(Float32Array.of(lo, 0, 0, hi, 0, 0, 0, 0), [2, 4]);
    const q = qat(net, { momentum: 0.25, calibration: [{ x: x(-1, 2), labels: new Uint8Array(2) }, { x: x(-2, 1), labels: new Uint8Array(2) }] });
    const range = () => q.ranges(exportOnnx(net)).get('input');
    assert.deepEqual(range(), [-2, 2]);
    q.forward(x(-4, 6), 'eval');
    assert.deepEqual(range(), [-2, 2]);
    q.forward(x(-4, 6), 'train');
    assert.deepEqual(range(), [-2 + 0.25 * -2, 2 + 0.25 * 4]);
    const fresh = qat(mlp(4, 4, 2));
    assert.throws(() => fresh.forward(x(0, 1), 'eval'), /has no range for activation 'input' yet/);
    fresh.forward(x(0, 1), 'train');
    assert.deepEqual(fresh.ranges(exportOnnx(fresh.network)).get('input'), [0, 1]);
  });

  it('pruned (masked) weights stay 0 through QAT fine-tuning', () => {
    const net = mlp(6, 8, 3);
    const fc1 = net.params()[0];
    fc1.mask = Uint8Array.from(fc1.value, (_, i) => i % 3 === 0 ? 0 : 1);
    fc1.value.forEach((_, i) => { if (!fc1.mask![i]) fc1.value[i] = 0; });
    const data = clusters(256, 6, 3, 2);
    const q = qat(net, { calibration: data });
    train(q, { train: () => data, epochs: 2, optimizer: sgd(q.params(), { momentum: 0.9 }), schedule: 0.05, progress: 'none' });
    assert.ok(fc1.value.every((v, i) => fc1.mask![i] || v === 0));
    const w = q.exportQdq().initializers!.find((t) => t.name === 'fc1.weight.q')!.data as Int8Array;
    assert.ok(w.every((v, i) => fc1.mask![i] || v === 0));
  });
});

describe('compress: qat() export', () => {
  for (const options of [{}, { reduceRange: true }, { perChannel: false, symmetricActivations: true }]) {
    it(`${JSON.stringify(options)}: the QDQ model runs in sparq on the int8 kernels as the fake-quant network computes, and onnxruntime agrees`, async () => {
      const data = clusters(256, 6, 3, 4);
      const net = mlp(6, 8, 3);
      train(net, { train: () => data, epochs: 2, optimizer: adam(net.params()), schedule: 0.01, progress: 'none' });
      const q = qat(net, { ...options, calibration: data.slice(0, 2), momentum: 0.1 });
      train(q, { train: () => data, epochs: 1, optimizer: adam(q.params()), schedule: 0.002, progress: 'none' });
      const bytes = encodeOnnxModel(q.exportQdq());
      const x = data[3].x;
      const expected = q.forward(x, 'eval').data;
      const feeds = { input: x };
      const session = await InferenceSession.create(bytes);
      const actual = await session.run(feeds);
      const logits = actual.logits.data as Float32Array;
      const outputScale = activationParams(...q.ranges(exportOnnx(net)).get('logits')!, options.symmetricActivations ?? false).scale;
      // Not exact by construction: sparq requantizes the int32 sums with a float multiplier where the fake quant rounds float sums; one step at most (all equal in these cases).
      let equal = 0;
      for (let i = 0; i < logits.length; i++) {
        assert.ok(Math.abs(logits[i] - expected[i]) <= outputScale * 1.0001, `logit ${i}: sparq ${logits[i]}, fake quant ${expected[i]} (one step ${outputScale})`);
        if (logits[i] === expected[i]) equal++;
      }
      assert.ok(equal >= 0.9 * logits.length, `${equal} of ${logits.length} logits equal`);
      const ortOut = await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x.data, x.dims) });
      await assertInt8Outputs(bytes, feeds, actual, ortOut, { tolerance: 0 });
    });
  }
});

describe('compress: qat() export through a Flatten', () => {
  it('NHWC images flattened into an MLP: the exported model (NCHW input) gives the fake-quant logits', async () => {
    const n = sequential([flatten(), dense(12, 8, { name: 'fc1', seed: 1 }), relu(), dense(8, 3, { name: 'fc2', seed: 2 })], { input: [2, 2, 3] });
    const r = new Random(9);
    const images = (count: number) => tensor(r.uniform(count * 12, 2), [count, 2, 2, 3]);
    const q = qat(n, { calibration: [{ x: images(32), labels: new Uint8Array(32) }], momentum: 0.1 });
    const x = images(16);
    q.forward(x, 'train'); // one moving-average step
    const expected = q.forward(x, 'eval').data;
    const nchw = new Float32Array(x.data.length);
    for (let i = 0; i < 16; i++) for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) nchw[i * 12 + c * 4 + p] = x.data[i * 12 + p * 3 + c];
    const session = await InferenceSession.create(encodeOnnxModel(q.exportQdq()));
    const logits = (await session.run({ input: tensor(nchw, [16, 3, 2, 2]) })).logits.data as Float32Array;
    const step = activationParams(...q.ranges(exportOnnx(n)).get('logits')!, false).scale;
    for (let i = 0; i < logits.length; i++) assert.ok(Math.abs(logits[i] - expected[i]) <= step * 1.0001, `logit ${i}: sparq ${logits[i]}, fake quant ${expected[i]}`);
  });
});

describe('compress: qat() recovers what post-training int8 loses', () => {
  it('an MLP whose hidden activations span a wide range: QAT wins back most of the accuracy post-training quantization loses', async () => {
    const [features, hidden, classes] = [9, 8, 4];
    const data = clusters(2048, features, classes, 1), test = clusters(2048, features, classes, 2);
    const net = mlp(features, hidden, classes);
    train(net, { train: () => data, epochs: 30, optimizer: adam(net.params()), schedule: 0.01, progress: 'none' });
    // Hidden unit 0 scaled up 1000x and its outgoing weights down: the same function (ReLU is positively homogeneous),
    // but the hidden activation's range (per tensor) is ~1000x wider, as after folding a BatchNorm with a large scale.
    const SCALE = 1000;
    const [w1, b1, w2] = net.params();
    for (let i = 0; i < features; i++) w1.value[i] *= SCALE;
    b1.value[0] *= SCALE;
    for (let c = 0; c < classes; c++) w2.value[c * hidden] /= SCALE;
    const float = evaluate(net, test).accuracy;
    const q = qat(net, { reduceRange: true, calibration: data, momentum: 0.1 });
    const ptq = evaluate(q, test).accuracy;
    // Before fine-tuning the QAT network is post-training quantization: quantize()'s min-max model, initializer for initializer.
    const { graph: postTraining } = await quantize(exportOnnx(net), data.map((b) => ({ input: b.x })), { reduceRange: true });
    assert.deepEqual(q.exportQdq(), postTraining);
    train(q, { train: () => data, epochs: 10, optimizer: adam(q.params()), schedule: 0.01, progress: 'none' });
    const fineTuned = evaluate(q, test).accuracy;
    assert.ok(float > 0.9 && ptq < float - 0.3, `float ${float}, post-training int8 ${ptq}: the task must lose accuracy to PTQ`);
    assert.ok(fineTuned > ptq + 0.25 && fineTuned > float - 0.1, `float ${float}, post-training int8 ${ptq}, QAT ${fineTuned}`);
  });
});

describe('compress: qat() validation', () => {
  const net = () => mlp(4, 4, 2);
  const cases: [string, () => unknown, RegExp, ErrorConstructor][] = [
    ['network', () => qat({} as Network), /network must be a Network/, TypeError],
    ['options', () => qat(net(), 3 as never), /options must be an object/, TypeError],
    ['options.momentum type', () => qat(net(), { momentum: '0.1' as never }), /options\.momentum must be a number/, TypeError],
    ['options.momentum 0', () => qat(net(), { momentum: 0 }), /options\.momentum must be in \(0, 1\]/, RangeError],
    ['options.momentum > 1', () => qat(net(), { momentum: 1.5 }), /options\.momentum must be in \(0, 1\], got 1.5/, RangeError],
    ['options.reduceRange', () => qat(net(), { reduceRange: 1 as never }), /options\.reduceRange/, TypeError],
    ['options.perChannel', () => qat(net(), { perChannel: 'yes' as never }), /options\.perChannel/, TypeError],
    ['options.symmetricActivations', () => qat(net(), { symmetricActivations: null as never }), /options\.symmetricActivations/, TypeError],
    ['options.calibration', () => qat(net(), { calibration: 5 as never }), /options\.calibration must be an iterable of batches/, TypeError],
    ['options.input', () => qat(sequential([dense(4, 2)]), {}), /options\.input is required/, RangeError],
    ['no weight layer', () => qat(sequential([relu()], { input: [4] })), /network has no Gemm or Conv layer/, RangeError],
    // An Add's output read by another Add inside one graph(): no layer makes or alone reads it, so nothing outside network.ts can quantize it once.
    ['an Add read by an Add', () => qat(graph((b, x) => {
      const sum = b.add(b.apply(dense(4, 4, { name: 'a' }), x), x, 'sum');
      return b.add(b.apply(dense(4, 4, { name: 'b' }), sum), sum);
    }, { input: [4] })), /activation 'sum' \(read by Gemm, Add\), which quantizeQdq quantizes but QAT does not model yet/, RangeError],
  ];
  for (const [what, call, message, type] of cases)
    it(`${what}: ${type.name}`, () => assert.throws(call, (e: Error) => e instanceof type && message.test(e.message)));

  it('a network wrapped twice, exportQdq before a range is learned or with bad options, ranges of a non-graph', () => {
    const n = net();
    const q = qat(n);
    assert.throws(() => qat(n), /network is already wrapped by qat\(\)/);
    assert.throws(() => q.exportQdq(), /has no range for activation 'input' yet/);
    assert.throws(() => q.exportQdq(7 as never), TypeError);
    assert.throws(() => q.ranges({} as never), /graph\.nodes must be an array/);
  });

  it('a Flatten before the Gemm: the range goes to the value quantizeQdq takes it from', () => {
    const n = sequential([flatten(), dense(8, 2, { name: 'fc' })], { input: [2, 2, 2] });
    const q = qat(n, { calibration: [{ x: tensor(Float32Array.from({ length: 8 }, (_, i) => i - 2), [1, 2, 2, 2]), labels: new Uint8Array(1) }] });
    assert.deepEqual([...q.ranges(exportOnnx(n)).keys()], ['input', 'logits']);
    assert.deepEqual(q.ranges(exportOnnx(n)).get('input'), [-2, 5]);
  });
});
