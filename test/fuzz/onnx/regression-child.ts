/**
 * Child process of test/fuzz/onnx.test.ts: one committed fuzzer finding
 * (a model file) created and run as the fuzzer ran it, printing the outcome
 * as one JSON line. A child, because the defects these files found crashed
 * or hung the process that loaded them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { execute } from './execute.js';

const file = process.argv[2];
const outcome = await execute(
  { index: 0, seed: path.basename(file), steps: [], bytes: readFileSync(file), files: null, fromPath: false, options: { optimize: true, sparsity: 'auto' }, symbols: {}, feedSeed: 1 },
  path.join(os.tmpdir(), `sparq-onnx-regression-${process.pid}`),
  'auto',
);
console.log(JSON.stringify(outcome.kind === 'ran' ? { kind: 'ran', outputs: Object.keys(outcome.outputs) } : outcome));
