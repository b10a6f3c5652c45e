/**
 * One model's rows of the bench suite: on the CPU, compare() (the oracle
 * check, then batch-1 latency and batched throughput of sparq and
 * onnxruntime-node on the same threads); on WebGPU, sparq's GPU session
 * checked against the same oracle and timed against onnxruntime's WebGPU
 * execution provider. Without onnxruntime-node sparq is timed alone and
 * checked against its TypeScript reference backend.
 */
import { cpu } from '../backends/cpu/backend.js';
import type { WebGpuBackend } from '../backends/webgpu/backend.js';
import { compare, type CompareReport } from '../runtime/compare.js';
import { withBatch } from '../runtime/compare/feeds.js';
import { agrees, top1Agreement, valueErrors } from '../runtime/compare/metrics.js';
import { ortSessionOptions, toOrt, type Ort, type OrtSession } from '../runtime/compare/ort.js';
import { runOnReference } from '../runtime/compare/reference-run.js';
import type { Value } from '../runtime/onnx/model.js';
import { InferenceSession, type Feeds, type SessionOptions } from '../runtime/session.js';
import type { BenchBackend, ModelResult, ModelSide, ModelTiming, Stats } from './results.js';
import { timeCalls } from './timing.js';

/** A model to time: its name and form as the rows give them, its bytes, and the images it is checked and timed on. */
export interface BenchSubject {
  model: string;
  form: string;
  precision: 'fp32' | 'int8';
  /** Share of zeros in its conv and dense weights. */
  sparsity: number;
  bytes: Uint8Array;
  /** The check's images; latency runs the first of them, throughput repeats them up to the batch. */
  feeds: Feeds;
}

export interface RowSettings {
  /** Images per throughput run. */
  batch: number;
  /** Milliseconds of timed runs per measurement and side. */
  budgetMs: number;
  /** Timed runs taken however long they take. */
  minRuns: number;
}

/** The float tolerance compare() uses by default. */
const TOLERANCE = 1e-4;

type Check = NonNullable<ModelResult['check']>;

function side({ p50Ms, p99Ms, runs }: Stats, batch: number): ModelSide {
  return { p50Ms, p99Ms, runs, imagesPerSec: (batch * 1000) / p50Ms };
}

export function modelTiming(batch: number, sparq: Stats, ort: Stats | null): ModelTiming {
  return { batch, sparq: side(sparq, batch), onnxruntime: ort && side(ort, batch), speedup: ort && ort.p50Ms / sparq.p50Ms };
}

function checkOf(report: CompareReport): Check {
  const outputs = report.outputs;
  return {
    oracle: report.oracle.authority,
    maxAbsError: Math.max(...outputs.map((o) => o.maxAbsError)),
    exact: outputs.every((o) => o.exact),
    top1Agreement: outputs[0].top1Agreement,
    pass: outputs.every((o) => o.withinTolerance),
  };
}

/** sparq's outputs against the reference backend's. */
function referenceCheck(ours: Record<string, Value>, exact: Record<string, Value>): Check {
  const names = Object.keys(exact);
  const errors = names.map((n) => valueErrors(ours[n], exact[n]));
  return {
    oracle: 'reference',
    maxAbsError: Math.max(...errors.map((e) => e.maxAbsError)),
    exact: errors.every((e) => e.exact),
    top1Agreement: errors[0].mismatch === null ? top1Agreement(ours[names[0]], exact[names[0]]) : null,
    pass: errors.every((e, i) => agrees(ours[names[i]].type, e, TOLERANCE)),
  };
}

/** `feeds` at batch 1 and at `batch` (the model leaves the batch symbolic; the examples all do). */
function batches(session: InferenceSession, feeds: Feeds, batch: number): [Feeds, Feeds] {
  const one = withBatch(feeds, session.inputs, 1), many = withBatch(feeds, session.inputs, batch);
  if (typeof one === 'string' || typeof many === 'string') throw new Error(`cannot batch the model's inputs: ${typeof one === 'string' ? one : many}`);
  return [one, many];
}

/** sparq's (and, given, onnxruntime's) latency and throughput on `feeds`. */
async function timeSession(session: InferenceSession, ort: { ort: Ort; session: OrtSession } | null, feeds: Feeds, s: RowSettings) {
  const timed = { budgetMs: s.budgetMs, minRuns: s.minRuns };
  const timings: ModelTiming[] = [];
  for (const [batch, f] of batches(session, feeds, s.batch).map((f, i) => [i === 0 ? 1 : s.batch, f] as const)) {
    const ours = await timeCalls(() => session.run(f), timed);
    let theirs: Stats | null = null;
    if (ort) {
      const ortFeeds = toOrt(ort.ort, f);
      theirs = await timeCalls(() => ort.session.run(ortFeeds), timed);
    }
    timings.push(modelTiming(batch, ours, theirs));
  }
  return { latency: timings[0], throughput: timings[1] };
}

