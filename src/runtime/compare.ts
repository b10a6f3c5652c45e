/**
 * compare(): one model and one set of inputs, run in sparq and in
 * onnxruntime-node, reported as errors and agreement per output, latency and
 * throughput of both with the same thread count, and optionally the first
 * value of the graph where the two part ways. onnxruntime-node is loaded only
 * when compare() runs, so sparq itself works without it.
 *
 * onnxruntime is the oracle except for int8 models where its int8 is not
 * exact on this CPU (compare/ort-int8.ts: x86 without VNNI, 8-bit weights): there
 * sparq is checked against its own TypeScript reference backend on the same
 * graph, and the distance to onnxruntime is reported as information.
 */
import fs from 'node:fs/promises';

import { cpu } from '../backends/cpu/backend.js';
import { sizeOf } from '../tensor.js';
import { checkBoolean, checkInt, checkObject, fail } from '../validate.js';
import type { OnnxGraph, OnnxValueInfo, Value, ValueType } from './onnx/model.js';
import { loadOnnx, readOnnx } from './onnx/read.js';
import { ModelProtoType } from './onnx/schema.js';
import { ModelError } from './ops/op.js';
import { int8Weights, ortInt8Exactness } from './compare/ort-int8.js';
import { runOnReference } from './compare/reference-run.js';
import { InferenceSession, type Feeds, type SessionOptions } from './session.js';
import { VALUE_ARRAYS } from './value.js';

type Ort = typeof import('onnxruntime-node');
type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** A tensor of either runtime: sparq's Values and onnxruntime's Tensors both fit (onnxruntime's string tensors too: they never match sparq's types). */
export interface TensorLike {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string>;
}

export interface CompareTimingOptions {
  /** Time single-sample runs (default true). */
  batch1?: boolean;
  /** Batch of the throughput runs (default 64); 0 skips them. */
  batch?: number;
  /** Milliseconds of timed runs per runtime and measurement (default 500); at least 5 runs are timed. */
  budgetMs?: number;
}

export interface CompareOptions {
  /** sparq's session options; `threads` is overridden by options.threads. */
  sessionOptions?: SessionOptions;
  /** Threads of both runtimes (default: sessionOptions.threads, else cpu.info().threads). */
  threads?: number;
  /** Measure latency and throughput (default true). */
  timing?: boolean | CompareTimingOptions;
  /** Run both with every intermediate value both compute exposed and report the first that disagrees (default false). */
  firstDivergence?: boolean;
  /** Largest float32 maxRelError counted as agreement (default 1e-4); other types must be equal. */
  tolerance?: number;
}

/** How far sparq's value is from onnxruntime's. */
export interface ValueErrors {
  /** Why no errors could be computed (element types or dims differ); null when they agree. The errors are then Infinity, cosine 0. */
  mismatch: string | null;
  maxAbsError: number;
  /** maxAbsError over the largest |onnxruntime value| (0 when both are all zeros), so near-zero elements do not blow it up. */
  maxRelError: number;
  /** Cosine similarity of the two as vectors, over the elements finite in both (1 when those are all zeros); NaN and infinity disagreements show in maxAbsError. */
  cosine: number;
  /** Every element equal (NaN equals NaN). */
  exact: boolean;
}

/** sparq's distance to onnxruntime where onnxruntime is not the oracle: information, never a failure. */
export interface OrtDistance extends ValueErrors {
  /** maxAbsError in the output's quantization steps (the scale of the DequantizeLinear producing it; 1 for 8-bit outputs); null when it has no single step. */
  steps: number | null;
  top1Agreement: number | null;
}

export interface OutputComparison extends ValueErrors {
  name: string;
  /** sparq's element type and dims. */
  type: ValueType;
  dims: number[];
  /** For [N, C] outputs with C > 1: the fraction of the N rows whose argmax agree; null otherwise. */
  top1Agreement: number | null;
  /** exact, or for float32 maxRelError <= options.tolerance. */
  withinTolerance: boolean;
  /** With the reference as the oracle: how far sparq's output is from onnxruntime's (information); null when onnxruntime is the oracle. */
  onnxruntime: OrtDistance | null;
}

/** Which runtime's values the errors, withinTolerance and firstDivergence are measured against, and why. */
export interface Oracle {
  /**
   * 'onnxruntime', or 'reference' (sparq's TypeScript reference backend on
   * the same graph, exact integer arithmetic) for int8 models where
   * onnxruntime's int8 is not exact on this CPU.
   */
  authority: 'onnxruntime' | 'reference';
  /** Why, in one sentence. */
  reason: string;
}

