/**
 * The training loop end to end: a small MLP learns a separable synthetic
 * problem, two runs from the same seeds give bit-identical weights, progress
 * reaches its callback and JSON lines, and bad options are rejected by name.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/backends/cpu/backend.js';
import type { Batch } from '../../src/compress/train/layer.js';
import { relu } from '../../src/compress/train/layers/activation.js';
import { batchNorm } from '../../src/compress/train/layers/batchnorm.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { dropout } from '../../src/compress/train/layers/dropout.js';
import { sequential, type Network } from '../../src/compress/train/network.js';
import { adam, sgd } from '../../src/compress/train/optimizer.js';
import { progressLine, type Progress } from '../../src/compress/train/progress.js';
import { Random } from '../../src/compress/train/random.js';
import { cosineLr, warmupLr } from '../../src/compress/train/schedule.js';
import { evaluate, train } from '../../src/compress/train/train.js';
import { assertSameArray } from '../helpers.js';

const FEATURES = 8, CLASSES = 3;

/** Points in [-1, 1]^8 labelled by the largest of three fixed linear scores, kept only with a margin of 0.2 (separable). */
function dataset(count: number, seed: number): { x: Float32Array; labels: Uint8Array } {
  const random = new Random(seed), teacher = new Random(99).uniform(CLASSES * FEATURES, 1);
  const x = new Float32Array(count * FEATURES), labels = new Uint8Array(count);
  for (let i = 0; i < count; ) {
    const point = random.uniform(FEATURES, 1);
    const scores = Array.from({ length: CLASSES }, (_, c) => point.reduce((s, v, f) => s + v * teacher[c * FEATURES + f], 0));
    const sorted = [...scores].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] < 0.2) continue;
    x.set(point, i * FEATURES);
    labels[i++] = scores.indexOf(sorted[0]);
  }
  return { x, labels };
}

