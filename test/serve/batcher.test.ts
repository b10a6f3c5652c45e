import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher, type BatchOptions } from '../../src/serve/batcher.js';
import { RequestError, type ModelSpec, type Tensors } from '../../src/serve/model-spec.js';

const spec: ModelSpec = {
  name: 'm',
  version: '1',
  inputs: [{ name: 'x', type: 'float32', dims: ['batch', 2] }],
  outputs: [{ name: 'y', type: 'float32', dims: ['batch', 2] }],
};

const options: BatchOptions = { maxBatch: 8, maxDelayMs: 5, maxQueue: 100, timeoutMs: 10_000 };

/** Request `i`'s input: `rows` rows of [i, i + 0.5]. */
function request(i: number, rows = 1): Tensors {
  const data = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) data.set([i, i + 0.5], r * 2);
  return { x: { type: 'float32', dims: [rows, 2], data } };
}

/** A model doubling its input, recording each batch's rows; `hold` delays each run. */
function doubler(hold = 0) {
  const batches: number[] = [];
  const run = async (inputs: Tensors): Promise<Tensors> => {
    batches.push(inputs.x.dims[0]);
    if (hold > 0) await sleep(hold);
    return { y: { type: 'float32', dims: inputs.x.dims, data: (inputs.x.data as Float32Array).map((v) => v * 2) } };
  };
  return { batches, run };
}

async function rejection(promise: Promise<unknown>): Promise<RequestError> {
  const e = await promise.then(() => assert.fail('resolved'), (x: unknown) => x);
  assert.ok(e instanceof RequestError, String(e));
  return e;
}

