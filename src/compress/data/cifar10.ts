/**
 * CIFAR-10's binary version (cifar-10-binary.tar.gz): files of records of 1
 * label byte and 3072 pixel bytes, the 32x32 red plane, then green, then
 * blue; 10000 records per file. Read into NHWC datasets (the planes
 * interleaved on load), values byte / 255.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { checkLabels, checkPath, DataFileError, DatasetNotFoundError, readDataFile } from './data-file.js';
import { checkLoadOptions, imagesFromBytes, normalizeSplit, type Dataset, type LoadOptions, type Split } from './dataset.js';

const SIDE = 32;
const CHANNELS = 3;
const RECORD = 1 + SIDE * SIDE * CHANNELS;
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';
/** The folder the archive unpacks to, looked in when the given directory does not hold the files itself. */
const ARCHIVE_FOLDER = 'cifar-10-batches-bin';

/**
 * One CIFAR-10 binary file as a dataset of 32x32x3 images.
 * @throws {DataFileError} when the file is missing, empty, not a whole number of 3073-byte records, or holds a label outside 0-9.
 */
export function readCifar10Batch(file: string): Dataset {
  checkPath('file', file);
  const bytes = readRecords(file);
  const n = bytes.length / RECORD;
  const images = new Float32Array(n * SIDE * SIDE * CHANNELS);
  imagesFromBytes(bytes, 1, RECORD, n, [SIDE, SIDE, CHANNELS], 'chw', images, 0);
  return { dims: [n, SIDE, SIDE, CHANNELS], images, labels: recordLabels(bytes) };
}

/**
 * CIFAR-10 from `dir` (or its cifar-10-batches-bin folder): the five
 * training files data_batch_1..5.bin as one training set, test_batch.bin as
 * the test set.
 * @throws {DatasetNotFoundError} listing the files missing from the directory.
 * @throws {DataFileError} for a file readCifar10Batch() refuses.
 * @throws TypeError/RangeError naming a bad argument.
 */
export function loadCifar10(dir: string, options: LoadOptions = {}): Split {
  checkPath('dir', dir);
  const normalization = checkLoadOptions(options, CHANNELS);
  const found = findFiles(dir);
  const training = TRAIN_FILES.map((name) => readRecords(join(found, name)));
  const n = training.reduce((sum, bytes) => sum + bytes.length / RECORD, 0);
  const images = new Float32Array(n * SIDE * SIDE * CHANNELS);
  const labels = new Uint8Array(n);
  let first = 0;
  for (const bytes of training) {
    const count = bytes.length / RECORD;
    imagesFromBytes(bytes, 1, RECORD, count, [SIDE, SIDE, CHANNELS], 'chw', images, first);
    labels.set(recordLabels(bytes), first);
    first += count;
  }
  const train: Dataset = { dims: [n, SIDE, SIDE, CHANNELS], images, labels };
  return normalizeSplit(train, readCifar10Batch(join(found, TEST_FILE)), normalization);
}

/** `dir` if it holds all six files, else its archive folder if that does; otherwise why neither does. */
function findFiles(dir: string): string {
  const names = [...TRAIN_FILES, TEST_FILE];
  const missing = (d: string) => names.filter((name) => !existsSync(join(d, name)));
  const inDir = missing(dir);
  if (inDir.length === 0) return dir;
  const folder = join(dir, ARCHIVE_FOLDER);
  if (existsSync(folder) && missing(folder).length === 0) return folder;
  throw new DatasetNotFoundError(
    `CIFAR-10 binary files missing in ${dir}: ${inDir.join(', ')} (looked in ${dir} and ${folder}). ` +
      'Download the binary version, cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it there.',
  );
}

/** A CIFAR-10 file's bytes, checked: whole records, labels 0-9. */
function readRecords(file: string): Uint8Array {
  const bytes = readDataFile(file);
  if (bytes.length === 0) throw new DataFileError(file, `is empty: no ${RECORD}-byte CIFAR-10 records (1 label + 3072 pixels)`);
  if (bytes.length % RECORD !== 0)
    throw new DataFileError(file, `holds ${bytes.length} bytes, not whole ${RECORD}-byte CIFAR-10 records (1 label + 3072 pixels): ${Math.floor(bytes.length / RECORD)} records and ${bytes.length % RECORD} bytes`);
  checkLabels(file, bytes, RECORD, 0);
  return bytes;
}

function recordLabels(bytes: Uint8Array): Uint8Array {
  const labels = new Uint8Array(bytes.length / RECORD);
  for (let i = 0; i < labels.length; i++) labels[i] = bytes[i * RECORD];
  return labels;
}
