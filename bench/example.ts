/**
 * `npm start`: the bundled example end to end. Builds the CIFAR-10 CNN in
 * its four forms (fp32 and QDQ int8, dense and 90% pruned in blocks of 4
 * output channels), writes each as an .onnx file, and runs what
 * `sparq compare <file>` runs on it: sparq against onnxruntime-node on the
 * same seeded images, errors, top-1 agreement, batch-1 latency and batch-64
 * throughput on equal threads. Exits 1 when any output disagrees with its
 * oracle: onnxruntime, or for the int8 models on x86 CPUs without VNNI
 * (where onnxruntime's u8s8 kernels saturate at int16) sparq's exact
 * reference backend; onnxruntime's distance is then shown, not checked.
 *
 *   npm start                       # 1 thread, short timing budget
 *   npm start -- --threads 2 --budget 2000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { compare, cpu, InferenceSession, randomFeeds } from '../src/index.js';
import { encodeOnnxModel } from '../src/runtime/onnx/write.js';
import { cifarCnn, randomImages } from '../test/fixtures/cifar-cnn.js';
import { calibrate } from '../src/compress/calibrate.js';
import { quantizeQdq } from '../src/compress/quantize-qdq.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, budget: { type: 'string', default: '500' } } });
const threads = Number(values.threads);
const image: [number, number, number] = [3, 32, 32];
const dir = join(tmpdir(), 'sparq-example');
mkdirSync(dir, { recursive: true });

const files: [string, string][] = [];
for (const [prune, tag] of [[0, 'dense'], [0.9, 'block-pruned-90']] as const) {
  const graph = cifarCnn({ prune, pruneBlock: 4 });
  const calibration = [0, 1, 2, 3].map((seed) => ({ input: { type: 'float32', dims: [16, ...image], data: randomImages(16, image, 50 + seed) } }));
  for (const [kind, bytes] of [['fp32', encodeOnnxModel(graph)], ['int8', encodeOnnxModel(quantizeQdq(graph, await calibrate(graph, calibration)))]] as const) {
    const file = join(dir, `cifar-cnn-${kind}-${tag}.onnx`);
    writeFileSync(file, bytes);
    files.push([`${kind} ${tag}`, file]);
  }
}

console.log(`CPU: ${cpu.info().isa}, ${threads} thread(s); models in ${dir} (sparq compare <file> runs the same)\n`);
console.log('| model | checked against | max abs error | exact | onnxruntime off by | top-1 agreement | batch 1: sparq / ort ms | speedup | batch 64: sparq / ort images/s | speedup | sparq conv kernels |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
let failed = false;
const reasons = new Set<string>();
for (const [name, file] of files) {
  const session = await InferenceSession.create(file, { threads });
  const feeds = randomFeeds(session.inputs, { batch: 4 });
  session.runSync(feeds);
  const kernels = [...new Set(session.profile().filter((p) => /conv/.test(p.kernel)).map((p) => p.kernel))].join(' ');
  await session.release();
  const report = await compare(file, feeds, { threads, timing: { budgetMs: Number(values.budget) } });
  const [out] = report.outputs;
  failed ||= !report.outputs.every((o) => o.withinTolerance);
  if (report.oracle.authority === 'reference') reasons.add(report.oracle.reason);
  const d = out.onnxruntime;
  const ortOff = d === null ? '-' : d.exact ? '0' : d.steps === null ? d.maxAbsError.toExponential(1) : `${+d.steps.toFixed(1)} steps`;
  const t = report.timing!;
  const b1 = t.batch1!, tp = t.throughput!;
  console.log(`| ${name} | ${report.oracle.authority} | ${out.maxAbsError.toExponential(1)} | ${out.exact ? 'yes' : 'no'} | ${ortOff} | ${out.top1Agreement === null ? '-' : `${(out.top1Agreement * 100).toFixed(0)}%`} | ` +
    `${b1.sparq.p50Ms.toFixed(3)} / ${b1.ort.p50Ms.toFixed(3)} | ${b1.speedup.toFixed(2)}x | ` +
    `${tp.sparq.perSec.toFixed(0)} / ${tp.ort.perSec.toFixed(0)} | ${tp.speedup.toFixed(2)}x | ${kernels} |`);
}
for (const reason of reasons) console.log(`\nchecked against sparq's exact reference backend: ${reason}; "onnxruntime off by" is information, not a failure.`);
process.exit(failed ? 1 : 0);