describe('serve: Batcher', () => {
  it('stacks concurrent requests into one batch and gives each its rows back', async () => {
    const model = doubler();
    const batcher = new Batcher(spec, model.run, options);
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(request(i, i))));
    assert.deepEqual(model.batches, [6]);
    results.forEach((out, k) => {
      const i = k + 1;
      assert.deepEqual(out.y.dims, [i, 2]);
      assert.deepEqual([...out.y.data], Array.from({ length: i }, () => [2 * i, 2 * i + 1]).flat());
    });
  });

  it('fills batches up to maxBatch rows and runs the rest next', async () => {
    const model = doubler(5);
    const batcher = new Batcher(spec, model.run, { ...options, maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(request(i))));
    assert.deepEqual(model.batches, [4, 4, 2]);
  });

  it('runs each request alone with maxBatch 1', async () => {
    const model = doubler();
    const batcher = new Batcher(spec, model.run, { ...options, maxBatch: 1 });
    await Promise.all([1, 2, 3].map((i) => batcher.submit(request(i))));
    assert.deepEqual(model.batches, [1, 1, 1]);
  });

  it('runs a lone request once maxDelayMs has passed', async () => {
    const model = doubler();
    const batcher = new Batcher(spec, model.run, { ...options, maxDelayMs: 20 });
    const out = await batcher.submit(request(7));
    assert.deepEqual([...out.y.data], [14, 15]);
  });

  it('batches only requests whose dims past axis 0 agree', async () => {
    const free: ModelSpec = { ...spec, inputs: [{ name: 'x', type: 'float32', dims: ['batch', 'n'] }] };
    const model = doubler();
    const batcher = new Batcher(free, model.run, options);
    const wide: Tensors = { x: { type: 'float32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } };
    const [a, b, c] = await Promise.all([batcher.submit(request(1)), batcher.submit(wide), batcher.submit(request(2))]);
    assert.deepEqual(model.batches.sort(), [1, 2]);
    assert.deepEqual([...a.y.data, ...c.y.data], [2, 3, 4, 5]);
    assert.deepEqual([...b.y.data], [2, 4, 6, 8]);
  });

  it('runs requests alone when the model has a fixed axis 0', async () => {
    const fixed: ModelSpec = { ...spec, inputs: [{ name: 'x', type: 'float32', dims: [1, 2] }] };
    const model = doubler();
    const batcher = new Batcher(fixed, model.run, options);
    await Promise.all([1, 2].map((i) => batcher.submit(request(i))));
    assert.deepEqual(model.batches, [1, 1]);
  });

  it('falls back to one request at a time when the outputs have no batch axis', async () => {
    const runs: number[] = [];
    const sum = async (inputs: Tensors): Promise<Tensors> => {
      runs.push(inputs.x.dims[0]);
      return { s: { type: 'float32', dims: [], data: new Float32Array([(inputs.x.data as Float32Array).reduce((a, b) => a + b, 0)]) } };
    };
    const batcher = new Batcher(spec, sum, options);
    const results = await Promise.all([1, 2].map((i) => batcher.submit(request(i))));
    assert.deepEqual(results.map((r) => r.s.data[0]), [2.5, 4.5]);
    await batcher.submit(request(3));
    assert.deepEqual(runs, [2, 1, 1, 1]);
  });

  it('refuses inputs that disagree on axis 0 with 400', async () => {
    const two: ModelSpec = { ...spec, inputs: [spec.inputs[0], { name: 'z', type: 'float32', dims: ['batch'] }] };
    const batcher = new Batcher(two, doubler().run, options);
    const e = await rejection(batcher.submit({ ...request(1, 2), z: { type: 'float32', dims: [3], data: new Float32Array(3) } }));
    assert.equal(e.status, 400);
    assert.match(e.message, /disagree on the batch axis.*2 vs 3/);
  });

  it('answers 503 with Retry-After when the queue is full, and serves again once it drains', async () => {
    const model = doubler(20);
    const batcher = new Batcher(spec, model.run, { ...options, maxBatch: 1, maxQueue: 2 });
    const first = batcher.submit(request(0));
    const queued = [batcher.submit(request(1)), batcher.submit(request(2))];
    const e = await rejection(batcher.submit(request(3)));
    assert.equal(e.status, 503);
    assert.equal(e.retryAfter, 1);
    assert.match(e.message, /2 requests waiting/);
    await Promise.all([first, ...queued]);
    assert.deepEqual([...(await batcher.submit(request(4))).y.data], [8, 9]);
  });

  it('answers 504 past the deadline and keeps serving', async () => {
    const model = doubler(60);
    const batcher = new Batcher(spec, model.run, { ...options, maxDelayMs: 0, timeoutMs: 20 });
    const e = await rejection(batcher.submit(request(1)));
    assert.equal(e.status, 504);
    await batcher.drain();
    const patient = new Batcher(spec, model.run, { ...options, maxDelayMs: 0 });
    assert.deepEqual([...(await patient.submit(request(2))).y.data], [4, 5]);
  });

  it('drops a queued request whose client went away, before it runs', async () => {
    const model = doubler(20);
    const batcher = new Batcher(spec, model.run, { ...options, maxBatch: 1 });
    const running = batcher.submit(request(1));
    const gone = new AbortController();
    const dropped = batcher.submit(request(2, 3), gone.signal);
    gone.abort();
    assert.equal((await rejection(dropped)).status, 499);
    await running;
    await batcher.drain();
    assert.deepEqual(model.batches, [1]);
  });

  it('batches again after the only queued request left while it waited for others', async () => {
    const model = doubler();
    const batcher = new Batcher(spec, model.run, { ...options, maxDelayMs: 20 });
    const gone = new AbortController();
    const left = batcher.submit(request(1), gone.signal);
    gone.abort();
    assert.equal((await rejection(left)).status, 499);
    const results = await Promise.all([batcher.submit(request(2)), batcher.submit(request(3))]);
    assert.deepEqual(results.map((r) => [...r.y.data]), [[4, 5], [6, 7]]);
    assert.deepEqual(model.batches, [2]);
  });

  it('rejects every request of a failed batch with its error and runs the next batch', async () => {
    let fail = true;
    const batcher = new Batcher(spec, async (inputs) => {
      if (fail) throw new RangeError('kernel said no');
      return { y: inputs.x };
    }, options);
    const errors = await Promise.all([1, 2].map((i) => batcher.submit(request(i)).catch((e: Error) => e.message)));
    assert.deepEqual(errors, ['kernel said no', 'kernel said no']);
    fail = false;
    assert.deepEqual([...(await batcher.submit(request(3))).y.data], [3, 3.5]);
  });

  it('drain() waits for queued and running requests', async () => {
    const model = doubler(10);
    const batcher = new Batcher(spec, model.run, { ...options, maxBatch: 1 });
    let answered = 0;
    for (let i = 0; i < 3; i++) void batcher.submit(request(i)).then(() => answered++);
    await batcher.drain();
    assert.equal(answered, 3);
    assert.equal(batcher.depth, 0);
  });
});
