/**
 * pipeline(): the compression toolkit from one call, as
 * examples/fashion-mnist/compress.ts does it step by step:
 *
 *   1. data: Fashion-MNIST or CIFAR-10 (CIFAR trains on random crops of its
 *      4-pixel-padded images, half of them flipped), an optional sample;
 *   2. model: the built-in CNN trained from scratch (SGD with momentum 0.9,
 *      cosine-decayed), or an ONNX model, trained further or used as it is:
 *      the 'fp32' model;
 *   3. prune: a copy of it pruned while it fine-tunes, the sparsity growing
 *      from 0 along polynomialSparsity, then held for the fine-tuning epochs;
 *   4. distill: a narrower built-in CNN trained against the fp32 model;
 *   5. quantize: every fp32 model to QDQ int8, calibrated on training images;
 *   6. export and report: each model's .onnx and models.json, and
 *      reportModel() of each on the test images (formatReport()'s table).
 *
 * Models are named as the example names them ('fp32', 'fp32 90%',
 * 'fp32 90% blocks', 'fp32 2:4', 'student fp32', and 'int8 ...' for each).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { cpu } from '../backends/cpu/backend.js';
import { encodeOnnxModel, type OnnxGraph } from '../runtime/onnx/write.js';
import { fail } from '../validate.js';
import type { CalibrationFeed } from './calibrate.js';
import { Batches } from './data/batches.js';
import { loadCifar10 } from './data/cifar10.js';
import { sample, type Dataset, type Split } from './data/dataset.js';
import { loadFashionMnist } from './data/fashion-mnist.js';
import { distill } from './distill.js';
import { checkPipelineOptions, type PipelineConfig, type PipelineOptions } from './pipeline-options.js';
import { blockMask, magnitudeMask, nmMask } from './prune/masks.js';
import { polynomialSparsity } from './prune/schedule.js';
import type { WeightArray } from './prune/weight.js';
import { quantize } from './quantize/quantize.js';
import { imageFeeds } from './report/feeds.js';
import { formatReport } from './report/format.js';
import { reportModel, type ModelReport } from './report/report.js';
import { seedCnn } from './seed-cnn.js';
import type { Param } from './train/layer.js';
import type { Network } from './train/network.js';
import { exportOnnx, importOnnx } from './train/onnx.js';
import { sgd } from './train/optimizer.js';
import { cosineLr } from './train/schedule.js';
import { train, type TrainOptions } from './train/train.js';

export type { PipelineData, PipelineDistill, PipelineModel, PipelineOptions, PipelinePrune, PipelineQuantize, PrunePattern } from './pipeline-options.js';
export { PIPELINE_DATASETS, PRUNE_PATTERNS } from './pipeline-options.js';

export interface PipelineModelResult {
  name: string;
  graph: OnnxGraph;
  /** The .onnx file's name in options.out (absent without options.out). */
  file?: string;
  report: ModelReport;
}

export interface PipelineResult {
  /** In the order they were made: the fp32 models, then their int8 ones. */
  models: PipelineModelResult[];
  /** formatReport() of every model's report, side by side. */
  table: string;
}

/** Fine-tuning (pruning) starts from this rate, cosine-decayed, as the example does: a tenth of training's default. */
const FINETUNE_LR = 0.01;
/** Images per calibration feed. */
const CALIBRATION_BATCH = 250;
/** Training images sampled with this seed, calibration images with the next. */
const SAMPLE_SEED = 1;

/** The dataset options.data names, sampled as asked. */
function loadData({ data }: PipelineConfig): { train: Dataset; test: Dataset } {
  const split: Split = data.dataset === 'cifar10' ? loadCifar10(data.path!) : loadFashionMnist({ path: data.path });
  const trainSet = data.images !== undefined && data.images < split.train.labels.length ? sample(split.train, data.images, SAMPLE_SEED) : split.train;
  const testSet = data.testImages !== undefined && data.testImages < split.test.labels.length ? firstImages(split.test, data.testImages) : split.test;
  return { train: trainSet, test: testSet };
}

function firstImages({ dims, images, labels }: Dataset, n: number): Dataset {
  const size = dims[1] * dims[2] * dims[3];
  return { dims: [n, dims[1], dims[2], dims[3]], images: images.subarray(0, n * size), labels: labels.subarray(0, n) };
}

/**
 * The params options.prune names, or by default every conv and dense weight
 * (rank 2 or more) but the first and the last: the first conv sees few
 * input channels and the classifier decides every class, so both stay dense.
 */
