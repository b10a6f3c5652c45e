/**
 * IDX files (MNIST, Fashion-MNIST), gzipped or raw: read back what was
 * written, and each kind of bad file refused with a DataFileError naming
 * the file and what is wrong with it.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

import { DataFileError, readIdx, readIdxDataset } from '../../../src/compress/data/index.js';
import { assertSameArray } from '../../helpers.js';
import { idxBytes, idxImagesAndLabels, rejects, tempDir, type TempDir } from './files.js';

describe('compress/data: IDX files', () => {
  let tmp: TempDir;
  before(() => (tmp = tempDir('idx')));
  after(() => tmp.remove());
  const { images, labels, pixels, classes } = idxImagesAndLabels(3, 4, 5, 1);

  for (const gzipped of [false, true]) {
    it(`reads ${gzipped ? 'gzipped' : 'raw'} images and labels as NHWC floats byte / 255`, () => {
      const pack = (b: Uint8Array) => (gzipped ? gzipSync(b) : b);
      const ds = readIdxDataset(tmp.write(`images-${gzipped}`, pack(images)), tmp.write(`labels-${gzipped}`, pack(labels)));
      assert.deepEqual(ds.dims, [3, 4, 5, 1]);
      assertSameArray(ds.images, Float32Array.from(pixels, (b) => b / 255), 'images');
      assertSameArray(ds.labels, classes, 'labels');
    });
  }

  it('tells gzip from raw by the content, not the name', () => {
    const raw = readIdx(tmp.write('raw.gz', labels));
    const gz = readIdx(tmp.write('gzipped-without-suffix', gzipSync(labels)));
    assert.deepEqual(raw.dims, [3]);
    assertSameArray(gz.data, raw.data, 'labels');
  });

  it('reads any number of dims', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    const idx = readIdx(tmp.write('rank4', idxBytes([2, 3, 2, 2], data)));
    assert.deepEqual(idx.dims, [2, 3, 2, 2]);
    assertSameArray(idx.data, data, 'data');
  });

  it('names a missing file', () => {
    const missing = `${tmp.dir}/no-such-file`;
    assert.throws(() => readIdx(missing), (e) => e instanceof DataFileError && e.file === missing && e.message === `${missing}: no such file`);
  });

  it('refuses truncated data, saying how many bytes it holds of how many', () => {
    const file = tmp.write('truncated', idxBytes([10000, 28, 28], new Uint8Array(7839)));
    assert.throws(() => readIdx(file), rejects(DataFileError, /truncated: holds 7839 of the 7840000 data bytes its dims \[10000, 28, 28\] need/));
  });

  it('refuses a header cut short and bytes past the data', () => {
    assert.throws(() => readIdx(tmp.write('short-header', idxBytes([3, 4, 5], new Uint8Array(0)).subarray(0, 10))), rejects(DataFileError, /fewer than the 16-byte header of its 3 dims/));
    assert.throws(() => readIdx(tmp.write('tiny', Uint8Array.of(0, 0))), rejects(DataFileError, /holds 2 bytes, fewer than IDX's 4-byte magic number/));
    assert.throws(() => readIdx(tmp.write('long', idxBytes([2], new Uint8Array(5)))), rejects(DataFileError, /holds 3 bytes past the 2 data bytes its dims \[2\] need/));
  });

  it('refuses a truncated gzip stream', () => {
    const gz = gzipSync(images);
    assert.throws(() => readIdx(tmp.write('cut.gz', gz.subarray(0, gz.length >> 1))), rejects(DataFileError, /cut\.gz: its gzip data is truncated or damaged/));
  });

  it('refuses a bad magic number and element types other than uint8', () => {
    const bad = idxBytes([3], new Uint8Array(3));
    bad[1] = 8;
    assert.throws(() => readIdx(tmp.write('magic', bad)), rejects(DataFileError, /magic: is not an IDX file: its magic number 00 08 08 01 does not start with 00 00/));
    assert.throws(() => readIdx(tmp.write('floats', idxBytes([3], new Uint8Array(3), 0x0d))), rejects(DataFileError, /holds float32 elements \(IDX type 0x0d\); only uint8 \(0x08\) is read/));
    assert.throws(() => readIdx(tmp.write('unknown', idxBytes([3], new Uint8Array(3), 0x42))), rejects(DataFileError, /unknown element type 0x42/));
  });

  it('refuses images without 3 dims and labels without 1', () => {
    const labelsFile = tmp.write('labels', labels);
    const flat = tmp.write('flat-images', idxBytes([3, 20], pixels));
    assert.throws(() => readIdxDataset(flat, labelsFile), rejects(DataFileError, /flat-images: has 2 dims \[3, 20\]; an images file has 3 \[N, H, W\]/));
    const imagesFile = tmp.write('images', images);
    const square = tmp.write('square-labels', idxBytes([3, 1], classes));
    assert.throws(() => readIdxDataset(imagesFile, square), rejects(DataFileError, /square-labels: has 2 dims \[3, 1\]; a labels file has 1 \[N\]/));
  });

  it('refuses image and label counts that differ', () => {
    const four = tmp.write('four-labels', idxBytes([4], Uint8Array.of(1, 2, 3, 4)));
    assert.throws(() => readIdxDataset(tmp.write('images', images), four), rejects(DataFileError, /four-labels: holds 4 labels but .*images holds 3 images/));
  });

  it('refuses labels outside 0-9', () => {
    const file = tmp.write('label-10', idxBytes([3], Uint8Array.of(0, 9, 10)));
    assert.throws(() => readIdxDataset(tmp.write('images', images), file), rejects(DataFileError, /label-10: label 10 of image 2 is outside 0-9/));
  });

  it('names a path argument that is not a path', () => {
    assert.throws(() => readIdx(3 as never), rejects(TypeError, /^file must be a non-empty path string, got number/));
    assert.throws(() => readIdxDataset('', 'x'), rejects(TypeError, /^imagesFile must be a non-empty path string, got an empty string/));
    assert.throws(() => readIdxDataset('x', undefined as never), rejects(TypeError, /^labelsFile must be a non-empty path string/));
  });
});
