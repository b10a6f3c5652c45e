/**
 * Gradual pruning: the sparsity schedules (TF Model Optimization's
 * ConstantSparsity and PolynomialDecay) and train()'s prune option, which
 * re-masks params on one as training runs.
 */
import assert from 'node:assert/strict';

import { blockMask } from '../../src/compress/prune/masks.js';
import { constantSparsity, polynomialSparsity } from '../../src/compress/prune/schedule.js';
import type { Batch } from '../../src/compress/train/layer.js';
import { relu } from '../../src/compress/train/layers/activation.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { sequential } from '../../src/compress/train/network.js';
import { sgd } from '../../src/compress/train/optimizer.js';
import { Random } from '../../src/compress/train/random.js';
import { train } from '../../src/compress/train/train.js';

const zeros = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

/** 8 batches of 16 random 12-feature points, labels from the first feature's sign. */
function batches(): Batch[] {
  const random = new Random(5);
  return Array.from({ length: 8 }, () => {
    const x = random.uniform(16 * 12, 1);
    return { x: { type: 'float32', dims: [16, 12], data: x }, labels: Uint8Array.from({ length: 16 }, (_, i) => (x[i * 12] > 0 ? 1 : 0)) };
  });
}

describe('compress/prune: gradual pruning schedules', () => {
  it('polynomialSparsity: 0 before begin, initial at begin, the cubic decay to final at end, final after', () => {
    const s = polynomialSparsity({ initial: 0.5, final: 0.9, begin: 10, end: 20 });
    assert.deepEqual([s(0), s(9), s(10), s(20), s(1000)], [0, 0, 0.5, 0.9, 0.9]);
    assert.ok(Math.abs(s(15) - (0.9 - 0.4 * 0.5 ** 3)) < 1e-15, `${s(15)}`);
    for (let t = 10; t < 20; t++) assert.ok(s(t + 1) > s(t), `rises at step ${t}`);
    assert.ok(Math.abs(polynomialSparsity({ initial: 0, final: 0.8, begin: 0, end: 4, power: 1 })(1) - 0.2) < 1e-15);
  });

  it('constantSparsity: the sparsity from begin on', () => {
    const s = constantSparsity(0.75, 3);
    assert.deepEqual([s(0), s(2), s(3), s(99)], [0, 0, 0.75, 0.75]);
  });

  it('reject bad arguments, naming them', () => {
    const ok = { initial: 0.5, final: 0.9, begin: 0, end: 10 };
    assert.throws(() => polynomialSparsity({ ...ok, final: 1 }), /^RangeError: options\.final must be in \[0, 1\)/);
    assert.throws(() => polynomialSparsity({ ...ok, initial: '0.5' as never }), /^TypeError: options\.initial must be a number/);
    assert.throws(() => polynomialSparsity({ ...ok, end: 0 }), /^RangeError: options\.end must be after options\.begin/);
    assert.throws(() => polynomialSparsity({ ...ok, begin: 1.5 }), /options\.begin/);
    assert.throws(() => polynomialSparsity({ ...ok, power: -1 }), /options\.power/);
    assert.throws(() => polynomialSparsity(null as never), /^TypeError: options must be an object/);
    assert.throws(() => constantSparsity(-0.1), /^RangeError: sparsity must be in \[0, 1\)/);
    assert.throws(() => constantSparsity(0.5, -1), /begin/);
  });
});

describe('compress/train: train() with options.prune', () => {
  const net = () => sequential([dense(12, 16, { name: 'fc1' }), relu(), dense(16, 2, { name: 'fc2' })], { input: [12] });

  it('re-masks the params on the schedule every `every` steps, ending at its final sparsity with pruned weights 0', () => {
    const network = net();
    const fc1 = network.params().find((p) => p.name === 'fc1.weight')!;
    const seen: number[] = [];
    const schedule = polynomialSparsity({ initial: 0.25, final: 0.75, begin: 0, end: 16 });
    // 3 epochs of 8 steps, re-masked at steps 0, 4, 8, ... (16 and on: final).
    train(network, {
      train: () => batches(), epochs: 3, optimizer: sgd(network.params()), progress: 'none',
      prune: { params: [fc1], sparsity: (step) => (seen.push(step), schedule(step)), every: 4 },
    });
    assert.deepEqual(seen, [0, 4, 8, 12, 16, 20]);
    assert.equal(zeros(fc1.value), 0.75 * fc1.value.length);
    assert.ok(fc1.mask && fc1.mask.every((m, i) => m === 1 || fc1.value[i] === 0));
    const fc2 = network.params().find((p) => p.name === 'fc2.weight')!;
    assert.equal(zeros(fc2.value), 0, 'params not named stay dense');
  });

  it('takes another mask function, here [4 x 1] blocks, and leaves training as it was without options.prune', () => {
    const network = net();
    const fc1 = network.params().find((p) => p.name === 'fc1.weight')!;
    train(network, {
      train: () => batches(), epochs: 1, optimizer: sgd(network.params()), progress: 'none',
      prune: { params: [fc1], sparsity: constantSparsity(0.5), mask: (w, s) => blockMask(w, s) },
    });
    // fc1 [16 out, 12 in]: blocks of 4 output rows at one input.
    for (let o = 0; o < 16; o += 4)
      for (let c = 0; c < 12; c++) {
        const block = [0, 1, 2, 3].map((r) => fc1.value[(o + r) * 12 + c]);
        assert.ok(block.every((v) => v === 0) || block.every((v) => v !== 0), `block at rows ${o}.., input ${c}: ${block}`);
      }
    assert.equal(zeros(fc1.value), 96);
    const [a, b] = [net(), net()];
    train(a, { train: () => batches(), epochs: 1, optimizer: sgd(a.params()), progress: 'none' });
    train(b, { train: () => batches(), epochs: 1, optimizer: sgd(b.params()), progress: 'none', prune: { params: b.params().slice(0, 1), sparsity: constantSparsity(0) } });
    assert.deepEqual([...b.params()[0].value], [...a.params()[0].value]);
  });

  it('checks its options, naming them', () => {
    const network = net();
    const run = (prune: unknown) => () => train(network, { train: () => batches(), epochs: 1, optimizer: sgd(network.params()), progress: 'none', prune: prune as never });
    assert.throws(run(3), /^TypeError: options\.prune must be an object/);
    assert.throws(run({ params: [], sparsity: constantSparsity(0.5) }), /^TypeError: options\.prune\.params/);
    assert.throws(run({ params: network.params(), sparsity: 0.5 }), /^TypeError: options\.prune\.sparsity must be a schedule/);
    assert.throws(run({ params: network.params(), sparsity: constantSparsity(0.5), mask: 3 }), /^TypeError: options\.prune\.mask/);
    assert.throws(run({ params: network.params(), sparsity: constantSparsity(0.5), every: 0 }), /options\.prune\.every/);
    assert.throws(run({ params: network.params(), sparsity: () => 1 }), /^RangeError: options\.prune\.sparsity must give a sparsity in \[0, 1\), gave 1 at step 0/);
  });
});