function prunedParams(network: Network, names: readonly string[] | undefined): Param[] {
  const params = network.params();
  if (names !== undefined) {
    const byName = new Map(params.map((p) => [p.name, p]));
    const unknown = names.filter((n) => !byName.get(n) || byName.get(n)!.dims.length < 2);
    if (unknown.length > 0)
      fail('options.prune.params', `names ${unknown.map((n) => `'${n}'`).join(', ')}, not a conv or dense weight of the model (those are ${params.filter((p) => p.dims.length >= 2).map((p) => p.name).join(', ')})`);
    return names.map((n) => byName.get(n)!);
  }
  const weights = params.filter((p) => p.dims.length >= 2);
  if (weights.length < 3) fail('options.prune.params', `has no default: the model has ${weights.length} conv and dense weights, none between a first and a last; name the params to prune`);
  return weights.slice(1, -1);
}

/** The mask of a weight at a sparsity for options.prune.pattern. */
const MASKS = {
  'unstructured': magnitudeMask,
  'blocks': (w: WeightArray, s: number) => blockMask(w, s),
  '2:4': (w: WeightArray) => nmMask(w),
} as const;

/** The pruned model's name: 'fp32 90%', 'fp32 90% blocks', 'fp32 2:4'. */
function prunedName({ pattern, sparsity }: NonNullable<PipelineConfig['prune']>): string {
  if (pattern === '2:4') return 'fp32 2:4';
  return `fp32 ${+(100 * sparsity).toFixed(2)}%${pattern === 'blocks' ? ' blocks' : ''}`;
}

/** The file a model is written to: its name with spaces, colons and percent signs as dashes ('fp32 90% blocks' -> fp32-90-blocks.onnx). */
const fileName = (name: string) => `${name.replace(/[ :%]+/g, '-').replace(/-$/, '')}.onnx`;

/** The calibration feeds: `count` sampled training images as NCHW float32 batches of CALIBRATION_BATCH, for exportOnnx's 'input'. */
function calibrationFeeds(trainSet: Dataset, count: number): CalibrationFeed[] {
  const images = sample(trainSet, Math.min(count, trainSet.labels.length), SAMPLE_SEED + 1);
  return [...imageFeeds(images, CALIBRATION_BATCH, 'input')].map((batch) => batch.feeds as CalibrationFeed);
}

/**
 * Runs the pipeline the options describe (see the file comment).
 * @returns each model with its report (and file), and the report's table
 * @throws TypeError/RangeError naming a bad option, before any work; the data loader's DatasetNotFoundError/DataFileError for missing or damaged files.
 */
export async function pipeline(options: PipelineOptions): Promise<PipelineResult> {
  const config = checkPipelineOptions(options);
  if (config.threads === undefined) return run(config);
  // options.threads holds for this call only: the caller's thread count comes back after it.
  const callers = cpu.info().threads;
  cpu.setThreads(config.threads);
  try {
    return await run(config);
  } finally {
    cpu.setThreads(callers);
  }
}

