/**
 * Two measurements on the committed Fashion-MNIST models (models/, written
 * by compress.ts), on the full test set:
 *
 *   1. per-layer pruning sensitivity of fp32.onnx: each of conv2, conv3 and
 *      fc1 (the layers compress.ts prunes; conv1 and fc2 for reference)
 *      pruned alone one-shot by magnitude, no fine-tuning, and the
 *      per-layer sparsities chooseSparsities() picks for a 1-point budget;
 *   2. reduce_range's accuracy cost: every fp32 model quantized as
 *      compress.ts's step 4 does (per-channel weights, percentile
 *      calibration on the same 1000 training images, seed 2), with 8-bit
 *      weights and with 7-bit ones (reduceRange), each measured in sparq
 *      and in onnxruntime-node. The 8-bit accuracies must be models.json's
 *      int8 ones: the same recipe on the same models.
 *
 *   npm run example:fashion-mnist:sensitivity
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { compress, cpu } from '../../src/index.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, threads: { type: 'string', default: '1' } } });
const threads = Number(values.threads);
cpu.setThreads(threads);
const dir = join(import.meta.dirname, 'models');
const recorded: { accuracy: Record<string, number>; files: Record<string, string> } = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8'));
const modelBytes = (name: string) => new Uint8Array(readFileSync(join(dir, recorded.files[name])));
const data = compress.loadFashionMnist({ path: values.data });
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const points = (x: number) => `${x < 0 ? '-' : '+'}${Math.abs(100 * x).toFixed(2)}`;
const log = (line: string) => console.error(line);

log('1. per-layer pruning sensitivity of fp32.onnx');
const PRUNED = ['conv2.weight', 'conv3.weight', 'fc1.weight'];
const table = await compress.pruneSensitivity(modelBytes('fp32'), data.test, { params: ['conv1.weight', ...PRUNED, 'fc2.weight'], threads });
// The budget is chosen over the layers compress.ts prunes; conv1 and fc2 stay dense there.
const scanned = { ...table, layers: table.layers.filter((l) => PRUNED.includes(l.param)) };
const choice = compress.chooseSparsities(scanned, { maxDrop: 1 });
console.log(compress.formatSensitivity(table, choice));

log("2. reduce_range's cost: each fp32 model quantized with 8-bit and with 7-bit weights");
const calibration = compress.sample(data.train, 1000, 2);
const feeds = [0, 1, 2, 3].map((k) => ({
  input: { type: 'float32', dims: [250, 1, 28, 28], data: calibration.images.subarray(k * 250 * 784, (k + 1) * 250 * 784) },
}));
const header = ['model', 'int8, sparq', '7-bit, sparq', '7-bit - int8, sparq', 'int8, onnxruntime', '7-bit, onnxruntime', '7-bit - int8, onnxruntime', 'models.json int8'];
const rows: string[][] = [];
const unreproduced: string[] = [];
for (const name of Object.keys(recorded.files).filter((n) => n.includes('fp32'))) {
  const graph = compress.exportOnnx(compress.importOnnx(modelBytes(name)));
  const measure = async (reduceRange: boolean) => {
    const { graph: int8 } = await compress.quantize(graph, feeds, { perChannel: true, calibration: { method: 'percentile' }, reduceRange });
    return compress.reportModel(int8, { data: data.test, batch: 500, threads, timing: false });
  };
  const [full, reduced] = [await measure(false), await measure(true)];
  const expected = recorded.accuracy[name.replace('fp32', 'int8')];
  if (full.accuracy !== expected) unreproduced.push(`${name}: int8 ${percent(full.accuracy)} in sparq, models.json ${percent(expected)}`);
  rows.push([
    name,
    percent(full.accuracy), percent(reduced.accuracy), points(reduced.accuracy - full.accuracy),
    percent(full.ortAccuracy), percent(reduced.ortAccuracy), points(reduced.ortAccuracy - full.ortAccuracy),
    percent(expected),
  ]);
}
const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
console.log(`Top-1 accuracy with 8-bit weights (int8) and 7-bit ones (reduceRange), and the difference in points, ${data.test.labels.length} images\n`);
console.log([line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n'));
if (unreproduced.length > 0) throw new Error(`the int8 models did not reproduce models.json: ${unreproduced.join('; ')}`);