export interface RunStats {
  /** Milliseconds per run. */
  p50Ms: number;
  p99Ms: number;
  runs: number;
}

export interface ThroughputStats extends RunStats {
  /** Samples per second at the median run time. */
  perSec: number;
}

export interface Measurement<S extends RunStats> {
  /** The batch (first dim) of the feeds timed. */
  batch: number;
  sparq: S;
  ort: S;
  /** onnxruntime's median time over sparq's: above 1, sparq is faster. */
  speedup: number;
}

export interface CompareTiming {
  threads: number;
  /** Latency of single-sample runs (the given feeds' batch when the model fixes it; see notes); null when not asked for. */
  batch1: Measurement<RunStats> | null;
  /** Throughput at options.timing.batch; null when skipped (see notes). */
  throughput: Measurement<ThroughputStats> | null;
  /** Why a measurement was skipped or run at another batch. */
  notes: string[];
}

export interface FirstDivergence extends ValueErrors {
  /** The model's node that produces the value (its name and operator). */
  node: string;
  opType: string;
  /** The value. */
  output: string;
}

export interface CompareReport {
  oracle: Oracle;
  outputs: OutputComparison[];
  timing?: CompareTiming;
  /** With options.firstDivergence: the first value, in sparq's execution order, outside the tolerance; null when none is. */
  firstDivergence?: FirstDivergence | null;
  /** With options.firstDivergence: how many values both runtimes computed and were compared (graph outputs included). */
  valuesCompared?: number;
}

const DEFAULT_TOLERANCE = 1e-4;
const DEFAULT_BATCH = 64;
const DEFAULT_BUDGET_MS = 500;
const MIN_RUNS = 5;

/**
 * Runs `model` on `feeds` in sparq and in onnxruntime-node and compares them
 * (against sparq's reference backend instead where onnxruntime's int8 is not
 * exact here; see report.oracle): per graph output the errors, cosine
 * similarity and top-1 agreement; with
 * options.timing (default on) the p50/p99 latency at batch 1 and the
 * throughput at batch 64 of both, on the same number of threads (onnxruntime:
 * intra-op threads, one inter-op thread, sequential execution); with
 * options.firstDivergence the first intermediate value that disagrees.
 * Batches are changed by repeating the feeds' rows along the first dim, which
 * the model must leave symbolic.
 * Setting threads sets sparq's CPU thread count for the process (cpu.setThreads), as SessionOptions.threads does.
 * @throws {Error} when onnxruntime-node is not installed.
 * @throws {TypeError|RangeError} for bad options, and the session's TypeError/RangeError for feeds that do not fit the model.
 * @throws {OnnxLoadError|ModelError} when sparq cannot load or run the model; onnxruntime's own errors as it throws them.
 */
export async function compare(model: string | Uint8Array, feeds: Feeds, options: CompareOptions = {}): Promise<CompareReport> {
  checkObject('options', options);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (typeof tolerance !== 'number' || !(tolerance >= 0) || tolerance === Infinity) fail('options.tolerance', `must be a finite number >= 0, got ${String(tolerance)}`);
  const timing = timingOptions(options.timing ?? true);
  const divergence = checkBoolean('options.firstDivergence', options.firstDivergence ?? false);
  if (options.sessionOptions !== undefined) checkObject('options.sessionOptions', options.sessionOptions);
  const threads = checkInt('options.threads', options.threads ?? options.sessionOptions?.threads ?? cpu.info().threads, 1, 256);

  const ort = await loadOrt();
  const sparq = await InferenceSession.create(model, { ...options.sessionOptions, threads });
  const sessions: OrtSession[] = [];
  try {
    // sparq checks the feeds first, so bad feeds fail with its TypeError/RangeError.
    const ours = await sparq.run(feeds);
    const ortOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 } as const;
    const reference = typeof model === 'string' ? await ort.InferenceSession.create(model, ortOptions) : await ort.InferenceSession.create(model, ortOptions);
    sessions.push(reference);
    const theirs = await reference.run(toOrt(ort, feeds));
    const graph = (typeof model === 'string' ? await loadOnnx(model) : readOnnx(model)).graph;
    const oracle = oracleFor(graph);
    const names = divergence ? divergenceNames(sparq, graph) : [];
    let report: CompareReport;
    if (oracle.authority === 'onnxruntime') {
      report = { oracle, outputs: sparq.outputNames.map((name) => outputComparison(name, ours[name] as Value, theirs[name], tolerance)) };
      if (divergence) {
        const bytes = typeof model === 'string' ? await fs.readFile(model) : model;
        const exposed = await ort.InferenceSession.create(exposeValues(bytes, names.filter((n) => !sparq.outputNames.includes(n))), ortOptions);
        sessions.push(exposed);
        Object.assign(report, divergenceReport(graph, sparq, names, await exposed.run(toOrt(ort, feeds), names), feeds, tolerance));
      }
    } else {
      const exact = await runOnReference(model, feeds, { fetches: [...new Set([...sparq.outputNames, ...names])], sessionOptions: options.sessionOptions });
      report = {
        oracle,
        outputs: sparq.outputNames.map((name) => ({
          ...outputComparison(name, ours[name] as Value, exact[name], tolerance),
          onnxruntime: ortDistance(ours[name] as Value, theirs[name], outputStep(graph, name)),
        })),
      };
      if (divergence) Object.assign(report, divergenceReport(graph, sparq, names, exact, feeds, tolerance));
    }
    if (timing) report.timing = await measure(ort, sparq, reference, feeds, threads, timing);
    return report;
  } finally {
    await sparq.release();
    for (const s of sessions) await s.release();
  }
}

