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
import { checkBoolean, checkInt, checkObject, fail } from '../validate.js';
import { divergenceNames, divergenceReport, exposeValues, type FirstDivergence } from './compare/divergence.js';
import { agrees, top1Agreement, valueErrors, type TensorLike, type ValueErrors } from './compare/metrics.js';
import { oracleFor, ortDistance, outputStep, type Oracle, type OrtDistance } from './compare/oracle.js';
import { loadOrt, ortSessionOptions, toOrt, type OrtSession } from './compare/ort.js';
import { runOnReference } from './compare/reference-run.js';
import { measure, timingOptions, type CompareTiming, type CompareTimingOptions } from './compare/timing.js';
import type { Value, ValueType } from './onnx/model.js';
import { loadOnnx, readOnnx } from './onnx/read.js';
import { InferenceSession, type Feeds, type SessionOptions } from './session.js';

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
    const ortOptions = ortSessionOptions(threads);
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

function outputComparison(name: string, actual: Value, expected: TensorLike, tolerance: number): OutputComparison {
  const errors = valueErrors(actual, expected);
  return {
    name, type: actual.type, dims: [...actual.dims], ...errors, top1Agreement: errors.mismatch === null ? top1Agreement(actual, expected) : null,
    withinTolerance: agrees(actual.type, errors, tolerance), onnxruntime: null,
  };
}
