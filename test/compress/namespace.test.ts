/**
 * The package's `compress` namespace carries each step of the toolkit
 * (data, train, prune, calibrate and quantize, distill, export, report) from the entry point
 * users import.
 */
import assert from 'node:assert/strict';

import { compress } from '../../src/index.js';

describe('compress namespace', () => {
  it('exports every step of the toolkit as a function from the package entry point', () => {
    for (const name of ['loadFashionMnist', 'loadCifar10', 'Batches', 'sequential', 'dense', 'train', 'evaluate', 'sgd', 'adam', 'exportOnnx', 'importOnnx', 'qat',
      'magnitudeMask', 'polynomialSparsity', 'constantSparsity', 'pruneGraph', 'pruneChannels', 'calibrate', 'quantize', 'quantizeQdq', 'foldBatchNorm', 'clipWeights', 'encodeOnnxModel', 'distill', 'reportModel', 'formatReport',
      'pruneSensitivity', 'chooseSparsities', 'formatSensitivity', 'seedCnn', 'pipeline'] as const)
      assert.equal(typeof compress[name], 'function', name);
  });
});