async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('onnxruntime-node');
    const message = missing ? 'compare() needs onnxruntime-node: npm install onnxruntime-node' : `compare() could not load onnxruntime-node: ${(err as Error).message}`;
    throw new Error(message, { cause: err });
  }
}

function timingOptions(t: boolean | CompareTimingOptions): Required<CompareTimingOptions> | null {
  if (t === false) return null;
  if (t === true) return { batch1: true, batch: DEFAULT_BATCH, budgetMs: DEFAULT_BUDGET_MS };
  checkObject('options.timing', t);
  return {
    batch1: checkBoolean('options.timing.batch1', t.batch1 ?? true),
    batch: checkInt('options.timing.batch', t.batch ?? DEFAULT_BATCH, 0, 65536),
    budgetMs: checkInt('options.timing.budgetMs', t.budgetMs ?? DEFAULT_BUDGET_MS, 1, 600_000),
  };
}

function toOrt(ort: Ort, feeds: Feeds): Record<string, InstanceType<Ort['Tensor']>> {
  // The data is shared, not copied; the types were checked by sparq's run.
  return Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor(f.type as 'float32', f.data as Float32Array, [...f.dims])]));
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The errors of `actual` (sparq) against `expected` (onnxruntime), in float64.
 * int64 differences are taken on the BigInts, so values past 2^53 are not rounded together.
 */
export function valueErrors(actual: TensorLike, expected: TensorLike): ValueErrors {
  if (actual.type !== expected.type || !sameDims(actual.dims, expected.dims)) {
    return { mismatch: `sparq gives ${actual.type} [${actual.dims}], onnxruntime ${expected.type} [${expected.dims}]`, maxAbsError: Infinity, maxRelError: Infinity, cosine: 0, exact: false };
  }
  let maxAbs = 0, scale = 0, dot = 0, na = 0, nb = 0, exact = true;
  const a = actual.data, b = expected.data;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i], bi = b[i];
    const same = ai === bi || (ai !== ai && bi !== bi);
    const x = Number(ai), y = Number(bi);
    if (!same) {
      exact = false;
      const d = typeof ai === 'bigint' ? Math.abs(Number(ai - (bi as bigint))) : Math.abs(x - y);
      // NaN against a number is a disagreement of unbounded size.
      maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
    }
    if (Number.isFinite(y)) scale = Math.max(scale, Math.abs(y));
    if (Number.isFinite(x) && Number.isFinite(y)) {
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  }
  const maxRel = maxAbs === 0 ? 0 : scale === 0 ? Infinity : maxAbs / scale;
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
  return { mismatch: null, maxAbsError: maxAbs, maxRelError: maxRel, cosine, exact };
}

/** Whether sparq's value counts as agreeing: same type and dims, and exact, or for float32 within `tolerance` relative error. */
export function agrees(type: string, errors: ValueErrors, tolerance: number): boolean {
  if (errors.mismatch !== null) return false;
  return errors.exact || (type === 'float32' && errors.maxRelError <= tolerance);
}

function argmax(data: TensorLike['data'], start: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (Number(data[start + j]) > Number(data[start + best])) best = j;
  return best;
}

