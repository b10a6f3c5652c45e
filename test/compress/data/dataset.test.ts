/**
 * Datasets in memory: per-channel statistics and normalization, subsets
 * and seeded samples for calibration, and the checks on each argument.
 */
import assert from 'node:assert/strict';

import { channelStats, dataset, normalize, sample, subset } from '../../../src/compress/data/index.js';
import { assertClose, assertSameArray } from '../../helpers.js';
import { rejects } from './files.js';

/** Two 1x2 images of two channels: channel 0 holds 0, 1, 2, 3; channel 1 holds 1, 1, 1, 5. */
const twoImages = () => dataset(Float32Array.of(0, 1, 1, 1, 2, 1, 3, 5), Uint8Array.of(4, 7), [2, 1, 2, 2]);

describe('compress/data: datasets', () => {
  it('computes each channel\'s mean and population standard deviation', () => {
    const stats = channelStats(twoImages());
    assertClose(stats.mean, [1.5, 2], 0, 1e-12, 'mean');
    assertClose(stats.std, [Math.sqrt(1.25), Math.sqrt(3)], 1e-12, 0, 'std');
  });

  it('normalizes in place, each channel by its own mean and std', () => {
    const ds = twoImages();
    normalize(ds, { mean: [1, 2], std: [2, 0.5] });
    assertSameArray(ds.images, Float32Array.of(-0.5, -2, 0, -2, 0.5, -2, 1, 6), 'normalized');
    const own = twoImages();
    normalize(own, channelStats(own));
    const stats = channelStats(own);
    assertClose(stats.mean, [0, 0], 0, 1e-7, 'mean after');
    assertClose(stats.std, [1, 1], 1e-7, 0, 'std after');
  });

  it('takes a subset in the order given, copied', () => {
    const ds = twoImages();
    const picked = subset(ds, [1, 1, 0]);
    assert.deepEqual(picked.dims, [3, 1, 2, 2]);
    assertSameArray(picked.images, Float32Array.of(2, 1, 3, 5, 2, 1, 3, 5, 0, 1, 1, 1), 'images');
    assertSameArray(picked.labels, [7, 7, 4], 'labels');
    picked.images[0] = 99;
    assert.equal(ds.images[4], 2);
  });

  it('samples distinct images, the same for the same seed', () => {
    const n = 50;
    const ds = dataset(Float32Array.from({ length: n }, (_, i) => i), new Uint8Array(n), [n, 1, 1, 1]);
    const a = sample(ds, 20, 3);
    assert.deepEqual(a.dims, [20, 1, 1, 1]);
    assert.equal(new Set(a.images).size, 20);
    assertSameArray(sample(ds, 20, 3).images, a.images, 'same seed');
    assert.notDeepEqual(Array.from(sample(ds, 20, 4).images), Array.from(a.images));
    assert.deepEqual(Array.from(sample(ds, n, 3).images).sort((x, y) => x - y), Array.from(ds.images));
    assert.equal(sample(ds, 0).dims[0], 0);
  });

  it('checks its arguments', () => {
    const ds = twoImages();
    assert.throws(() => dataset(new Float32Array(7), new Uint8Array(2), [2, 1, 2, 2]), rejects(RangeError, /^images has 7 values but dims \[2, 1, 2, 2\] need 8/));
    assert.throws(() => dataset(new Float32Array(8), new Uint8Array(3), [2, 1, 2, 2]), rejects(RangeError, /^labels has 3 labels but dims\[0\] is 2/));
    assert.throws(() => dataset(new Float64Array(8) as never, new Uint8Array(2), [2, 1, 2, 2]), rejects(TypeError, /^images must be a Float32Array/));
    assert.throws(() => dataset(new Float32Array(8), new Uint8Array(2), [2, 4] as never), rejects(RangeError, /^dims must have 4 dimensions/));
    assert.throws(() => channelStats({ ...ds, labels: new Uint8Array(1) }), rejects(RangeError, /^dataset\.labels has 1 labels but dims\[0\] is 2/));
    assert.throws(() => normalize(ds, { mean: [0, 0], std: [1, -1] }), rejects(RangeError, /^stats\.std\[1\] must be a finite positive number, got -1/));
    assert.throws(() => normalize(ds, { mean: [0, NaN], std: [1, 1] }), rejects(RangeError, /^stats\.mean\[1\] must be a finite number, got NaN/));
    assert.throws(() => normalize(ds, { mean: [0], std: [1, 1] }), rejects(RangeError, /^stats\.mean must have one value per channel \(2\), got 1/));
    assert.throws(() => subset(ds, [0, 2]), rejects(RangeError, /^indices\[1\] must be an integer in \[0, 1\], got 2/));
    assert.throws(() => subset(ds, 1 as never), rejects(TypeError, /^indices must be an array/));
    assert.throws(() => sample(ds, 3), rejects(RangeError, /^count must be an integer in \[0, 2\], got 3/));
    assert.throws(() => sample(ds, 1, 2 ** 32), rejects(RangeError, /^seed must be an integer in \[0, 4294967295\]/));
  });
});
