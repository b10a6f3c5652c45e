/**
 * The accuracy part of `sparq bench`: every Fashion-MNIST example model's
 * top-1 accuracy on the 10000 test images in sparq, with its weight bits,
 * measured sparsity and kind of compression, for the report's accuracy vs
 * sparsity and bit width chart. Without the data it is a note saying how to
 * install it, not a failure.
 */
import { readFileSync } from 'node:fs';

import { cpu } from '../backends/cpu/backend.js';
import { findFashionMnist, readIdxDataset, type Dataset } from '../compress/data/index.js';
import { top1Accuracy } from '../compress/report/accuracy.js';
import { weightSparsity } from '../compress/report/layers.js';
import { readOnnx } from '../runtime/onnx/read.js';
import { checkInt, checkObject } from '../validate.js';
import { exampleModels } from './fashion-mnist-models.js';
import type { AccuracyResult } from './results.js';

export interface BenchAccuracyOptions {
  /** sparq's CPU threads for the runs. */
  threads: number;
}

function testSet(notes: string[]): Dataset | null {
  try {
    const files = findFashionMnist();
    return readIdxDataset(files.testImages, files.testLabels);
  } catch (e) {
    notes.push(`no accuracy rows: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Scores the example models (see the file comment). sparq's CPU thread
 * count is restored when done.
 * @throws TypeError/RangeError naming the bad option; DataFileError for damaged data files.
 */
export async function benchAccuracy(options: BenchAccuracyOptions): Promise<{ accuracy: AccuracyResult[]; notes: string[] }> {
  checkObject('options', options);
  const threads = checkInt('options.threads', options.threads, 1, 256);
  const notes: string[] = [];
  const data = testSet(notes);
  if (data === null) return { accuracy: [], notes };
  const restore = cpu.info().threads;
  const accuracy: AccuracyResult[] = [];
  try {
    for (const m of exampleModels()) {
      const bytes = new Uint8Array(readFileSync(m.path));
      accuracy.push({
        dataset: 'fashion-mnist', model: m.file, precision: m.precision, bits: m.precision === 'int8' ? 8 : 32,
        sparsity: weightSparsity(readOnnx(bytes).graph), structure: m.structure,
        backend: 'cpu', images: data.dims[0], top1: await top1Accuracy(bytes, data, { threads }),
      });
    }
  } finally {
    cpu.setThreads(restore);
  }
  return { accuracy, notes };
}
