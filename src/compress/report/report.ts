/**
 * reportModel(): one step of a compression pipeline measured the way issue
 * 15 asks after each step: top-1 accuracy on a dataset in sparq's session
 * (and in onnxruntime-node, with the two's top-1 agreement), the model's
 * size encoded and gzipped, every weight layer's sparsity, type and sparq
 * kernel, and sparq's speed against onnxruntime's on the same threads at
 * batch 1 and at the given batch (compare()'s timing: the median of each
 * runtime's timed runs, one runtime after the other).
 */
import { gzipSync } from 'node:zlib';

import { cpu } from '../../backends/cpu/backend.js';
import { loadOrt, ortSessionOptions, toOrt, type Ort, type OrtSession } from '../../runtime/compare/ort.js';
import { measure, type Measurement, type RunStats } from '../../runtime/compare/timing.js';
import { readOnnx } from '../../runtime/onnx/read.js';
import type { OnnxGraph } from '../../runtime/onnx/write.js';
import { InferenceSession, type Feeds, type SessionOptions } from '../../runtime/session.js';
import { checkBoolean, checkInt, checkObject, fail, typeFail } from '../../validate.js';
import { checkDataset, type Dataset } from '../data/dataset.js';
import { imageFeeds, imageModelIo, modelBytes, nchwImages, topClasses } from './feeds.js';
import { weightLayers, weightTotals, type LayerReport } from './layers.js';

export interface ReportOptions {
  /** The images (NHWC) and labels to measure accuracy on; the model takes them as NCHW. */
  data: Dataset;
  /** The step's name, a column of formatReport()'s table (default 'model'). */
  name?: string;
  /** Images per run, for accuracy and for the batched speed (default 64). */
  batch?: number;
  /** Threads of both runtimes (default cpu.info().threads; sets sparq's thread count, as SessionOptions.threads does). */
  threads?: number;
  /** Time the runtimes (default true). */
  timing?: boolean;
  /** Milliseconds of timed runs per runtime and batch (default 500); at least 5 runs each. */
  budgetMs?: number;
  /** sparq's session options; threads is options.threads. */
  sessionOptions?: SessionOptions;
}

export interface SpeedReport {
  /** The images per run. */
  batch: number;
  /** Median milliseconds per run. */
  sparqMs: number;
  ortMs: number;
  /** ortMs / sparqMs: above 1, sparq is faster. */
  ratio: number;
}

export interface ModelReport {
  name: string;
  /** Images the accuracies are over. */
  images: number;
  /** Top-1 accuracy in sparq's session and in onnxruntime-node. */
  accuracy: number;
  ortAccuracy: number;
  /** Fraction of images whose top-1 class is the same in both. */
  agreement: number;
  /** The encoded ONNX model's bytes, and gzip's (level 9) of them. */
  sizeBytes: number;
  sizeGzipBytes: number;
  /** Weights of all weight layers, and the fraction of them that are zero. */
  weights: number;
  sparsity: number;
  layers: LayerReport[];
  /** null with options.timing false. */
  speed: { threads: number; batch1: SpeedReport | null; batch: SpeedReport | null; notes: string[] } | null;
}

interface Checked {
  data: Dataset;
  name: string;
  batch: number;
  threads: number;
  timing: boolean;
  budgetMs: number;
  sessionOptions: SessionOptions;
}

function checkOptions(options: unknown): Checked {
  checkObject('options', options);
  const o = options as ReportOptions;
  const data = checkDataset('options.data', o.data);
  if (data.dims[0] === 0) fail('options.data', 'must hold at least one image');
  const name = o.name ?? 'model';
  if (typeof name !== 'string' || name.length === 0) typeFail('options.name', 'must be a non-empty string');
  if (o.sessionOptions !== undefined) checkObject('options.sessionOptions', o.sessionOptions);
  return {
    data, name,
    batch: checkInt('options.batch', o.batch ?? 64, 1, 65536),
    threads: checkInt('options.threads', o.threads ?? cpu.info().threads, 1, 256),
    timing: checkBoolean('options.timing', o.timing ?? true),
    budgetMs: checkInt('options.budgetMs', o.budgetMs ?? 500, 1, 600_000),
    sessionOptions: o.sessionOptions ?? {},
  };
}

