/**
 * Fashion-MNIST: where its files are looked for (options.path, then
 * $SPARQ_FASHION_MNIST, then Debian's install directory) and the errors
 * when they are not there; and, where Debian's dataset-fashion-mnist is
 * installed, the real data: 60000 + 10000 images of 28x28, 6000 and 1000
 * of each class. Without it that test skips, unless
 * SPARQ_REQUIRE_FASHION_MNIST=1 (CI, which installs it) makes it fail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { lookUp } from '../../../src/compress/data/fashion-mnist.js';
import { DatasetNotFoundError, FASHION_MNIST_ENV, channelStats, findFashionMnist, loadFashionMnist, type Split } from '../../../src/compress/data/index.js';
import { assertSameArray } from '../../helpers.js';
import { idxImagesAndLabels, inTempDir, rejects, tempDir, type TempDir } from './files.js';

/** Sets or clears $SPARQ_FASHION_MNIST while `run` runs. */
function withEnv<T>(value: string | undefined, run: () => T): T {
  const saved = process.env[FASHION_MNIST_ENV];
  if (value === undefined) delete process.env[FASHION_MNIST_ENV];
  else process.env[FASHION_MNIST_ENV] = value;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env[FASHION_MNIST_ENV];
    else process.env[FASHION_MNIST_ENV] = saved;
  }
}

describe('compress/data: Fashion-MNIST', () => {
  let tmp: TempDir;
  after(() => tmp.remove());
  const train = idxImagesAndLabels(6, 28, 28, 1);
  const test = idxImagesAndLabels(4, 28, 28, 2);
  before(() => {
    tmp = tempDir('fashion');
    // The distributed names, gzipped; one test file unpacked, as some users keep them.
    tmp.write('train-images-idx3-ubyte.gz', gzipSync(train.images));
    tmp.write('train-labels-idx1-ubyte.gz', gzipSync(train.labels));
    tmp.write('t10k-images-idx3-ubyte', test.images);
    tmp.write('t10k-labels-idx1-ubyte.gz', gzipSync(test.labels));
  });

  it('loads the four files from options.path, gzipped or not', () => {
    const files = findFashionMnist({ path: tmp.dir });
    assert.equal(files.testImages, path.join(tmp.dir, 't10k-images-idx3-ubyte'));
    assert.equal(files.trainLabels, path.join(tmp.dir, 'train-labels-idx1-ubyte.gz'));
    const split = loadFashionMnist({ path: tmp.dir });
    assert.deepEqual(split.train.dims, [6, 28, 28, 1]);
    assert.deepEqual(split.test.dims, [4, 28, 28, 1]);
    assertSameArray(split.train.labels, train.classes, 'train labels');
    assertSameArray(split.test.images, Float32Array.from(test.pixels, (b) => b / 255), 'test images');
  });

  it('looks in $SPARQ_FASHION_MNIST when no path is given, and options.path comes first', () => {
    withEnv(tmp.dir, () => assert.equal(findFashionMnist().trainImages, path.join(tmp.dir, 'train-images-idx3-ubyte.gz')));
    withEnv(`${tmp.dir}/elsewhere`, () => assert.equal(findFashionMnist({ path: tmp.dir }).trainImages, path.join(tmp.dir, 'train-images-idx3-ubyte.gz')));
  });

  it('says what is missing where it was told to look, and how to install the files', () => {
    inTempDir('fashion-partial', (partial) => {
      fs.copyFileSync(path.join(tmp.dir, 'train-images-idx3-ubyte.gz'), path.join(partial.dir, 'train-images-idx3-ubyte.gz'));
      assert.throws(
        () => findFashionMnist({ path: partial.dir }),
        rejects(DatasetNotFoundError, /options\.path = .* lacks train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]\. Install it with `sudo apt-get install dataset-fashion-mnist`/),
      );
      assert.throws(() => withEnv(`${partial.dir}/none`, () => findFashionMnist()), rejects(DatasetNotFoundError, /\$SPARQ_FASHION_MNIST = .*none does not exist/));
      const file = path.join(partial.dir, 'train-images-idx3-ubyte.gz');
      assert.throws(() => loadFashionMnist({ path: file }), rejects(DatasetNotFoundError, /options\.path = .* is not a directory/));
    });
  });

  it('looks in the install directories when given no path, and says where it looked', () => {
    assert.equal(lookUp(undefined, undefined, [`${tmp.dir}/none`, tmp.dir]).testLabels, path.join(tmp.dir, 't10k-labels-idx1-ubyte.gz'));
    assert.equal(lookUp(undefined, '', [tmp.dir]).testLabels, path.join(tmp.dir, 't10k-labels-idx1-ubyte.gz'));
    inTempDir('fashion-empty', (empty) => {
      assert.throws(
        () => lookUp(undefined, undefined, [`${tmp.dir}/none`, empty.dir]),
        rejects(DatasetNotFoundError, /no options\.path given, \$SPARQ_FASHION_MNIST not set, .*: .*none does not exist; .*fashion-empty.* lacks train-images-idx3-ubyte\[\.gz\], .*\. Install it with/),
      );
    });
  });

  it('checks its options before looking', () => {
    assert.throws(() => findFashionMnist({ path: 3 as never }), rejects(TypeError, /^options\.path must be a non-empty path string/));
    assert.throws(() => loadFashionMnist({ path: `${tmp.dir}/none`, normalize: { mean: [0], std: [0] } }), rejects(RangeError, /^options\.normalize\.std\[0\] must be a finite positive number/));
    assert.throws(() => loadFashionMnist('x' as never), rejects(TypeError, /^options must be an object/));
  });

  it('loads the installed dataset: 60000 and 10000 images of 28x28, 6000 and 1000 per class', function () {
    let split: Split | undefined;
    try {
      split = loadFashionMnist({ normalize: true });
    } catch (e) {
      // Skipped where the data is not installed, except where CI requires it (it installs dataset-fashion-mnist).
      if (!(e instanceof DatasetNotFoundError) || process.env.SPARQ_REQUIRE_FASHION_MNIST === '1') throw e;
    }
    if (split === undefined) this.skip();
    const { train: trainSet, test: testSet, stats } = split;
    assert.deepEqual(trainSet.dims, [60000, 28, 28, 1]);
    assert.deepEqual(testSet.dims, [10000, 28, 28, 1]);
    const histogram = (labels: Uint8Array) => labels.reduce((h, l) => (h[l]++, h), new Array<number>(10).fill(0));
    assert.deepEqual(histogram(trainSet.labels), new Array(10).fill(6000));
    assert.deepEqual(histogram(testSet.labels), new Array(10).fill(1000));
    // Fashion-MNIST's training pixels (byte / 255) have mean 0.2860 and std 0.3530.
    assert.ok(Math.abs(stats!.mean[0] - 0.286) < 5e-4 && Math.abs(stats!.std[0] - 0.353) < 5e-4, `stats ${JSON.stringify(stats)}`);
    assert.ok(Math.abs(channelStats(trainSet).mean[0]) < 1e-6);
  });
});
