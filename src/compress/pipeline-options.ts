/**
 * pipeline()'s options and their check: every option is validated, and its
 * default filled in, before the pipeline loads data or trains anything.
 */
import { readFileSync } from 'node:fs';

import { checkBoolean, checkInt, checkObject, checkOneOf, fail, typeFail } from '../validate.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate.js';
import { checkPath } from './data/data-file.js';
import { checkNumber } from './train/layers/common.js';
import { progressReporter, type ProgressOption } from './train/progress.js';

export const PIPELINE_DATASETS = ['fashion-mnist', 'cifar10'] as const;
export const PRUNE_PATTERNS = ['unstructured', 'blocks', '2:4'] as const;
export type PrunePattern = (typeof PRUNE_PATTERNS)[number];

export interface PipelineData {
  /** 'fashion-mnist' (28x28x1; path optional, see loadFashionMnist) or 'cifar10' (32x32x3; path to the binary version). */
  dataset: (typeof PIPELINE_DATASETS)[number];
  /** The dataset's directory: required for CIFAR-10; for Fashion-MNIST, where loadFashionMnist() looks by default. */
  path?: string;
  /** Train on a seeded sample of this many training images (default all). */
  images?: number;
  /** Validate and report on the first this many test images (default all). */
  testImages?: number;
}

export interface PipelineModel {
  /** An ONNX model to start from (a file or its bytes; one NCHW image input, logits out). Default: the dataset's built-in CNN (seedCnn). */
  onnx?: string | Uint8Array;
  /** Training epochs (default 12 for the built-in CNN, at least 1; default 0 for an ONNX model: used as it is). */
  epochs?: number;
  /** The learning rate, cosine-decayed over the epochs from this (default 0.05). */
  learningRate?: number;
}

export interface PipelinePrune {
  pattern: PrunePattern;
  /** The share of each pruned weight set to 0, in (0, 1) (default 0.9); 2:4 is always 0.5. */
  sparsity?: number;
  /** The names of the params pruned (default: every conv and dense weight but the first and the last). */
  params?: readonly string[];
  /** Epochs over which the sparsity grows from 0 (polynomialSparsity; default 2, at least 1). */
  epochs?: number;
  /** Epochs of fine-tuning at the final sparsity after those (default 5, 0 for none). */
  finetune?: number;
}

export interface PipelineDistill {
  /** The student's width factor against the built-in CNN, in (0, 1] (0.5: half the channels). */
  width: number;
  /** Default twice the model's epochs (or 2 when it was not trained). */
  epochs?: number;
}

export interface PipelineQuantize {
  /** Activation range calibration (default 'percentile'). */
  calibration?: CalibrationMethod;
  /** One weight scale per output channel (default true). */
  perChannel?: boolean;
  /** 7-bit weights, exact in onnxruntime on x86 without VNNI (default false). */
  reduceRange?: boolean;
  /** Training images the ranges are calibrated on (default 1000, at most the training set). */
  images?: number;
}

export interface PipelineOptions {
  data: PipelineData;
  model?: PipelineModel;
  /** Default: no pruned model. */
  prune?: PipelinePrune;
  /** Default: no student (the built-in CNN only). */
  distill?: PipelineDistill;
  /** int8 QDQ of every fp32 model (default {}), or 'none'. */
  quantize?: PipelineQuantize | 'none';
  /** A directory to write each model's .onnx and models.json to (created); default none written. */
  out?: string;
  /** Threads for training and both runtimes during this call (default cpu.info().threads); the caller's count is restored after. */
  threads?: number;
  /** Time sparq and onnxruntime in the report (default true), for this many milliseconds each run (default 300). */
  timing?: boolean;
  budgetMs?: number;
  /** Images per training batch (default 128). */
  batchSize?: number;
  /** Seeds the batch order and augmentation (default 7). */
  seed?: number;
  /** The trainer's progress (default 'auto': a bar on a terminal, JSON lines otherwise). */
  progress?: ProgressOption;
  /** Where each step's one-line note goes (default stderr). */
  log?: (line: string) => void;
}

/** The options checked, with their defaults. */
export interface PipelineConfig {
  data: PipelineData;
  model: { onnx?: Uint8Array; epochs: number; learningRate: number };
  prune?: { pattern: PrunePattern; sparsity: number; params?: readonly string[]; epochs: number; finetune: number };
  distill?: { width: number; epochs: number };
  quantize?: { calibration: CalibrationMethod; perChannel: boolean; reduceRange: boolean; images: number };
  out?: string;
  threads?: number;
  timing: boolean;
  budgetMs: number;
  batchSize: number;
  seed: number;
  progress: ProgressOption;
  log: (line: string) => void;
}

const MAX_EPOCHS = 10_000;

/** A number in (0, max]. */
function checkPositive(name: string, value: unknown, max: number): number {
  if (checkNumber(name, value, 0, max) === 0) fail(name, `must be in (0, ${max}], got 0`);
  return value as number;
}
const optionalInt = (name: string, value: unknown, min: number, max = 2 ** 31 - 1) => (value === undefined ? undefined : checkInt(name, value, min, max));