/** The data in batches of `size`, shuffled by `seed` (none without). */
function batches(data: { x: Float32Array; labels: Uint8Array }, size: number, seed?: number): Batch[] {
  const n = data.labels.length, order = Array.from({ length: n }, (_, i) => i);
  if (seed !== undefined) {
    const random = new Random(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const out: Batch[] = [];
  for (let start = 0; start < n; start += size) {
    const rows = order.slice(start, start + size);
    const x = new Float32Array(rows.length * FEATURES);
    rows.forEach((r, i) => x.set(data.x.subarray(r * FEATURES, (r + 1) * FEATURES), i * FEATURES));
    out.push({ x: { type: 'float32', dims: [rows.length, FEATURES], data: x }, labels: Uint8Array.from(rows, (r) => data.labels[r]) });
  }
  return out;
}

function mlp(): Network {
  return sequential([dense(FEATURES, 32, { name: 'fc1' }), batchNorm(32, { name: 'bn1' }), relu(), dropout(0.1, { seed: 3 }), dense(32, CLASSES, { name: 'fc2' })], { input: [FEATURES] });
}

function rejects(error: typeof TypeError | typeof RangeError, message: RegExp) {
  return (e: unknown) => e instanceof error && message.test((e as Error).message);
}

describe('compress/train: the training loop', () => {
  const trainData = dataset(1024, 1), testData = dataset(512, 2);

  it('a two-layer MLP learns a separable problem to over 95% in a few epochs', () => {
    const net = mlp();
    const before = evaluate(net, batches(testData, 128));
    const reports: Progress[] = [];
    const history = train(net, {
      train: (epoch) => batches(trainData, 32, epoch),
      epochs: 6,
      optimizer: adam(net.params(), { weightDecay: 1e-4 }),
      schedule: warmupLr(cosineLr(0.01, { totalSteps: 6 * 32 }), { steps: 16 }),
      progress: (p) => reports.push(p),
      validation: () => batches(testData, 128),
    });
    const after = evaluate(net, batches(testData, 100));
    assert.equal(history.length, 6);
    assert.equal(after.images, 512);
    assert.deepEqual(history[5].validation, { ...after, loss: history[5].validation!.loss });
    assert.ok(Math.abs(history[5].validation!.loss - after.loss) < 1e-12, 'the same loss in batches of 128 and of 100');
    assert.deepEqual(reports.filter((p) => p.epochDone).map((p) => p.validation?.accuracy), history.map((h) => h.validation!.accuracy));
    assert.ok(history[5].loss < history[0].loss, `loss ${history[0].loss} -> ${history[5].loss}`);
    assert.ok(after.accuracy > 0.95, `test accuracy ${before.accuracy} -> ${after.accuracy}`);
  });

  it("distills: a student trained on a teacher's softened logits alone (alpha 0) predicts what the teacher does", () => {
    // The teacher: a fixed random linear classifier, whose labels the data's do not match.
    const teacher = sequential([dense(FEATURES, CLASSES, { name: 'teacher', init: 'glorot', seed: 5 })], { input: [FEATURES] });
    const student = mlp();
    const agreement = () => {
      let same = 0;
      for (const b of batches(testData, 128)) {
        const s = Float32Array.from(student.forward(b.x, 'eval').data), t = teacher.forward(b.x, 'eval').data;
        for (let i = 0; i < b.labels.length; i++) {
          const row = (a: Float32Array) => Array.from(a.subarray(i * CLASSES, (i + 1) * CLASSES));
          same += Number(row(s).indexOf(Math.max(...row(s))) === row(t).indexOf(Math.max(...row(t))));
        }
      }
      return same / 512;
    };
    const before = agreement();
    train(student, {
      train: (epoch) => batches(trainData, 32, epoch),
      epochs: 6,
      optimizer: adam(student.params()),
      schedule: 0.01,
      progress: 'none',
      distill: { teacher: (b) => teacher.forward(b.x, 'eval'), temperature: 2, alpha: 0 },
    });
    assert.ok(before < 0.5, `agreement before training ${before}`);
    assert.ok(agreement() > 0.9, `agreement with the teacher ${before} -> ${agreement()}`);
  });

  it('the same seeds and batch order give bit-identical weights (one thread)', () => {
    const threads = cpu.info().threads;
    cpu.setThreads(1);
    try {
      const run = () => {
        const net = mlp();
        train(net, { train: (epoch) => batches(trainData, 64, epoch), epochs: 2, optimizer: sgd(net.params(), { momentum: 0.9, nesterov: true, weightDecay: 1e-3 }), schedule: 0.05, progress: 'none' });
        return [...net.params(), ...net.buffers()].map((p) => p.value);
      };
      const [a, b] = [run(), run()];
      a.forEach((values, i) => assertSameArray(b[i], values, `array ${i}`));
    } finally {
      cpu.setThreads(threads);
    }
  });

  it('reports progress to a callback, and as JSON lines', () => {
    const net = mlp();
    const seen: Progress[] = [];
    const epochs = () => batches(trainData, 256);
    train(net, { train: epochs, epochs: 2, optimizer: sgd(net.params()), progress: (p) => seen.push({ ...p }) });
    assert.equal(seen.length, 2 * 5);
    assert.deepEqual(seen.map((p) => [p.epoch, p.batch, p.epochDone]).slice(3, 6), [[1, 4, false], [1, 4, true], [2, 1, false]]);
    const last = seen[seen.length - 1];
    assert.equal(last.batches, 4);
    assert.equal(last.images, 1024);
    assert.equal(last.secondsLeft, 0);
    assert.ok(last.imagesPerSecond > 0 && last.accuracy >= 0 && last.accuracy <= 1);

    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(chunk)) as unknown as typeof process.stdout.write;
    try {
      train(net, { train: epochs, epochs: 2, optimizer: sgd(net.params()), progress: 'json' });
    } finally {
      process.stdout.write = write;
    }
    const done = lines.map((l) => JSON.parse(l) as Progress).filter((p) => p.epochDone);
    assert.deepEqual(done.map((p) => p.epoch), [1, 2]);
  });

  it('draws the bar with batches, loss, accuracy, speed and time left', () => {
    const p: Progress = { epoch: 2, epochs: 3, batch: 5, batches: 10, images: 640, loss: 0.5, accuracy: 0.875, imagesPerSecond: 1234.4, secondsLeft: 65, epochDone: false };
    assert.equal(progressLine(p, 10), 'epoch 2/3 [=====     ] 5/10  loss 0.5000  acc 87.50%  1234 img/s  1:05 left');
    assert.equal(progressLine({ ...p, batches: undefined, secondsLeft: undefined }), 'epoch 2/3 batch 5  loss 0.5000  acc 87.50%  1234 img/s');
    assert.equal(progressLine({ ...p, secondsLeft: 0, validation: { loss: 0.25, accuracy: 0.9 } }, 4), 'epoch 2/3 [==  ] 5/10  loss 0.5000  acc 87.50%  1234 img/s  0:00 left  val loss 0.2500  val acc 90.00%');
  });

  it('rejects bad options and batches, naming them', () => {
    const net = mlp();
    const good = { train: () => batches(trainData, 256), epochs: 1, optimizer: sgd(net.params()), progress: 'none' as const };
    assert.throws(() => train(net, { ...good, epochs: 0 }), rejects(RangeError, /^options\.epochs must be an integer in \[1/));
    assert.throws(() => train(net, { ...good, train: [] as never }), rejects(TypeError, /^options\.train must be a function/));
    assert.throws(() => train(net, { ...good, train: () => 5 as never }), rejects(TypeError, /^options\.train\(0\) must be an iterable of batches/));
    assert.throws(() => train(net, { ...good, optimizer: sgd(mlp().params()) }), rejects(RangeError, /^options\.optimizer updates 'fc1\.weight', which is not a param of the network/));
    assert.throws(() => train(net, { ...good, schedule: 'fast' as never }), rejects(TypeError, /^options\.schedule must be a learning rate or a schedule/));
    assert.throws(() => train(net, { ...good, validation: [] as never }), rejects(TypeError, /^options\.validation must be a function/));
    assert.throws(() => train(net, { ...good, distill: { teacher: 'net' as never } }), rejects(TypeError, /^options\.distill\.teacher must be a function/));
    assert.throws(() => train(net, { ...good, distill: { teacher: () => ({ type: 'float32', dims: [256, 2], data: new Float32Array(512) }) } }), rejects(RangeError, /^soft\.teacher must have the logits' dims \[256, 3\]/));
    assert.throws(() => train(net, { ...good, progress: 'loud' as never }), rejects(RangeError, /^options\.progress must be 'auto', 'bar', 'json', 'none' or a function/));
    const [first] = batches(trainData, 4);
    assert.throws(() => train(net, { ...good, train: () => [{ x: first.x, labels: new Uint8Array(3) }] }), rejects(RangeError, /^options\.train\(0\) batch 0\.labels must hold one label per image \(4\)/));
    assert.throws(() => evaluate(net, [{ x: { ...first.x, dims: [4, 7] }, labels: first.labels }] as never), rejects(RangeError, /^x\.data has 32 elements but dims \[4, 7\] need 28/));
    assert.throws(() => train(net, { ...good, schedule: 1e30 }), /training diverged/);
  });
});
