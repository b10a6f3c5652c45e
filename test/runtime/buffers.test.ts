import assert from 'node:assert/strict';

import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { ALIGNMENT, BufferPool } from '../../src/runtime/buffers.js';
import { native } from '../../src/native.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';

describe('runtime: BufferPool', () => {
  it('gives a dropped buffer to the next take of the same type and at most its length, down to an eighth of it, and only then', () => {
    const pool = new BufferPool();
    const a = pool.take('float32', 16);
    pool.hold(a);
    pool.drop(a);
    assert.equal(pool.take('float32', 16).buffer, a.buffer);
    assert.notEqual(pool.take('float32', 16).buffer, a.buffer, 'a buffer is handed out once');
    const b = pool.take('uint8', 64);
    pool.hold(b);
    pool.drop(b);
    assert.notEqual(pool.take('int8', 64).buffer, b.buffer, 'another type does not reuse it');
    assert.notEqual(pool.take('uint8', 65).buffer, b.buffer, 'a longer take does not reuse it');
    assert.notEqual(pool.take('uint8', 7).buffer, b.buffer, 'nor one under an eighth of its length');
    const shorter = pool.take('uint8', 8);
    assert.equal(shorter.buffer, b.buffer, 'a take of an eighth of its length does');
    assert.equal(shorter.length, 8);
    pool.hold(shorter);
    pool.drop(shorter);
    assert.equal(pool.take('uint8', 64), b, 'the whole array comes back, not the shorter view');
  });

  it('gives the buffer dropped last among those that fit', () => {
    const pool = new BufferPool();
    const [a, b, c] = [12, 16, 100].map((n) => pool.take('float32', n));
    for (const x of [b, a, c]) {
      pool.hold(x);
      pool.drop(x);
    }
    assert.equal(pool.take('float32', 12), a, 'a was dropped after b (c is too long)');
    assert.equal(pool.take('float32', 12).buffer, b.buffer);
    assert.equal(pool.take('float32', 13).buffer, c.buffer);
  });

  it('keeps a buffer while any view of it is alive', () => {
    const pool = new BufferPool();
    const a = pool.take('float32', 8);
    const view = a.subarray(2, 4);
    pool.hold(a);
    pool.hold(view);
    pool.drop(a);
    assert.notEqual(pool.take('float32', 8).buffer, a.buffer, 'the view still reads it');
    pool.drop(view);
    assert.equal(pool.take('float32', 8).buffer, a.buffer);
  });

  it('never takes back arrays it did not hand out, nor those still held when a run ends', () => {
    const pool = new BufferPool();
    const mine = new Float32Array(4);
    pool.hold(mine);
    pool.drop(mine);
    assert.notEqual(pool.take('float32', 4).buffer, mine.buffer);
    const result = pool.take('float32', 4);
    pool.hold(result);
    pool.endRun();
    pool.drop(result);
    assert.notEqual(pool.take('float32', 4).buffer, result.buffer, 'a run\'s result belongs to the caller');
  });
});

describe('runtime: BufferPool alignment', () => {
  it('starts fresh arrays where the gap function says, and gives the same aligned view back after a drop', () => {
    const pool = new BufferPool(() => 16);
    for (const type of ['float32', 'uint8', 'int8', 'int32', 'int64'] as const) {
      const a = pool.take(type, 5);
      assert.equal(a.byteOffset, 16, type);
      assert.equal(a.length, 5, type);
      assert.ok(a.buffer.byteLength >= 16 + a.byteLength, type);
      pool.hold(a);
      pool.drop(a.subarray(1));
      pool.drop(a);
      assert.equal(pool.take(type, 5), a, `${type}: the array handed out comes back, not a view of it`);
    }
  });

  it('leaves an array where V8 put it when the gap is not a whole number of its elements', () => {
    assert.equal(new BufferPool(() => 2).take('float32', 4).byteOffset, 0);
  });

  it('hands a session\'s kernels cache-line aligned outputs where the addon runs them', async function () {
    const addon = native();
    // Only without the addon (the reference backend aligns nothing); CI sets SPARQ_REQUIRE_NATIVE=1, where native() throws instead.
    if (!addon) this.skip();
    const aligned = (x: { buffer: ArrayBufferLike; byteOffset: number }) => (addon!.alignmentGap(x.buffer as ArrayBuffer, ALIGNMENT) - x.byteOffset) % ALIGNMENT === 0;
    // NCHW, where the conv's output keeps its model name pool1.out.
    const session = await InferenceSession.create(encodeOnnxModel(cifarCnn()), { layout: 'nchw' });
    const image: [number, number, number] = [3, 32, 32];
    const out = session.runSync({ input: { type: 'float32', dims: [2, ...image], data: randomImages(2, image, 1) } }, ['pool1.out', 'logits']);
    assert.ok(aligned(out['pool1.out'].data) && aligned(out.logits.data));
  });

  it('alignmentGap checks its arguments', function () {
    const addon = native();
    // Only without the addon (the reference backend aligns nothing); CI sets SPARQ_REQUIRE_NATIVE=1, where native() throws instead.
    if (!addon) this.skip();
    assert.throws(() => addon!.alignmentGap(new Float32Array(4) as unknown as ArrayBuffer, 64), TypeError);
    assert.throws(() => addon!.alignmentGap(new ArrayBuffer(4), 48), RangeError);
    assert.throws(() => addon!.alignmentGap(new ArrayBuffer(4), 8192), RangeError);
    const gap = addon!.alignmentGap(new ArrayBuffer(256), 64);
    assert.ok(Number.isInteger(gap) && gap >= 0 && gap < 64);
  });
});

