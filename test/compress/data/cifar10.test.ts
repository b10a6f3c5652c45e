/**
 * CIFAR-10's binary files: records read back as NHWC images (the planes
 * interleaved), a directory's six files as the training and test sets, and
 * bad files and directories refused naming what is wrong.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { DataFileError, DatasetNotFoundError, channelStats, loadCifar10, readCifar10Batch } from '../../../src/compress/data/index.js';
import { assertClose, assertSameArray } from '../../helpers.js';
import { cifarRecords, inTempDir, rejects, tempDir, type TempDir } from './files.js';

const TRAIN_LABELS = [[0, 1], [2, 3, 4], [5], [6, 7], [8, 9]];
const TEST_LABELS = [9, 0, 4];

/** The six files of a small CIFAR-10 in `write`'s directory (under `folder`). */
function writeCifar(write: (name: string, bytes: Uint8Array) => string, folder = ''): Uint8Array[] {
  const files = TRAIN_LABELS.map((labels, i) => cifarRecords(labels, i + 1));
  files.forEach((bytes, i) => write(path.join(folder, `data_batch_${i + 1}.bin`), bytes));
  write(path.join(folder, 'test_batch.bin'), cifarRecords(TEST_LABELS, 9));
  return files;
}

/** The NHWC floats of CIFAR-10 records: pixel p's channel ch is record byte 1 + ch * 1024 + p, / 255. */
function expectedImages(records: Uint8Array): Float32Array {
  const n = records.length / 3073;
  const out = new Float32Array(n * 3072);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) out[i * 3072 + p * 3 + ch] = records[i * 3073 + 1 + ch * 1024 + p] / 255;
  }
  return out;
}

describe('compress/data: CIFAR-10 binary files', () => {
  let tmp: TempDir;
  before(() => (tmp = tempDir('cifar')));
  after(() => tmp.remove());

  it('reads a file as 32x32x3 NHWC images, the planes interleaved', () => {
    const records = cifarRecords([3, 7, 0], 5);
    const ds = readCifar10Batch(tmp.write('one.bin', records));
    assert.deepEqual(ds.dims, [3, 32, 32, 3]);
    assertSameArray(ds.labels, [3, 7, 0], 'labels');
    assertSameArray(ds.images, expectedImages(records), 'images');
  });

  it('reads a directory: the five training files in order, then the test file', () => {
    inTempDir('cifar-dir', (dir) => {
      const files = writeCifar(dir.write);
      const { train, test, stats } = loadCifar10(dir.dir);
      assert.equal(stats, undefined);
      assert.deepEqual(train.dims, [10, 32, 32, 3]);
      assertSameArray(train.labels, TRAIN_LABELS.flat(), 'train labels');
      assertSameArray(train.images, expectedImages(Buffer.concat(files)), 'train images');
      assert.deepEqual(test.dims, [3, 32, 32, 3]);
      assertSameArray(test.labels, TEST_LABELS, 'test labels');
    });
  });

  it('finds the files in the folder the archive unpacks to, and normalizes both sets by the training set', () => {
    inTempDir('cifar-archive', (dir) => {
      writeCifar(dir.write, 'cifar-10-batches-bin');
      const plain = loadCifar10(dir.dir);
      const unnormalized = channelStats(plain.train);
      const { train, test, stats } = loadCifar10(dir.dir, { normalize: true });
      assertClose(stats!.mean, unnormalized.mean, 1e-12, 0, 'stats.mean');
      assertClose(stats!.std, unnormalized.std, 1e-12, 0, 'stats.std');
      const normalized = channelStats(train);
      assertClose(normalized.mean, [0, 0, 0], 0, 1e-5, 'normalized mean');
      assertClose(normalized.std, [1, 1, 1], 0, 1e-5, 'normalized std');
      const expectedTest = plain.test.images.map((v, i) => (v - stats!.mean[i % 3]) / stats!.std[i % 3]);
      assertClose(test.images, expectedTest, 1e-6, 1e-6, 'normalized test images');
    });
  });

  it('lists the files missing from a directory', () => {
    inTempDir('cifar-missing', (dir) => {
      writeCifar(dir.write);
      fs.rmSync(path.join(dir.dir, 'data_batch_3.bin'));
      fs.rmSync(path.join(dir.dir, 'test_batch.bin'));
      assert.throws(() => loadCifar10(dir.dir), rejects(DatasetNotFoundError, /CIFAR-10 binary files missing in .*: data_batch_3\.bin, test_batch\.bin .*cifar-10-binary\.tar\.gz/));
    });
  });

  it('refuses a file that is not whole records, or empty', () => {
    const bytes = new Uint8Array(3074);
    assert.throws(() => readCifar10Batch(tmp.write('3074.bin', bytes)), rejects(DataFileError, /3074\.bin: holds 3074 bytes, not whole 3073-byte CIFAR-10 records .*: 1 records and 1 bytes/));
    assert.throws(() => readCifar10Batch(tmp.write('empty.bin', new Uint8Array(0))), rejects(DataFileError, /empty\.bin: is empty/));
    assert.throws(() => readCifar10Batch(`${tmp.dir}/none.bin`), rejects(DataFileError, /none\.bin: no such file/));
  });

  it('refuses labels outside 0-9, in any file of a directory', () => {
    assert.throws(() => readCifar10Batch(tmp.write('label.bin', cifarRecords([1, 10], 2))), rejects(DataFileError, /label\.bin: label 10 of image 1 is outside 0-9/));
    inTempDir('cifar-label', (dir) => {
      writeCifar(dir.write);
      dir.write('data_batch_4.bin', cifarRecords([2, 255], 3));
      assert.throws(() => loadCifar10(dir.dir), rejects(DataFileError, /data_batch_4\.bin: label 255 of image 1 is outside 0-9/));
    });
  });

  it('checks its arguments before reading any file', () => {
    const nowhere = `${tmp.dir}/nowhere`;
    assert.throws(() => loadCifar10(3 as never), rejects(TypeError, /^dir must be a non-empty path string/));
    assert.throws(() => loadCifar10(nowhere, null as never), rejects(TypeError, /^options must be an object/));
    assert.throws(() => loadCifar10(nowhere, { normalize: 1 as never }), rejects(TypeError, /^options\.normalize must be a boolean or \{ mean, std \}, got number/));
    assert.throws(() => loadCifar10(nowhere, { normalize: { mean: [0.5], std: [1, 1, 1] } }), rejects(RangeError, /^options\.normalize\.mean must have one value per channel \(3\), got 1/));
    assert.throws(() => loadCifar10(nowhere, { normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }), rejects(RangeError, /^options\.normalize\.std\[1\] must be a finite positive number, got 0/));
    assert.throws(() => readCifar10Batch(undefined as never), rejects(TypeError, /^file must be a non-empty path string/));
  });
});
