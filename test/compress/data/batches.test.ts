/**
 * Batches: seeded shuffles (the same seed gives the same orders, every
 * image once per epoch), the partial last batch kept or dropped, storage
 * reused from batch to batch, and CIFAR's crop and flip: what cropFlip()
 * computes, drawn per image without changing the order.
 */
import assert from 'node:assert/strict';

import { Batches, cropFlip, dataset, type Dataset } from '../../../src/compress/data/index.js';
import type { Batch } from '../../../src/compress/train/layer.js';
import { assertSameArray, rng } from '../../helpers.js';
import { rejects } from './files.js';

/** `n` images of h x w x c whose first value is the image's index (the rest seeded), labels index % 10. */
function indexed(n: number, h: number, w: number, c: number): Dataset {
  const random = rng(n);
  const size = h * w * c;
  const images = Float32Array.from({ length: n * size }, (_, i) => (i % size === 0 ? i / size : random()));
  return dataset(images, Uint8Array.from({ length: n }, (_, i) => i % 10), [n, h, w, c]);
}

/** The image indices of each batch of an epoch, read off their first value (no augmentation). */
function epochOrder(batches: Batches): number[][] {
  const order: number[][] = [];
  // Read as they come: the next batch overwrites this one.
  for (const b of batches.epoch()) {
    const size = b.x.data.length / b.x.dims[0];
    order.push(Array.from({ length: b.x.dims[0] }, (_, r) => b.x.data[r * size]));
  }
  return order;
}

