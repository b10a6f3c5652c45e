/**
 * distill() on a small synthetic problem: a teacher network trained on
 * plenty of data and exported to ONNX (32 hidden units), and a smaller
 * student (8) trained on 100 images for the same epochs, once on the hard
 * labels and once distilled from the teacher: the distilled student agrees
 * with the teacher more (0.89 against 0.73 of 1000 test images). Images have three channels, so the teacher only sees the right
 * inputs if distill() transposes the batches to NCHW. Deterministic: one
 * thread, seeded weights and batches.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/backends/cpu/backend.js';
import { Batches } from '../../src/compress/data/batches.js';
import { dataset, type Dataset } from '../../src/compress/data/dataset.js';
import { distill } from '../../src/compress/distill.js';
import { relu } from '../../src/compress/train/layers/activation.js';
import { dense } from '../../src/compress/train/layers/dense.js';
import { flatten } from '../../src/compress/train/layers/flatten.js';
import { sequential, type Network } from '../../src/compress/train/network.js';
import { exportOnnx } from '../../src/compress/train/onnx.js';
import { adam } from '../../src/compress/train/optimizer.js';
import { Random } from '../../src/compress/train/random.js';
import { train } from '../../src/compress/train/train.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';

const IMAGE = [2, 2, 3] as const;
const FEATURES = 12, CLASSES = 5;

/** `count` images uniform in [-1, 1), labelled by the top-1 of a fixed random linear map. */
function problem(count: number, seed: number): Dataset {
  const images = new Random(seed).uniform(count * FEATURES, 1);
  const map = new Random(99).uniform(CLASSES * FEATURES, 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => {
    const scores = Array.from({ length: CLASSES }, (_, k) => map.subarray(k * FEATURES, (k + 1) * FEATURES).reduce((s, m, f) => s + m * images[i * FEATURES + f], 0));
    return scores.indexOf(Math.max(...scores));
  });
  return dataset(images, labels, [count, ...IMAGE]);
}

function mlp(hidden: number, name: string): Network {
  return sequential([flatten(), dense(FEATURES, hidden, { name: `${name}1`, seed: 1 }), relu(), dense(hidden, CLASSES, { name: `${name}2`, seed: 2 })], { input: IMAGE });
}

const top1 = (logits: Float32Array, i: number) => {
  const row = logits.subarray(i * CLASSES, (i + 1) * CLASSES);
  return row.indexOf(Math.max(...row));
};

/** Fraction of `test`'s images on which `student` (eval mode) and `teacher` pick the same class. */
function agreement(student: Network, teacher: Network, test: Dataset): number {
  const x = { type: 'float32' as const, dims: test.dims, data: test.images };
  const a = student.forward(x, 'eval').data, b = teacher.forward(x, 'eval').data;
  let same = 0;
  for (let i = 0; i < test.dims[0]; i++) if (top1(a, i) === top1(b, i)) same++;
  return same / test.dims[0];
}