/** The fraction of rows of two [N, C] values (C > 1) whose argmax agree; null for other shapes or no rows. */
export function top1Agreement(actual: TensorLike, expected: TensorLike): number | null {
  if (actual.dims.length !== 2 || !sameDims(actual.dims, expected.dims)) return null;
  const [rows, classes] = actual.dims;
  if (rows === 0 || classes < 2) return null;
  let agree = 0;
  for (let r = 0; r < rows; r++) if (argmax(actual.data, r * classes, classes) === argmax(expected.data, r * classes, classes)) agree++;
  return agree / rows;
}

function outputComparison(name: string, actual: Value, expected: TensorLike, tolerance: number): OutputComparison {
  const errors = valueErrors(actual, expected);
  return {
    name, type: actual.type, dims: [...actual.dims], ...errors, top1Agreement: errors.mismatch === null ? top1Agreement(actual, expected) : null,
    withinTolerance: agrees(actual.type, errors, tolerance), onnxruntime: null,
  };
}

/** onnxruntime is the oracle unless the model has int8 weights and onnxruntime's int8 is not exact for them on this CPU (ortInt8Exactness). */
export function oracleFor(graph: OnnxGraph): Oracle {
  const weights = int8Weights(graph);
  if (weights.length === 0) return { authority: 'onnxruntime', reason: 'the model has no int8 weights' };
  const { exact, reason } = ortInt8Exactness(weights);
  return { authority: exact ? 'onnxruntime' : 'reference', reason };
}

/**
 * One quantization step of graph output `name`: the scalar scale of the
 * DequantizeLinear that produces it, 1 for an 8-bit output, else null.
 */
export function outputStep(graph: OnnxGraph, name: string): number | null {
  const producer = graph.nodes.find((n) => n.outputs.includes(name));
  if (producer?.opType === 'DequantizeLinear') {
    const scale = graph.initializers.get(producer.inputs[1]);
    return scale?.type === 'float32' && scale.data.length === 1 ? (scale.data[0] as number) : null;
  }
  const type = graph.outputs.find((o) => o.name === name)?.type;
  return type === 'uint8' || type === 'int8' ? 1 : null;
}

function ortDistance(ours: Value, theirs: TensorLike, step: number | null): OrtDistance {
  const errors = valueErrors(ours, theirs);
  return { ...errors, steps: step === null || errors.mismatch !== null ? null : errors.maxAbsError / step, top1Agreement: errors.mismatch === null ? top1Agreement(ours, theirs) : null };
}

/**
 * The first name of `order` (sparq's execution order) whose values disagree
 * (agrees()); names missing from either map are skipped, as values one
 * runtime fused away are.
 */
export function firstDisagreement(order: readonly string[], sparq: Record<string, TensorLike>, ort: Record<string, TensorLike>, tolerance: number): { name: string; errors: ValueErrors } | null {
  for (const name of order) {
    const a = sparq[name], b = ort[name];
    if (a === undefined || b === undefined) continue;
    const errors = valueErrors(a, b);
    if (!agrees(a.type, errors, tolerance)) return { name, errors };
  }
  return null;
}

/**
 * The model's bytes with `names` added as graph outputs. A serialized
 * message followed by another merges them (repeated fields append), so the
 * appended `ModelProto { graph { output: [...] } }` keeps every byte of the
 * original, including the fields sparq's schema does not declare. The
 * outputs carry no type: onnxruntime infers it.
 */
export function exposeValues(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const extra = ModelProtoType.encode(ModelProtoType.fromObject({ graph: { output: names.map((name) => ({ name })) } })).finish();
  const merged = new Uint8Array(bytes.length + extra.length);
  merged.set(bytes);
  merged.set(extra, bytes.length);
  return merged;
}

/** The values the first-divergence search compares: those the model's own nodes produce (sparq's passes may add values of their own). */
function divergenceNames(sparq: InferenceSession, graph: OnnxGraph): string[] {
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs).filter((o) => o !== ''));
  return sparq.valueNames().filter((name) => produced.has(name));
}

/** The first of `names` where sparq's values and the oracle's (`theirs`) disagree, and how many were compared. */
function divergenceReport(graph: OnnxGraph, sparq: InferenceSession, names: string[], theirs: Record<string, TensorLike>, feeds: Feeds, tolerance: number): Pick<CompareReport, 'firstDivergence' | 'valuesCompared'> {
  const ours = sparq.runSync(feeds, names);
  const found = firstDisagreement(names, ours, theirs, tolerance);
  if (found === null) return { firstDivergence: null, valuesCompared: names.length };
  const producer = graph.nodes.find((n) => n.outputs.includes(found.name))!;
  return { firstDivergence: { node: producer.name, opType: producer.opType, output: found.name, ...found.errors }, valuesCompared: names.length };
}

