/**
 * The trainer's dense-side layers, the network's Add fan-out and the loss:
 * gradients against finite differences (gradcheck.ts), and the forward
 * behaviour the checks cannot see (dropout's masks, BatchNorm's running
 * statistics, Flatten's NCHW order).
 */
import assert from 'node:assert/strict';

import { clip, hardSigmoid, hardSwish, relu, relu6, sigmoid } from '../../src/compress/train/layers/activation.js';
import { batchNorm } from '../../src/compress/train/layers/batchnorm.js';
import { conv2d } from '../../src/compress/train/layers/conv2d.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { dropout } from '../../src/compress/train/layers/dropout.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import { softmaxCrossEntropy } from '../../src/compress/train/loss.js';
import { graph, residual, sequential } from '../../src/compress/train/network.js';
import type { Tensor } from '../../src/tensor.js';
import { assertClose, assertSameArray, randomFloats, rng } from '../helpers.js';
import { checkGradient, checkLayerGradients } from './gradcheck.js';

function t(dims: number[], data: Float32Array): Tensor<'float32'> {
  return { type: 'float32', dims, data };
}

/** Random values in [-scale, scale) moved at least `gap` away from each kink. */
function awayFrom(kinks: number[], n: number, seed: number, scale = 4, gap = 0.05): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    let v = (r() * 2 - 1) * scale;
    for (const k of kinks) if (Math.abs(v - k) < gap) v = k + (v < k ? -2 : 2) * gap;
    return v;
  });
}

describe('compress/train: layer gradients against finite differences', () => {
  it('Dense with and without bias, batch 1 and 5', () => {
    for (const [n, bias] of [[5, true], [1, false], [3, true]] as const) {
      const layer = dense(7, 4, { name: `fc${n}`, bias, init: 'glorot' });
      checkLayerGradients(layer, t([n, 7], randomFloats(n * 7, rng(n))));
    }
  });

  it('ReLU, Clip, ReLU6, HardSigmoid, HardSwish, Sigmoid', () => {
    const cases = [
      [relu(), [0]], [relu6(), [0, 6]], [clip(-1, 2), [-1, 2]], [hardSigmoid(), [-2.5, 2.5]],
      [hardSigmoid({ alpha: 0.5, beta: 0.25 }), [-0.5, 1.5]], [hardSwish(), [-3, 3]], [sigmoid(), []],
    ] as const;
    cases.forEach(([layer, kinks], i) => checkLayerGradients(layer, t([3, 2, 2, 5], awayFrom([...kinks], 60, i + 1, 8))));
  });

  it('Flatten of NHWC images and of features', () => {
    checkLayerGradients(flatten(), t([2, 3, 4, 5], randomFloats(120, rng(3))));
    checkLayerGradients(flatten(), t([2, 6], randomFloats(12, rng(4))));
  });

  it('BatchNorm in train mode, on NHWC images and on features', () => {
    const bn = batchNorm(5, { name: 'bn' });
    bn.scale.value.set([1.5, 0.5, -1, 2, 1]);
    bn.bias.value.set([0.1, -0.2, 0.3, 0, 1]);
    checkLayerGradients(bn, t([2, 3, 3, 5], randomFloats(90, rng(5), 2)));
    checkLayerGradients(batchNorm(4, { name: 'bn2' }), t([6, 4], randomFloats(24, rng(6))));
  });

  it('a network whose values fan out: a residual block, an input read twice', () => {
    const net = sequential([
      dense(6, 8, { name: 'a' }), sigmoid(),
      residual([dense(8, 8, { name: 'b' }), hardSwish(), dense(8, 8, { name: 'c' })]),
      residual([dense(8, 4, { name: 'd' })], { shortcut: [dense(8, 4, { name: 'e' })] }),
    ]);
    checkLayerGradients(net, t([3, 6], randomFloats(18, rng(7))));
    const twice = graph((b, x) => b.add(b.add(x, x), b.apply(dense(4, 4, { name: 'f' }), x)));
    checkLayerGradients(twice, t([2, 4], randomFloats(8, rng(8))));
  });

  it('the checker catches a gradient off by 2% in dL/dx, or in one weight', () => {
    const x = t([3, 5], randomFloats(15, rng(11)));
    const wrongDx = dense(5, 4, { name: 'dx' }), wrongW = dense(5, 4, { name: 'w' });
    const backward = wrongDx.backward.bind(wrongDx);
    wrongDx.backward = (dy) => {
      const dx = backward(dy);
      dx.data.forEach((v, i) => (dx.data[i] = v * 1.02));
      return dx;
    };
    assert.throws(() => checkLayerGradients(wrongDx, x), /Gemm: dL\/dx: along a random direction/);
    const backwardW = wrongW.backward.bind(wrongW);
    wrongW.backward = (dy) => {
      const dx = backwardW(dy);
      wrongW.weight.grad[7] += 0.03 * Math.max(...wrongW.weight.grad.map(Math.abs));
      return dx;
    };
    assert.throws(() => checkLayerGradients(wrongW, x, { elements: 20 }), /Gemm: w\.weight/);
  });

  it('softmax cross-entropy, hard labels and soft targets at a temperature', () => {
    const logits = t([4, 5], randomFloats(20, rng(9), 3));
    const labels = Uint8Array.of(0, 4, 2, 2);
    const teacher = t([4, 5], randomFloats(20, rng(10), 3));
    for (const soft of [undefined, { teacher, temperature: 3, alpha: 0.3 }, { teacher, temperature: 1, alpha: 0 }]) {
      const { grad } = softmaxCrossEntropy(logits, labels, soft);
      checkGradient('softmaxCrossEntropy', logits.data, Float32Array.from(grad.data), () => softmaxCrossEntropy(logits, labels, soft).loss);
    }
  });
});