/** Each runtime's top-1 class of every image of `data`, run `batch` images at a time. */
async function predictions(ort: Ort, sparq: InferenceSession, reference: OrtSession, data: Dataset, batch: number, io: { input: string; output: string }) {
  const n = data.dims[0];
  const ours = new Uint8Array(n), theirs = new Uint8Array(n);
  for (const { first, rows, feeds } of imageFeeds(data, batch, io.input)) {
    topClasses(sparq.runSync(feeds)[io.output], rows, ours, first, 'model');
    topClasses((await reference.run(toOrt(ort, feeds)))[io.output], rows, theirs, first, 'model');
  }
  return { ours, theirs };
}

function speedOf(m: Measurement<RunStats> | null): SpeedReport | null {
  return m && { batch: m.batch, sparqMs: m.sparq.p50Ms, ortMs: m.ort.p50Ms, ratio: m.speedup };
}

/**
 * Measures `model` (a graph or ONNX bytes; one NCHW image input, logits
 * [N, classes] as its first output) on options.data: see the file comment.
 * @throws TypeError/RangeError naming the bad argument; Error when onnxruntime-node is not installed; the sessions' errors for a model they cannot run.
 */
export async function reportModel(model: OnnxGraph | Uint8Array, options: ReportOptions): Promise<ModelReport> {
  const o = checkOptions(options);
  const bytes = modelBytes(model, 'model');
  const ort = await loadOrt();
  const sparq = await InferenceSession.create(bytes, { ...o.sessionOptions, threads: o.threads, profile: true });
  let reference: OrtSession | undefined;
  try {
    const [n, h, w, c] = o.data.dims;
    const io = imageModelIo(sparq, [h, w, c], 'model');
    reference = await ort.InferenceSession.create(bytes, ortSessionOptions(o.threads));
    const { ours, theirs } = await predictions(ort, sparq, reference, o.data, o.batch, io);
    let right = 0, ortRight = 0, same = 0;
    for (let i = 0; i < n; i++) {
      if (ours[i] === o.data.labels[i]) right++;
      if (theirs[i] === o.data.labels[i]) ortRight++;
      if (ours[i] === theirs[i]) same++;
    }
    // The session's kernels by node name; the QDQ pass names a quantized node '<name>_quant'.
    const kernels = new Map<string, string>();
    for (const p of sparq.profile()) kernels.set(p.node.endsWith('_quant') ? p.node.slice(0, -'_quant'.length) : p.node, p.kernel);
    const layers = weightLayers(readOnnx(bytes).graph, kernels);
    const { weights, sparsity } = weightTotals(layers);
    let speed: ModelReport['speed'] = null;
    if (o.timing) {
      const rows = Math.min(o.batch, n);
      const feeds: Feeds = { [io.input]: { type: 'float32', dims: [rows, c, h, w], data: nchwImages(o.data.images, 0, rows, [h, w, c]) } };
      const t = await measure(ort, sparq, reference, feeds, o.threads, { batch1: true, batch: o.batch, budgetMs: o.budgetMs });
      speed = { threads: t.threads, batch1: speedOf(t.batch1), batch: speedOf(t.throughput), notes: t.notes };
    }
    return {
      name: o.name, images: n, accuracy: right / n, ortAccuracy: ortRight / n, agreement: same / n,
      sizeBytes: bytes.length, sizeGzipBytes: gzipSync(bytes, { level: 9 }).length,
      weights, sparsity, layers, speed,
    };
  } finally {
    await sparq.release();
    await reference?.release();
  }
}