function row(subject: BenchSubject, backend: BenchBackend, threads: number): Pick<ModelResult, 'model' | 'form' | 'precision' | 'sparsity' | 'backend' | 'threads'> {
  return { model: subject.model, form: subject.form, precision: subject.precision, sparsity: subject.sparsity, backend, threads };
}

/**
 * The CPU row of `subject` on `threads` threads: compare() with onnxruntime
 * (`ort`), or without it (null) sparq timed alone and checked against
 * `reference` (the reference backend's outputs on subject.feeds; null: no
 * check). The note says why the reference was the oracle where compare()
 * chose it. Leaves sparq's thread count at `threads`.
 */
export async function cpuRow(subject: BenchSubject, threads: number, ort: Ort | null, reference: Record<string, Value> | null, s: RowSettings): Promise<{ result: ModelResult; note?: string }> {
  if (ort) {
    const report = await compare(subject.bytes, subject.feeds, { threads, timing: { batch1: true, batch: s.batch, budgetMs: s.budgetMs } });
    const t = report.timing!;
    const timing = (m: NonNullable<typeof t.batch1>) => modelTiming(m.batch, m.sparq, m.ort);
    const result: ModelResult = { ...row(subject, 'cpu', threads), latency: t.batch1 && timing(t.batch1), throughput: t.throughput && timing(t.throughput), check: checkOf(report) };
    return report.oracle.authority === 'reference' ? { result, note: `int8 rows are checked against sparq's exact reference backend: ${report.oracle.reason}` } : { result };
  }
  const session = await InferenceSession.create(subject.bytes, { threads });
  try {
    const check = reference && referenceCheck(session.runSync(subject.feeds), reference);
    return { result: { ...row(subject, 'cpu', threads), ...(await timeSession(session, null, subject.feeds, s)), check } };
  } finally {
    await session.release();
  }
}

/** The reference backend's outputs on subject.feeds: the oracle without onnxruntime. */
export function referenceOutputs(subject: BenchSubject): Promise<Record<string, Value>> {
  return runOnReference(subject.bytes, subject.feeds);
}

/**
 * The WebGPU row of `subject` on `gpu`: sparq's GPU session checked against
 * the oracle compare() picks (or `reference` without onnxruntime) and timed
 * against onnxruntime's WebGPU execution provider, or alone where that
 * provider does not run here (`ortWebGpu` false; it is set false on the
 * first failure, with the reason returned as a note).
 */
export async function webGpuRow(
  subject: BenchSubject, gpu: WebGpuBackend, ort: Ort | null, reference: Record<string, Value> | null, s: RowSettings, ortWebGpu: { runs: boolean },
): Promise<{ result: ModelResult; note?: string }> {
  const threads = cpu.info().threads;
  const options: SessionOptions = { backend: 'webgpu', gpu };
  let check: Check | null;
  const session = await InferenceSession.create(subject.bytes, options);
  let theirs: OrtSession | undefined;
  let note: string | undefined;
  try {
    if (ort) check = checkOf(await compare(subject.bytes, subject.feeds, { threads, sessionOptions: options, timing: false }));
    else check = reference && referenceCheck(await session.run(subject.feeds), reference);
    if (ort && ortWebGpu.runs) {
      try {
        theirs = await ort.InferenceSession.create(subject.bytes, { ...ortSessionOptions(threads), executionProviders: ['webgpu'] });
        // A provider that starts may still fail on the first run (an op it lacks): found here, not in the middle of the timing.
        await theirs.run(toOrt(ort, subject.feeds));
      } catch (e) {
        ortWebGpu.runs = false;
        await theirs?.release();
        theirs = undefined;
        note = `onnxruntime's WebGPU execution provider did not start (${(e as Error).message.split('\n')[0]}): WebGPU rows time sparq alone`;
      }
    }
    const timing = await timeSession(session, theirs ? { ort: ort!, session: theirs } : null, subject.feeds, s);
    return { result: { ...row(subject, 'webgpu', threads), ...timing, check }, ...(note && { note }) };
  } finally {
    await session.release();
    await theirs?.release();
  }
}