/** `feeds` with their first dim changed to `batch` by repeating rows, or why the model does not allow it. */
function withBatch(feeds: Feeds, inputs: readonly OnnxValueInfo[], batch: number): Feeds | string {
  const out: Feeds = {};
  for (const info of inputs) {
    const f = feeds[info.name];
    const first = info.dims?.[0];
    if (info.dims === null || info.dims.length === 0 || typeof first === 'number') return `input "${info.name}" has a fixed or no batch dim`;
    if (f.dims[0] === batch) {
      out[info.name] = f;
      continue;
    }
    const rows = f.dims[0];
    if (rows === 0) return `input "${info.name}" has no rows to repeat`;
    const src = f.data as Value['data'];
    const row = src.length / rows;
    const data = new (src.constructor as new (n: number) => Value['data'])(batch * row);
    for (let r = 0; r < batch; r++) data.set(src.subarray((r % rows) * row, (r % rows + 1) * row) as never, r * row);
    out[info.name] = { type: f.type, dims: [batch, ...f.dims.slice(1)], data };
  }
  return out;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Per-run milliseconds of `run` over `budgetMs`, after one untimed run (first runs allocate and fault pages in). */
async function timeRuns(run: () => Promise<unknown>, budgetMs: number): Promise<RunStats> {
  await run();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < MIN_RUNS || performance.now() < end) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), runs: samples.length };
}

async function measure(ort: Ort, sparq: InferenceSession, reference: OrtSession, feeds: Feeds, threads: number, options: Required<CompareTimingOptions>): Promise<CompareTiming> {
  const notes: string[] = [];
  const both = async (f: Feeds) => {
    const ortFeeds = toOrt(ort, f);
    return { sparq: await timeRuns(() => sparq.run(f), options.budgetMs), ort: await timeRuns(() => reference.run(ortFeeds), options.budgetMs) };
  };
  const batchOf = (f: Feeds) => Object.values(f)[0]?.dims[0] ?? 1;
  let batch1: Measurement<RunStats> | null = null;
  if (options.batch1) {
    let single = withBatch(feeds, sparq.inputs, 1);
    if (typeof single === 'string') {
      notes.push(`latency at the feeds' batch: ${single}`);
      single = feeds;
    }
    const t = await both(single);
    batch1 = { batch: batchOf(single), ...t, speedup: t.ort.p50Ms / t.sparq.p50Ms };
  }
  let throughput: Measurement<ThroughputStats> | null = null;
  if (options.batch > 0) {
    const batched = withBatch(feeds, sparq.inputs, options.batch);
    if (typeof batched === 'string') notes.push(`no throughput at batch ${options.batch}: ${batched}`);
    else {
      const t = await both(batched);
      const perSec = (s: RunStats): ThroughputStats => ({ ...s, perSec: (options.batch * 1000) / s.p50Ms });
      throughput = { batch: options.batch, sparq: perSec(t.sparq), ort: perSec(t.ort), speedup: t.ort.p50Ms / t.sparq.p50Ms };
    }
  }
  return { threads, batch1, throughput, notes };
}

/** Deterministic uniform values in [0, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Seeded random feeds for `inputs` (a session's `inputs`): symbolic and
 * unknown dims become `batch`; float32 values are uniform in [0, 1), integer
 * ones small (0..9, so they stay valid as indices or shapes), bool 0 or 1.
 * Inputs without an element type are float32.
 * @throws {ModelError} when an input has no shape in the model.
 * @throws {RangeError} for a bad batch.
 */
export function randomFeeds(inputs: readonly OnnxValueInfo[], { batch = 1, seed = 1 }: { batch?: number; seed?: number } = {}): Record<string, Value> {
  checkInt('batch', batch, 1, 65536);
  const random = uniform(seed);
  const feeds: Record<string, Value> = {};
  for (const info of inputs) {
    if (info.dims === null) throw new ModelError(`input "${info.name}" has no shape in the model: give compare() feeds instead`);
    const dims = info.dims.map((d) => (typeof d === 'number' ? d : batch));
    const type = info.type ?? 'float32';
    const n = sizeOf(dims);
    const data = new VALUE_ARRAYS[type](n);
    const high = type === 'bool' ? 2 : 10;
    for (let i = 0; i < n; i++) {
      if (data instanceof Float32Array) data[i] = random();
      else if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor(random() * high));
      else data[i] = Math.floor(random() * high);
    }
    feeds[info.name] = { type, dims, data };
  }
  return feeds;
}