describe('runtime: a session reuses storage across runs', () => {
  const image: [number, number, number] = [3, 32, 32];
  const feeds = (seed: number, batch = 2) => ({ input: { type: 'float32', dims: [batch, ...image], data: randomImages(batch, image, seed) } });

  it('returns results that later runs do not overwrite, equal to a fresh session\'s', async () => {
    for (const bytes of [encodeOnnxModel(cifarCnn()), encodeOnnxModel(cifarCnn({ prune: 0.9, pruneBlock: 4 }))]) {
      const session = await InferenceSession.create(bytes);
      const first = session.runSync(feeds(1)).logits.data as Float32Array;
      const kept = Float32Array.from(first);
      const second = session.runSync(feeds(2)).logits.data as Float32Array;
      const third = session.runSync(feeds(1)).logits.data as Float32Array;
      assert.deepEqual(first, kept, 'the first result was written over');
      assert.notDeepEqual(second, kept);
      assert.deepEqual(third, kept, 'the same feeds give the same result from reused storage');
      const fresh = await InferenceSession.create(bytes);
      assert.deepEqual(fresh.runSync(feeds(2)).logits.data, second);
    }
  });

  // These fetch intermediates: NCHW, where every value keeps its model name (layout 'auto' runs the CNN's convs NHWC, renamed).
  it('keeps fetched intermediates intact, and handles batch changes between runs', async () => {
    const session = await InferenceSession.create(encodeOnnxModel(cifarCnn()), { layout: 'nchw' });
    const a = session.runSync(feeds(3), ['pool1.out', 'logits']);
    const pool1 = Float32Array.from(a['pool1.out'].data as Float32Array);
    for (const batch of [1, 5, 2]) session.runSync(feeds(4, batch));
    assert.deepEqual(a['pool1.out'].data, pool1);
    const fresh = await InferenceSession.create(encodeOnnxModel(cifarCnn()), { layout: 'nchw' });
    assert.deepEqual(session.runSync(feeds(4, 5)).logits.data, fresh.runSync(feeds(4, 5)).logits.data);
  });

  it('frees by the fetches of each run: alternating fetch sets give what a fresh session gives, and a bad fetch leaves the session usable', async () => {
    const bytes = encodeOnnxModel(cifarCnn());
    const session = await InferenceSession.create(bytes, { layout: 'nchw' });
    const all = ['input', 'pool1.out', 'flat', 'logits'];
    const expected = (await InferenceSession.create(bytes, { layout: 'nchw' })).runSync(feeds(5), all);
    for (const fetches of [['logits'], ['pool1.out'], all, ['flat', 'input'], ['logits']]) {
      const got = session.runSync(feeds(5), fetches);
      assert.deepEqual(Object.keys(got), fetches);
      for (const name of fetches) assert.deepEqual(got[name].data, expected[name].data, name);
    }
    assert.throws(() => session.runSync(feeds(5), ['logits', 'nope']), /^TypeError: fetches names "nope"/);
    assert.deepEqual(session.runSync(feeds(5)).logits.data, expected.logits.data);
  });
});