describe('compress: distill()', () => {
  const few = problem(100, 2), test = problem(1000, 3);
  const STUDENT = { epochs: 60, batchSize: 10, seed: 4, progress: () => {} } as const;
  let threads: number, teacher: Network, bytes: Uint8Array;

  before(() => {
    threads = cpu.info().threads;
    cpu.setThreads(1);
    teacher = mlp(32, 'teacher');
    const plenty = new Batches(problem(3000, 1), { batchSize: 50, seed: 1 });
    train(teacher, { train: () => plenty.epoch(), epochs: 15, optimizer: adam(teacher.params()), schedule: 0.01, progress: () => {} });
    bytes = encodeOnnxModel(exportOnnx(teacher));
  });

  after(() => cpu.setThreads(threads));

  it('a student distilled from the ONNX teacher agrees with it more than one trained on the hard labels alone', async () => {
    const hard = mlp(8, 'student'), soft = mlp(8, 'student');
    const batches = new Batches(few, { batchSize: STUDENT.batchSize, seed: STUDENT.seed });
    train(hard, { train: () => batches.epoch(), epochs: STUDENT.epochs, optimizer: adam(hard.params()), schedule: 0.01, progress: () => {} });
    const results = await distill(soft, bytes, { ...STUDENT, data: few, validation: test, optimizer: adam(soft.params()), schedule: 0.01, temperature: 3, alpha: 0.1 });
    assert.equal(results.length, STUDENT.epochs);
    assert.equal(results[0].validation!.images, 1000);
    const [h, s] = [agreement(hard, teacher, test), agreement(soft, teacher, test)];
    assert.ok(s > h + 0.1, `agreement with the teacher: distilled ${s}, hard labels ${h}`);
  });

  it('with alpha 1 trains exactly as train() on the hard labels; a session, a graph and bytes teach alike', async () => {
    const hard = mlp(8, 'student');
    const batches = new Batches(few, { batchSize: STUDENT.batchSize, seed: STUDENT.seed });
    train(hard, { train: () => batches.epoch(), epochs: 2, optimizer: adam(hard.params()), schedule: 0.01, progress: () => {} });
    const alphaOne = mlp(8, 'student');
    await distill(alphaOne, bytes, { ...STUDENT, epochs: 2, data: few, optimizer: adam(alphaOne.params()), schedule: 0.01, alpha: 1 });
    assert.deepEqual(alphaOne.params().map((p) => p.value), hard.params().map((p) => p.value));

    const session = await InferenceSession.create(bytes);
    const students = [mlp(8, 'student'), mlp(8, 'student'), mlp(8, 'student')];
    for (const [i, t] of [session, exportOnnx(teacher), bytes].entries())
      await distill(students[i], t, { ...STUDENT, epochs: 2, data: few, optimizer: adam(students[i].params()), schedule: 0.01 });
    // A given session stays open.
    assert.equal(Object.keys(session.runSync({ input: { type: 'float32', dims: [1, 3, 2, 2], data: new Float32Array(12) } })).length, 1);
    await session.release();
    assert.deepEqual(students[1].params().map((p) => p.value), students[0].params().map((p) => p.value));
    assert.deepEqual(students[2].params().map((p) => p.value), students[0].params().map((p) => p.value));
    assert.notDeepEqual(students[0].params().map((p) => p.value), hard.params().map((p) => p.value));
  });

  it('names the bad argument', async () => {
    const student = mlp(8, 'student');
    const ok = { data: few, epochs: 1, optimizer: adam(student.params()), progress: () => {} };
    await assert.rejects(distill(student, bytes, undefined as never), { name: 'TypeError', message: /options/ });
    await assert.rejects(distill(student, bytes, { ...ok, data: undefined as never }), { name: 'TypeError', message: /options\.data/ });
    await assert.rejects(distill(student, bytes, { ...ok, temperature: 0 }), { name: 'RangeError', message: /options\.temperature/ });
    await assert.rejects(distill(student, bytes, { ...ok, temperature: '4' as never }), { name: 'TypeError', message: /options\.temperature/ });
    await assert.rejects(distill(student, bytes, { ...ok, alpha: 1.5 }), { name: 'RangeError', message: /options\.alpha/ });
    await assert.rejects(distill(student, bytes, { ...ok, batchSize: 0 }), { name: 'RangeError', message: /options\.batchSize/ });
    await assert.rejects(distill(student, bytes, { ...ok, validation: dataset(new Float32Array(4 * 12), new Uint8Array(4), [4, 2, 3, 2]) }), { name: 'RangeError', message: /options\.validation/ });
    await assert.rejects(distill(student, 'teacher.onnx' as never, ok), { name: 'TypeError', message: /teacher/ });
    const square = dataset(new Float32Array(4 * 27), new Uint8Array(4), [4, 3, 3, 3]);
    await assert.rejects(distill(student, bytes, { ...ok, data: square }), { name: 'RangeError', message: /teacher takes \[batch, 3, 2, 2\]/ });
    await assert.rejects(distill(student, bytes, { ...ok, epochs: 0 }), { name: 'RangeError', message: /options\.epochs/ });
  });
});