async function run(config: PipelineConfig): Promise<PipelineResult> {
  const { log, progress, batchSize, seed } = config;
  const network = config.model.onnx ? importOnnx(config.model.onnx) : undefined;
  const input: [number, number, number] = config.data.dataset === 'cifar10' ? [32, 32, 3] : [28, 28, 1];
  const teacher = network ?? seedCnn({ input });
  const toPrune = config.prune && prunedParams(teacher, config.prune.params).map((p) => p.name);

  const data = loadData(config);
  const augment = config.data.dataset === 'cifar10' ? { cropPadding: 4, flip: true } : undefined;
  const batches = new Batches(data.train, { batchSize, seed, augment });
  const testBatches = () => new Batches(data.test, { batchSize: 500, shuffle: false }).epoch();
  const fit = (net: Network, epochs: number, lr: number, prune?: TrainOptions['prune']) => {
    const results = train(net, {
      train: () => batches.epoch(), epochs, progress, validation: testBatches, prune,
      optimizer: sgd(net.params(), { momentum: 0.9, weightDecay: 5e-4 }),
      schedule: cosineLr(lr, { totalSteps: epochs * batches.count }),
    });
    const last = results[results.length - 1];
    log(`  ${epochs} epoch(s), ${results.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s; test accuracy ${(100 * (last.validation?.accuracy ?? NaN)).toFixed(2)}%`);
  };

  const models: [string, OnnxGraph][] = [];
  const { epochs } = config.model;
  if (epochs > 0) {
    log(`training ${network ? 'the ONNX model' : 'the built-in CNN'} on ${data.train.labels.length} ${config.data.dataset} images, ${epochs} epoch(s)`);
    fit(teacher, epochs, config.model.learningRate);
  }
  const fp32 = exportOnnx(teacher);
  const fp32Bytes = encodeOnnxModel(fp32);
  models.push(['fp32', fp32]);

  if (config.prune) {
    const p = config.prune;
    const name = prunedName(p);
    log(`pruning ${toPrune!.join(', ')}: ${name.slice(5)} ${p.pattern === '2:4' ? '' : `reached over ${p.epochs} epoch(s), `}then ${p.finetune} fine-tuning epoch(s)`);
    const pruned = importOnnx(fp32Bytes);
    // Re-masked about ten times on the way; the last re-mask, at the target, falls on the pruning epochs' last step.
    const steps = p.epochs * batches.count;
    const every = Math.max(1, Math.floor(steps / 10));
    const end = every * Math.floor((steps - 1) / every);
    const sparsity = p.pattern === '2:4' || end === 0 ? () => p.sparsity : polynomialSparsity({ initial: 0, final: p.sparsity, begin: 0, end });
    const params = pruned.params().filter((q) => toPrune!.includes(q.name));
    fit(pruned, p.epochs + p.finetune, FINETUNE_LR, { params, sparsity, mask: MASKS[p.pattern], every });
    models.push([name, exportOnnx(pruned)]);
  }

  if (config.distill) {
    const { width, epochs: studentEpochs } = config.distill;
    log(`distilling a student at width ${width} from the fp32 model, ${studentEpochs} epoch(s) (T = 4, alpha = 0.5)`);
    const student = seedCnn({ input, width });
    const results = await distill(student, fp32Bytes, {
      data: data.train, batchSize, seed, augment, epochs: studentEpochs, temperature: 4, alpha: 0.5,
      optimizer: sgd(student.params(), { momentum: 0.9, weightDecay: 5e-4 }),
      schedule: cosineLr(config.model.learningRate, { totalSteps: studentEpochs * batches.count }),
      validation: data.test, progress,
    });
    log(`  test accuracy ${(100 * (results[results.length - 1].validation?.accuracy ?? NaN)).toFixed(2)}%`);
    models.push(['student fp32', exportOnnx(student)]);
  }

  if (config.quantize) {
    const q = config.quantize;
    const feeds = calibrationFeeds(data.train, q.images);
    log(`quantizing ${models.length} model(s) to QDQ int8 (${q.perChannel ? 'per-channel' : 'per-tensor'}${q.reduceRange ? ' 7-bit' : ''} weights, ${q.calibration} calibration on ${Math.min(q.images, data.train.labels.length)} training images)`);
    for (const [name, graph] of [...models]) {
      const { graph: int8 } = await quantize(graph, feeds, { perChannel: q.perChannel, reduceRange: q.reduceRange, calibration: { method: q.calibration } });
      models.push([name.replace('fp32', 'int8'), int8]);
    }
  }

  return exportAndReport(models, data.test, config);
}

/** Each model's report (and file, with models.json, in config.out). */
async function exportAndReport(models: [string, OnnxGraph][], test: Dataset, config: PipelineConfig): Promise<PipelineResult> {
  config.log(`reporting ${models.length} model(s) on ${test.labels.length} test images${config.out ? `, writing them to ${config.out}` : ''}`);
  if (config.out) mkdirSync(config.out, { recursive: true });
  const results: PipelineModelResult[] = [];
  for (const [name, graph] of models) {
    const file = config.out ? fileName(name) : undefined;
    if (file) writeFileSync(join(config.out!, file), encodeOnnxModel(graph));
    const report = await reportModel(graph, { data: test, name, threads: config.threads, timing: config.timing, budgetMs: config.budgetMs });
    results.push({ name, graph, ...(file && { file }), report });
  }
  if (config.out) {
    const accuracy = Object.fromEntries(results.map((r) => [r.name, r.report.accuracy]));
    const files = Object.fromEntries(results.map((r) => [r.name, r.file]));
    writeFileSync(join(config.out, 'models.json'), `${JSON.stringify({ images: test.labels.length, accuracy, files }, null, 2)}\n`);
  }
  return { models: results, table: formatReport(results.map((r) => r.report)) };
}