function checkData(data: unknown): PipelineConfig['data'] {
  checkObject('options.data', data);
  const d = data as PipelineData;
  const dataset = checkOneOf('options.data.dataset', d.dataset, PIPELINE_DATASETS);
  if (dataset === 'cifar10' && d.path === undefined) typeFail('options.data.path', "must name CIFAR-10's directory (the binary version's data_batch_*.bin and test_batch.bin)");
  return {
    dataset,
    path: d.path === undefined ? undefined : checkPath('options.data.path', d.path),
    images: optionalInt('options.data.images', d.images, 1),
    testImages: optionalInt('options.data.testImages', d.testImages, 1),
  };
}

/** The model's bytes: the file read, or the bytes given. */
function onnxBytes(onnx: unknown): Uint8Array {
  if (onnx instanceof Uint8Array) return onnx;
  return readFileSync(checkPath('options.model.onnx', onnx));
}

function checkModel(model: unknown): PipelineConfig['model'] {
  checkObject('options.model', model);
  const m = model as PipelineModel;
  const onnx = m.onnx === undefined ? undefined : onnxBytes(m.onnx);
  return {
    onnx,
    epochs: checkInt('options.model.epochs', m.epochs ?? (onnx ? 0 : 12), onnx ? 0 : 1, MAX_EPOCHS),
    learningRate: checkPositive('options.model.learningRate', m.learningRate ?? 0.05, 10),
  };
}

function checkPrune(prune: unknown): PipelineConfig['prune'] {
  checkObject('options.prune', prune);
  const p = prune as PipelinePrune;
  const pattern = checkOneOf('options.prune.pattern', p.pattern, PRUNE_PATTERNS);
  if (pattern === '2:4' && p.sparsity !== undefined && p.sparsity !== 0.5) fail('options.prune.sparsity', `must be 0.5 (or left out) for 2:4, got ${p.sparsity}`);
  const sparsity = checkNumber('options.prune.sparsity', p.sparsity ?? (pattern === '2:4' ? 0.5 : 0.9), 0, 1, true);
  if (sparsity === 0) fail('options.prune.sparsity', 'must be above 0 (0 prunes nothing)');
  if (p.params !== undefined && (!Array.isArray(p.params) || p.params.length === 0 || p.params.some((n) => typeof n !== 'string')))
    typeFail('options.prune.params', 'must be a non-empty array of param names');
  return {
    pattern,
    sparsity,
    params: p.params,
    epochs: checkInt('options.prune.epochs', p.epochs ?? 2, 1, MAX_EPOCHS),
    finetune: checkInt('options.prune.finetune', p.finetune ?? 5, 0, MAX_EPOCHS),
  };
}

function checkDistill(distill: unknown, model: PipelineConfig['model']): PipelineConfig['distill'] {
  checkObject('options.distill', distill);
  if (model.onnx) fail('options.distill', "needs the built-in CNN (a student is a narrower built-in CNN), not options.model.onnx");
  const d = distill as PipelineDistill;
  return {
    width: checkPositive('options.distill.width', d.width, 1),
    epochs: checkInt('options.distill.epochs', d.epochs ?? Math.max(2, 2 * model.epochs), 1, MAX_EPOCHS),
  };
}

function checkQuantize(quantize: unknown): PipelineConfig['quantize'] {
  if (quantize === 'none') return undefined;
  if (typeof quantize === 'string') fail('options.quantize', `must be an object of int8 options or 'none', got ${JSON.stringify(quantize)}`);
  checkObject('options.quantize', quantize);
  const q = quantize as PipelineQuantize;
  return {
    calibration: checkOneOf('options.quantize.calibration', q.calibration ?? 'percentile', CALIBRATION_METHODS),
    perChannel: checkBoolean('options.quantize.perChannel', q.perChannel ?? true),
    reduceRange: checkBoolean('options.quantize.reduceRange', q.reduceRange ?? false),
    images: checkInt('options.quantize.images', q.images ?? 1000, 1, 2 ** 31 - 1),
  };
}

/**
 * pipeline()'s options checked and completed; an ONNX file named by
 * options.model.onnx is read here.
 * @throws TypeError/RangeError naming the bad option; the file system's error for an ONNX file it cannot read.
 */
export function checkPipelineOptions(options: unknown): PipelineConfig {
  checkObject('options', options);
  const o = options as PipelineOptions;
  const data = checkData(o.data);
  const model = checkModel(o.model ?? {});
  if (o.log !== undefined && typeof o.log !== 'function') typeFail('options.log', 'must be a function line -> void');
  const progress = o.progress ?? 'auto';
  progressReporter(progress); // throws naming options.progress when it is not one
  return {
    data,
    model,
    prune: o.prune === undefined ? undefined : checkPrune(o.prune),
    distill: o.distill === undefined ? undefined : checkDistill(o.distill, model),
    quantize: checkQuantize(o.quantize ?? {}),
    out: o.out === undefined ? undefined : checkPath('options.out', o.out),
    threads: optionalInt('options.threads', o.threads, 1, 1024),
    timing: checkBoolean('options.timing', o.timing ?? true),
    budgetMs: checkInt('options.budgetMs', o.budgetMs ?? 300, 1, 600_000),
    batchSize: checkInt('options.batchSize', o.batchSize ?? 128, 1, 65_536),
    seed: checkInt('options.seed', o.seed ?? 7, 0, 2 ** 32 - 1),
    progress,
    log: o.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}
