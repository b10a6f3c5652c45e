/**
 * One mutant through the public API: its files laid out, InferenceSession
 * created (from bytes or from its path) and, when that succeeds, run on
 * seeded random feeds. The outcome is the outputs, a clean error (the
 * classes the runtime documents: OnnxLoadError, ModelError, TypeError,
 * RangeError, and not one of the engine's own errors that only a bug
 * raises, such as "Cannot read properties of undefined"), or an unclean
 * error, which is a finding. V8's "Array buffer allocation failed" is
 * clean: an allocation refused, the process intact (the supervisor's memory
 * bound catches the ones that succeed).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ModelError, OnnxLoadError, type Value } from '../../../src/runtime/onnx/model.js';
import { readOnnx } from '../../../src/runtime/onnx/read.js';
import { InferenceSession, type Feeds } from '../../../src/runtime/session.js';
import { rng } from '../../helpers.js';
import type { FileSpec, Mutant } from './mutate.js';

export type Outcome =
  /** extreme: outputs the reference backend can only match in types and dims (see extremeFloats). */
  | { kind: 'ran'; feeds: Record<string, Value>; outputs: Record<string, Value>; extreme: boolean }
  | { kind: 'rejected'; stage: 'create' | 'run'; error: string; message: string }
  | { kind: 'unclean'; stage: 'create' | 'run'; error: string; message: string; stack: string };

/** Messages V8 gives its own TypeErrors and RangeErrors: a bug in sparq's code, never a deliberate check. */
const ENGINE_ERRORS = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Cannot convert|Cannot mix BigInt|Invalid typed array length|Invalid array length|Invalid array buffer length|Maximum call stack|offset is out of bounds|Start offset|Reduce of empty array|Invalid string length|Invalid count value/;

/** Every tensor held to 256 MiB: a mutated dim then ends in a LimitError, within the supervisor's 2 GiB memory bound. */
const FUZZ_LIMITS = { maxTensorBytes: 2 ** 28 };

/** The largest feed the fuzzer makes; an input declaring more is fed a small wrong-shaped tensor, which must be refused. */
const MAX_FEED_ELEMENTS = 1 << 20;

function classify(stage: 'create' | 'run', e: unknown): Outcome {
  const error = e instanceof Error ? e : new Error(String(e));
  const documented = error instanceof OnnxLoadError || error instanceof ModelError || error instanceof TypeError || error instanceof RangeError;
  if (documented && !ENGINE_ERRORS.test(error.message)) return { kind: 'rejected', stage, error: error.name, message: error.message.slice(0, 500) };
  return { kind: 'unclean', stage, error: error.name, message: error.message.slice(0, 2000), stack: (error.stack ?? '').split('\n').slice(0, 12).join('\n') };
}

/** Lays out the mutant in `dir` (emptied first): model.onnx and its files; returns the model's path. */
export function layOut(mutant: Mutant, dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  const modelDir = path.join(dir, 'model');
  fs.mkdirSync(modelDir, { recursive: true });
  // The target of the "../outside.bin" escapes: present, so only the confinement check can refuse it.
  fs.writeFileSync(path.join(dir, 'outside.bin'), new Uint8Array(4096));
  for (const f of mutant.files ?? []) layOutFile(modelDir, f);
  const file = path.join(modelDir, 'model.onnx');
  fs.writeFileSync(file, mutant.bytes);
  return file;
}

function layOutFile(dir: string, f: FileSpec): void {
  const at = path.join(dir, f.path);
  if (f.kind === 'data') fs.writeFileSync(at, f.bytes);
  else if (f.kind === 'dir') fs.mkdirSync(at, { recursive: true });
  else if (f.kind === 'symlink') fs.symlinkSync(f.target, at);
  else execFileSync('mkfifo', [at]);
}

/** Seeded feeds for the session's inputs: symbolic dims from the mutant, unknown ones 2. */
export function makeFeeds(session: InferenceSession, mutant: Mutant): Record<string, Value> {
  const r = rng(mutant.feedSeed);
  const feeds: Record<string, Value> = {};
  for (const input of session.inputs) {
    let dims = (input.dims ?? [1]).map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? mutant.symbols[d] ?? 2 : 2));
    if (dims.reduce((a, b) => a * b, 1) > MAX_FEED_ELEMENTS) dims = dims.map(() => 1);
    const n = dims.reduce((a, b) => a * b, 1);
    const type = input.type ?? 'float32';
    const small = () => Math.floor(r() * 7) - 3;
    const data =
      type === 'float32' ? Float32Array.from({ length: n }, () => (r() * 2 - 1) * 4)
      : type === 'int64' ? BigInt64Array.from({ length: n }, () => BigInt(small()))
      : type === 'int32' ? Int32Array.from({ length: n }, small)
      : type === 'int8' ? Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)
      : type === 'bool' ? Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0))
      : Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    feeds[input.name] = { type, dims, data };
  }
  return feeds;
}

/**
 * Whether the outputs are compared for types and dims only: when the
 * model's float constants hold NaN, Inf or magnitudes past 1e6 (bit flips in
 * an exponent make them), results depend on the order of the sums and on
 * how each kernel passes NaN through max and min; and when a QDQ model runs
 * without the passes (options.optimize false), its float convs feed
 * QuantizeLinear, where the SIMD and the reference sums can round to
 * neighbouring steps, and the step carries on to every later layer.
 */
function extremeFloats(mutant: Mutant, dir: string): boolean {
  const model = readOnnx(mutant.bytes, { baseDir: path.join(dir, 'model') });
  if (!mutant.options.optimize && model.graph.nodes.some((n) => n.opType === 'QuantizeLinear')) return true;
  const tensors = [...model.graph.initializers.values(), ...model.graph.nodes.flatMap((n) => [...n.attributes.values()].flatMap((a) => (a.type === 'tensor' ? [a.value] : [])))];
  return tensors.some((t) => t.type === 'float32' && (t.data as Float32Array).some((v) => !(Math.abs(v) <= 1e6)));
}

/**
 * Creates and runs the mutant (files laid out under `dir` when it needs a
 * path); `feeds` given: run on them (the oracle repeating a run), else seeded ones.
 */
export async function execute(mutant: Mutant, dir: string, layout: 'auto' | 'nchw', feeds?: Record<string, Value>): Promise<Outcome> {
  let session: InferenceSession;
  try {
    const model = mutant.fromPath ? layOut(mutant, dir) : mutant.bytes;
    session = await InferenceSession.create(model, { ...mutant.options, layout, limits: FUZZ_LIMITS });
  } catch (e) {
    return classify('create', e);
  }
  try {
    const fed = feeds ?? makeFeeds(session, mutant);
    const outputs = await session.run(fed as Feeds);
    return { kind: 'ran', feeds: fed, outputs, extreme: extremeFloats(mutant, dir) };
  } catch (e) {
    return classify('run', e);
  } finally {
    await session.release();
  }
}
