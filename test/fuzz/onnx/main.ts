/**
 * npm run fuzz:onnx -- [--minutes N] [--mutants N] [--seed S] [--out DIR]
 * Runs the ONNX mutation fuzzer (driver.ts) and prints progress on stderr
 * and, as its last stdout line, the summary as one JSON object. Exits 1
 * when there are findings (each saved under --out).
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { fuzzOnnx } from './driver.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    mutants: { type: 'string' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    out: { type: 'string', default: path.join(os.tmpdir(), 'sparq-onnx-fuzz-findings') },
  },
});
const number = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} must be a non-negative number, got "${text}"`);
  return n;
};
const seed = number('seed', values.seed) >>> 0;
console.error(`onnx fuzz: seed ${seed}, findings saved under ${values.out}`);
const summary = await fuzzOnnx({
  seed,
  minutes: number('minutes', values.minutes),
  mutants: values.mutants === undefined ? undefined : number('mutants', values.mutants),
  outDir: values.out,
  log: (line) => console.error(line),
});
console.log(JSON.stringify(summary));
process.exitCode = summary.findings.length > 0 ? 1 : 0;
