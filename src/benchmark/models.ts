/**
 * The example models part of `sparq bench`: the Fashion-MNIST models the
 * package ships and the CIFAR-10 CNN in four forms, each timed on every
 * backend asked for against onnxruntime-node in the same run and checked
 * against the oracle (model-rows.ts). What could not run (no
 * onnxruntime-node, no WebGPU adapter, no Fashion-MNIST data) is a note,
 * not a failure.
 */
import { readFileSync } from 'node:fs';

import { cpu } from '../backends/cpu/backend.js';
import { webgpu, type WebGpuBackend } from '../backends/webgpu/backend.js';
import { findFashionMnist, readIdxDataset } from '../compress/data/index.js';
import { weightSparsity } from '../compress/report/layers.js';
import { loadOrt, type Ort } from '../runtime/compare/ort.js';
import type { Value } from '../runtime/onnx/model.js';
import { readOnnx } from '../runtime/onnx/read.js';
import { checkBoolean, checkInt, checkObject, checkOneOf, fail, typeFail } from '../validate.js';
import { CIFAR_IMAGE, cifarCnnForms } from './cifar-cnn-forms.js';
import { exampleModels, QUICK_FORMS } from './fashion-mnist-models.js';
import { seededImages } from './images.js';
import { cpuRow, referenceOutputs, webGpuRow, type BenchSubject, type RowSettings } from './model-rows.js';
import type { BenchBackend, ModelResult } from './results.js';

export interface BenchModelsOptions {
  /** The four dense and 90%-block forms of each model, small batches (true); or every example model at batch 64. */
  quick: boolean;
  /** CPU thread counts, a row each. */
  threads: number[];
  backends: BenchBackend[];
  /** Milliseconds of timed runs per measurement and side. */
  budgetMs: number;
  /** The WebGPU backend to run on (runBench's, so the adapter is looked up once); without it one is opened and closed here. */
  gpu?: WebGpuBackend;
}

/** Images each model is checked on (and that the timed batches repeat). */
const CHECK_IMAGES = 16;
const FASHION_IMAGE = [1, 28, 28] as const;
/** The GPU rows take fewer timed runs: a software adapter (lavapipe) runs a model in tenths of a second. */
const GPU_MIN_RUNS = 3;

function checkOptions(options: unknown): BenchModelsOptions {
  checkObject('options', options);
  const o = options as BenchModelsOptions;
  checkBoolean('options.quick', o.quick);
  if (!Array.isArray(o.threads) || o.threads.length === 0) typeFail('options.threads', 'must be a non-empty array of thread counts');
  o.threads.forEach((t, i) => checkInt(`options.threads[${i}]`, t, 1, 256));
  if (!Array.isArray(o.backends)) typeFail('options.backends', "must be an array of 'cpu' and/or 'webgpu'");
  o.backends.forEach((b, i) => checkOneOf(`options.backends[${i}]`, b, ['cpu', 'webgpu'] as const));
  if (new Set(o.backends).size !== o.backends.length) fail('options.backends', `names a backend twice: ${o.backends.join(', ')}`);
  checkInt('options.budgetMs', o.budgetMs, 1, 600_000);
  return o;
}

/** The models to time, with the images each is checked on, and a note saying which images those are. */
async function subjects(quick: boolean): Promise<{ list: BenchSubject[]; notes: string[] }> {
  const notes: string[] = [];
  let fashion: Float32Array;
  try {
    const files = findFashionMnist();
    fashion = readIdxDataset(files.testImages, files.testLabels).images.subarray(0, CHECK_IMAGES * 28 * 28);
    notes.push(`fashion-mnist-cnn rows run on the first ${CHECK_IMAGES} Fashion-MNIST test images`);
  } catch (e) {
    fashion = seededImages(CHECK_IMAGES, FASHION_IMAGE, 1);
    notes.push(`fashion-mnist-cnn rows run on seeded random images: ${(e as Error).message.split('. ')[0]} (apt-get install dataset-fashion-mnist, or set $SPARQ_FASHION_MNIST)`);
  }
  notes.push(`cifar10-cnn has seeded, untrained weights and runs on seeded random images: its rows measure speed and agreement, not accuracy`);
  const list: BenchSubject[] = [];
  const feeds = (image: readonly number[], data: Float32Array) => ({ input: { type: 'float32', dims: [CHECK_IMAGES, ...image], data } });
  for (const m of exampleModels().filter((m) => !quick || QUICK_FORMS.includes(m.form))) {
    const bytes = new Uint8Array(readFileSync(m.path));
    list.push({ model: 'fashion-mnist-cnn', form: m.form, precision: m.precision, sparsity: weightSparsity(readOnnx(bytes).graph), bytes, feeds: feeds(FASHION_IMAGE, fashion) });
  }
  const cifar = seededImages(CHECK_IMAGES, CIFAR_IMAGE, 2);
  for (const f of await cifarCnnForms()) list.push({ model: 'cifar10-cnn', form: f.form, precision: f.precision, sparsity: weightSparsity(readOnnx(f.bytes).graph), bytes: f.bytes, feeds: feeds(CIFAR_IMAGE, cifar) });
  return { list, notes };
}

async function ortOrNull(notes: string[]): Promise<Ort | null> {
  try {
    return await loadOrt();
  } catch (e) {
    notes.push(`no onnxruntime-node (${(e as Error).message}): model rows time sparq alone (onnxruntime and speedup null) and check it against sparq's TypeScript reference backend`);
    return null;
  }
}

async function gpuOrNull(notes: string[]): Promise<WebGpuBackend | null> {
  try {
    return await webgpu();
  } catch (e) {
    notes.push(`no WebGPU model rows: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

/**
 * Times and checks the example models (see the file comment): one CPU row
 * per model and thread count, one WebGPU row per model when an adapter is
 * found. sparq's CPU thread count is restored when done.
 * @throws TypeError/RangeError naming the bad option; a model's session errors (a bug: the models are the package's own).
 */
export async function benchModels(options: BenchModelsOptions): Promise<{ models: ModelResult[]; notes: string[] }> {
  const { quick, threads, backends, budgetMs, gpu: given } = checkOptions(options);
  const notes: string[] = [];
  const ort = await ortOrNull(notes);
  const { list, notes: inputNotes } = await subjects(quick);
  notes.push(...inputNotes);
  const settings: RowSettings = { batch: quick ? CHECK_IMAGES : 64, budgetMs, minRuns: 5 };
  const models: ModelResult[] = [];
  const note = (n: string | undefined) => {
    if (n !== undefined && !notes.includes(n)) notes.push(n);
  };
  const restore = cpu.info().threads;
  const gpu = !backends.includes('webgpu') ? null : given ?? (await gpuOrNull(notes));
  const ortWebGpu = { runs: ort !== null };
  try {
    for (const subject of list) {
      const reference: Record<string, Value> | null = ort ? null : await referenceOutputs(subject);
      if (backends.includes('cpu'))
        for (const t of threads) {
          const { result, note: n } = await cpuRow(subject, t, ort, reference, settings);
          models.push(result);
          note(n);
        }
      if (gpu) {
        const { result, note: n } = await webGpuRow(subject, gpu, ort, reference, { ...settings, minRuns: GPU_MIN_RUNS }, ortWebGpu);
        models.push(result);
        note(n);
      }
    }
  } finally {
    if (gpu !== given) gpu?.destroy();
    cpu.setThreads(restore);
  }
  return { models, notes };
}
