/**
 * The pipeline tests' data and checks: small Fashion-MNIST (IDX) and
 * CIFAR-10 (binary) directories, and a written model checked in sparq
 * against onnxruntime-node.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

import type { Dataset } from '../../src/compress/data/dataset.js';
import { nchwImages } from '../../src/compress/report/feeds.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { relativeError } from '../helpers.js';
import { assertInt8Outputs } from '../runtime/ort-compare.js';
import { cifarRecords, idxImagesAndLabels, type TempDir } from './data/files.js';

/** Fashion-MNIST's four files in `dir`, `train` and `test` seeded random images. */
export function writeFashionMnist(dir: TempDir, train: number, test: number): string {
  const a = idxImagesAndLabels(train, 28, 28, 1), b = idxImagesAndLabels(test, 28, 28, 2);
  dir.write('fm/train-images-idx3-ubyte', a.images);
  dir.write('fm/train-labels-idx1-ubyte', a.labels);
  dir.write('fm/t10k-images-idx3-ubyte', b.images);
  dir.write('fm/t10k-labels-idx1-ubyte', b.labels);
  return `${dir.dir}/fm`;
}

/** CIFAR-10's six binary files in `dir`, `perFile` seeded random records in each training file and `test` in the test file. */
export function writeCifar10(dir: TempDir, perFile: number, test: number): string {
  const labels = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i * 7 + k) % 10);
  for (let k = 1; k <= 5; k++) dir.write(`cifar/data_batch_${k}.bin`, cifarRecords(labels(perFile, k), 10 + k));
  dir.write('cifar/test_batch.bin', cifarRecords(labels(test, 0), 20));
  return `${dir.dir}/cifar`;
}

/**
 * The model in `file` on the first 16 of `data`'s images: sparq's logits
 * equal onnxruntime-node's (float: within 1e-5 relative; int8: exactly, or
 * the exact reference where onnxruntime's int8 is not exact on this CPU).
 */
export async function assertRunsLikeOrt(file: string, data: Dataset): Promise<void> {
  const bytes = new Uint8Array(readFileSync(file));
  const [, h, w, c] = data.dims;
  const n = Math.min(16, data.labels.length);
  const x = Float32Array.from(nchwImages(data.images, 0, n, [h, w, c]));
  const feeds = { input: { type: 'float32' as const, dims: [n, c, h, w], data: x } };
  const expected = await (await ort.InferenceSession.create(bytes)).run({ input: new ort.Tensor('float32', x, [n, c, h, w]) });
  const session = await InferenceSession.create(bytes);
  const actual = await session.run(feeds);
  assert.deepEqual(actual.logits.dims, [n, 10]);
  if (/int8/.test(file)) await assertInt8Outputs(bytes, feeds, actual, expected, { tolerance: 0 });
  else assert.ok(relativeError(actual.logits.data as Float32Array, expected.logits.data as Float32Array) < 1e-5, file);
  await session.release();
}