describe('compress/data: batches', () => {
  const ds = indexed(10, 2, 3, 1);

  it('gives every image once per epoch, in batches of batchSize and a smaller last one', () => {
    const batches = new Batches(ds, { batchSize: 3, seed: 5 });
    assert.equal(batches.count, 4);
    for (let epoch = 0; epoch < 3; epoch++) {
      const order = epochOrder(batches);
      assert.deepEqual(order.map((b) => b.length), [3, 3, 3, 1]);
      assert.deepEqual(order.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('drops the smaller last batch when asked', () => {
    const batches = new Batches(ds, { batchSize: 3, seed: 5, dropLast: true });
    assert.equal(batches.count, 3);
    const order = epochOrder(batches);
    assert.deepEqual(order.map((b) => b.length), [3, 3, 3]);
    assert.equal(new Set(order.flat()).size, 9);
    assert.equal(new Batches(ds, { batchSize: 11, dropLast: true }).count, 0);
    assert.deepEqual(epochOrder(new Batches(ds, { batchSize: 11, shuffle: false })), [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('gives the same orders for the same seed, other orders for another seed and each epoch', () => {
    const epochs = (seed: number) => {
      const batches = new Batches(ds, { batchSize: 4, seed });
      return [epochOrder(batches).flat(), epochOrder(batches).flat(), epochOrder(batches).flat()];
    };
    const a = epochs(7);
    assert.deepEqual(epochs(7), a);
    assert.notDeepEqual(epochs(8), a);
    assert.notDeepEqual(a[0], a[1]);
    assert.notDeepEqual(a[1], a[2]);
  });

  it('keeps the dataset order without shuffling, and the labels with their images', () => {
    const batches = new Batches(ds, { batchSize: 4, shuffle: false });
    assert.deepEqual(epochOrder(batches).flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const batch of new Batches(ds, { batchSize: 4, seed: 3 }).epoch()) {
      for (let r = 0; r < batch.labels.length; r++) assert.equal(batch.labels[r], batch.x.data[r * 6] % 10);
    }
  });

  it('writes every batch into the same storage', () => {
    const batches = new Batches(ds, { batchSize: 4, seed: 1 });
    const seen: Batch[] = [];
    for (let epoch = 0; epoch < 2; epoch++) for (const batch of batches.epoch()) seen.push(batch);
    const buffer = seen[0].x.data.buffer;
    for (const batch of seen) {
      assert.equal(batch.x.data.buffer, buffer);
      assert.equal(batch.x.data.byteOffset, 0);
      assert.equal(batch.labels.buffer, seen[0].labels.buffer);
    }
    assert.deepEqual(seen[2].x.dims, [2, 2, 3, 1]);
    assert.equal(seen[2].x.data.length, 12);
    assert.equal(seen[0], seen[1]);
  });

  describe('augmentation', () => {
    const image = Float32Array.from({ length: 5 * 6 * 2 }, (_, i) => i + 1);
    const dims = [5, 6, 2] as const;
    const at = (img: Float32Array, y: number, x: number, ch: number) => img[(y * 6 + x) * 2 + ch];

    it('flipping twice gives the image back; a flip mirrors each row', () => {
      const flipped = cropFlip(image, dims, { padding: 0, top: 0, left: 0, flip: true });
      for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) for (let ch = 0; ch < 2; ch++) assert.equal(at(flipped, y, x, ch), at(image, y, 5 - x, ch));
      assertSameArray(cropFlip(flipped, dims, { padding: 0, top: 0, left: 0, flip: true }), image, 'flipped twice');
    });

    it('cropping at the padding gives the image back', () => {
      assertSameArray(cropFlip(image, dims, { padding: 4, top: 4, left: 4, flip: false }), image, 'crop at offset 4 of pad 4');
    });

    it('pads with zeros: the image shifts and zeros fill the rows and columns it leaves', () => {
      for (const [top, left] of [[0, 0], [4, 1], [1, 4], [2, 3]]) {
        const crop = cropFlip(image, dims, { padding: 2, top, left, flip: false });
        for (let y = 0; y < 5; y++) {
          for (let x = 0; x < 6; x++) {
            const sy = y + top - 2, sx = x + left - 2;
            const inside = sy >= 0 && sy < 5 && sx >= 0 && sx < 6;
            for (let ch = 0; ch < 2; ch++) assert.equal(at(crop, y, x, ch), inside ? at(image, sy, sx, ch) : 0, `top ${top} left ${left} at ${y},${x}`);
          }
        }
      }
    });

    it('batches hold each image cropped and flipped as drawn, in the order without augmentation', () => {
      const big = indexed(40, 5, 6, 2);
      const plain = new Batches(big, { batchSize: 16, seed: 11 });
      const augmented = new Batches(big, { batchSize: 16, seed: 11, augment: { cropPadding: 2, flip: true } });
      const tops = new Set<number>(), flips = new Set<boolean>();
      for (let epoch = 0; epoch < 2; epoch++) {
        const order = epochOrder(plain).flat();
        let i = 0;
        for (const batch of augmented.epoch()) {
          for (let r = 0; r < batch.labels.length; r++, i++) {
            const source = big.images.subarray(order[i] * 60, (order[i] + 1) * 60);
            const got = batch.x.data.subarray(r * 60, (r + 1) * 60);
            const match = candidates().find((c) => cropFlip(source, dims, c).every((v, k) => v === got[k]));
            assert.ok(match, `image ${order[i]} is no crop and flip of its source`);
            tops.add(match.top);
            flips.add(match.flip);
            assert.equal(batch.labels[r], order[i] % 10);
          }
        }
      }
      assert.equal(tops.size, 5, 'every top offset drawn');
      assert.equal(flips.size, 2, 'flipped and not');
    });

    /** Every crop and flip of pad 2. */
    function candidates() {
      const out = [];
      for (let top = 0; top <= 4; top++) for (let left = 0; left <= 4; left++) for (const flip of [false, true]) out.push({ padding: 2, top, left, flip });
      return out;
    }
  });

  it('checks its arguments', () => {
    assert.throws(() => new Batches({} as never, { batchSize: 1 }), rejects(TypeError, /^dataset\.dims must be an array/));
    assert.throws(() => new Batches(ds, undefined as never), rejects(TypeError, /^options must be an object/));
    assert.throws(() => new Batches(ds, { batchSize: 0 }), rejects(RangeError, /^options\.batchSize must be an integer in \[1, /));
    assert.throws(() => new Batches(ds, { batchSize: 2, seed: -1 }), rejects(RangeError, /^options\.seed must be an integer in \[0, 4294967295\]/));
    assert.throws(() => new Batches(ds, { batchSize: 2, shuffle: 'yes' as never }), rejects(TypeError, /^options\.shuffle must be a boolean/));
    assert.throws(() => new Batches(ds, { batchSize: 2, dropLast: 1 as never }), rejects(TypeError, /^options\.dropLast must be a boolean/));
    assert.throws(() => new Batches(ds, { batchSize: 2, augment: { cropPadding: 1.5 } }), rejects(RangeError, /^options\.augment\.cropPadding must be an integer/));
    assert.throws(() => new Batches(ds, { batchSize: 2, augment: { flip: 1 as never } }), rejects(TypeError, /^options\.augment\.flip must be a boolean/));
    assert.throws(() => cropFlip(new Float32Array(5), [2, 3, 1], { padding: 0, top: 0, left: 0, flip: false }), rejects(RangeError, /^image has 5 values but dims \[2, 3, 1\] need 6/));
    assert.throws(() => cropFlip(new Float32Array(6), [2, 3, 1], { padding: 1, top: 3, left: 0, flip: false }), rejects(RangeError, /^crop\.top must be an integer in \[0, 2\]/));
  });
});