describe('compress/train: layer behaviour', () => {
  it('cross-entropy is stable for huge logits and counts the correct rows', () => {
    const { loss, correct, grad } = softmaxCrossEntropy(t([2, 3], Float32Array.of(1000, 0, -1000, 0, 1e30, 0)), Uint8Array.of(0, 2));
    assert.ok(Number.isFinite(loss), `loss ${loss}`);
    assert.ok(Math.abs(loss - 1e30 / 2) / 5e29 < 1e-6, `loss ${loss}`);
    assert.equal(correct, 1);
    assertClose(grad.data, [0, 0, 0, 0, 0.5, -0.5], 0, 1e-7, 'grad');
  });

  it('ReLU passes dy exactly where x > 0 and +0 elsewhere (zeros of both signs, NaN, infinities, subnormals)', () => {
    const x = Float32Array.of(0, -0, NaN, -NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5, -0.5);
    const dy = Float32Array.of(-0, 1, 2, 3, NaN, 5, -0, 7, Infinity, 9, -1.5, 11);
    const layer = relu();
    layer.forward(t([1, x.length], x), 'train');
    const dx = layer.backward(t([1, x.length], dy)).data;
    // Object.is tells +0 from -0 and matches NaN: the bits a ternary x > 0 ? dy : 0 gives.
    x.forEach((v, i) => assert.ok(Object.is(dx[i], v > 0 ? dy[i] : 0), `x ${v}, dy ${dy[i]}: dx ${dx[i]}`));
  });

  it('Dropout drops with its seed, scales what it keeps and passes the same mask back; eval is the identity', () => {
    const x = t([4, 250], Float32Array.from({ length: 1000 }, (_, i) => 1 + (i % 7)));
    const a = dropout(0.25, { seed: 7 }), b = dropout(0.25, { seed: 7 });
    const y = Float32Array.from(a.forward(x, 'train').data);
    assertSameArray(b.forward(x, 'train').data, y, 'same seed');
    let dropped = 0;
    y.forEach((v, i) => {
      if (v === 0) dropped++;
      else assert.equal(v, Math.fround(x.data[i] * Math.fround(1 / 0.75)));
    });
    assert.ok(dropped > 200 && dropped < 300, `dropped ${dropped} of 1000`);
    const dx = a.backward(t([4, 250], new Float32Array(1000).fill(1))).data;
    dx.forEach((v, i) => assert.equal(v === 0, y[i] === 0, `mask at ${i}`));
    assert.notDeepEqual(Float32Array.from(a.forward(x, 'train').data), y, 'a new mask per forward');
    assert.equal(a.forward(x, 'eval'), x);
  });

  it('BatchNorm moves its running statistics by ONNX momentum and evaluates with them', () => {
    const bn = batchNorm(2, { momentum: 0.75, epsilon: 1e-3 });
    const x = t([4, 2], Float32Array.of(1, 10, 2, 20, 3, 30, 6, 40));
    const y = bn.forward(x, 'train').data;
    // Channel 0: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
    assertClose([y[0], y[6]], [-2 / Math.sqrt(3.5 + 1e-3), 3 / Math.sqrt(3.5 + 1e-3)], 1e-6, 1e-6, 'normalized');
    assertClose(bn.runningMean.value, [0.25 * 3, 0.25 * 25], 1e-6, 0, 'running mean');
    assertClose(bn.runningVar.value, [0.75 + 0.25 * 3.5, 0.75 + 0.25 * 125], 1e-6, 0, 'running var');
    const e = bn.forward(t([1, 2], Float32Array.of(1, 10)), 'eval').data;
    assertClose(e, [(1 - 0.75) / Math.sqrt(1.625 + 1e-3), (10 - 6.25) / Math.sqrt(32 + 1e-3)], 1e-6, 1e-6, 'eval');
  });

  it('Flatten lays an NHWC image out in NCHW order', () => {
    // x[n, h, w, c] = 1000 n + 100 h + 10 w + c.
    const [n, h, w, c] = [2, 2, 3, 4];
    const x = new Float32Array(n * h * w * c);
    for (let i = 0; i < n; i++) for (let a = 0; a < h; a++) for (let b = 0; b < w; b++) for (let k = 0; k < c; k++) x[((i * h + a) * w + b) * c + k] = 1000 * i + 100 * a + 10 * b + k;
    const y = flatten().forward(t([n, h, w, c], x));
    assert.deepEqual(y.dims, [n, c * h * w]);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) for (let a = 0; a < h; a++) for (let b = 0; b < w; b++) expected.push(1000 * i + 100 * a + 10 * b + k);
    assertSameArray(y.data, expected, 'NCHW order');
  });

  it('backward with needInputGrad false adds the same grads and skips dx (a first Conv or Dense)', () => {
    const cases = [
      [() => conv2d(2, 3, { name: 'c', kernelShape: [3, 3] }), [2, 4, 4, 2], 12],
      [() => dense(32, 3, { name: 'd' }), [2, 32], 3],
    ] as const;
    for (const [first, dims, features] of cases) {
      const net = () => sequential([first(), relu(), flatten(), dense(features, 2, { name: 'out' })]);
      const x = t([...dims], randomFloats(64, rng(1))), dy = t([2, 2], randomFloats(4, rng(2)));
      const [all, params] = [net(), net()];
      all.forward(x, 'train');
      params.forward(x, 'train');
      assert.equal(all.backward(dy).data.length, x.data.length);
      assert.equal(params.backward(dy, false), undefined);
      all.params().forEach((p, i) => assertSameArray(params.params()[i].grad, p.grad, p.name));
      const layer = params.layers()[0];
      assert.equal(layer.backward(layer.forward(x, 'train'), false), undefined, layer.kind);
    }
  });

  it('layers and networks reject what does not fit, naming it', () => {
    const rejects = (error: typeof TypeError | typeof RangeError, message: RegExp) => (e: unknown) => e instanceof error && message.test((e as Error).message);
    assert.throws(() => dense(0, 3), rejects(RangeError, /^inFeatures must be a positive integer/));
    assert.throws(() => dense(3, 3, { name: '' }), rejects(RangeError, /^options\.name must not be empty/));
    assert.throws(() => dense(3, 3, { init: 'lecun' as never }), rejects(RangeError, /^options\.init must be one of 'he', 'glorot'/));
    assert.throws(() => dropout(1), rejects(RangeError, /^ratio must be in \[0, 1\)/));
    assert.throws(() => clip(2, 1), rejects(RangeError, /^max must be greater than min/));
    assert.throws(() => batchNorm(4, { momentum: 2 }), rejects(RangeError, /^options\.momentum must be in \[0, 1\]/));
    assert.throws(() => sequential([dense(4, 3, { name: 'a' }), dense(4, 2, { name: 'b' })], { input: [4] }), rejects(RangeError, /^Gemm b\.weight cannot take input \[1, 3\]/));
    assert.throws(() => sequential([dense(4, 3), dense(3, 2)]), rejects(RangeError, /^layers share the param name 'dense\.weight'/));
    const shared = relu();
    assert.throws(() => sequential([shared, shared]), rejects(RangeError, /^layer \(Relu\) is already in this network/));
    assert.throws(() => sequential([]), rejects(RangeError, /^layers must hold at least one layer/));
    assert.throws(() => graph((b, x) => b.add(b.apply(relu(), x, 'h'), b.apply(relu(), x, 'h'))), rejects(RangeError, /^name 'h' already names a value of this network/));
    assert.throws(() => graph((b, x) => b.add(x, b.apply(flatten(), x), 'sum')).outputDims([1, 2, 2, 1]), rejects(RangeError, /^Add 'sum' needs inputs of equal dims/));
    assert.throws(() => residual([dense(4, 3)]).outputDims([1, 4]), rejects(RangeError, /^Add \(value 2\) needs inputs of equal dims/));
    const net = sequential([flatten(), dense(12, 2)], { input: [2, 2, 3] });
    assert.throws(() => net.forward(t([1, 2, 3, 2], new Float32Array(12)), 'eval'), rejects(RangeError, /^x\.dims must be \[N, 2, 2, 3\]/));
    assert.throws(() => net.backward(t([1, 2], new Float32Array(2))), rejects(RangeError, /backward needs a forward in train mode first/));
    assert.throws(() => softmaxCrossEntropy(t([1, 2], new Float32Array(2)), Uint8Array.of(2)), rejects(RangeError, /^labels\[0\] must be a class index below 2/));
  });
});
