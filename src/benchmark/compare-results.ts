/**
 * `sparq bench --compare a.json b.json`: two result files (two machines, or
 * two versions on one) side by side. Rows are matched by what they measure
 * (kernels by group, kernel, backend, shape, sparsity and threads; models by
 * model, form, backend and threads; accuracy by model); a row only one file
 * has keeps null on the other side. Ratios are B over A: above 1, B is faster.
 */
import { checkOneOf, typeFail } from '../validate.js';
import { BENCH_FORMAT, BENCH_VERSION, type AccuracyResult, type BenchResults, type KernelResult, type ModelResult, type ModelTiming } from './results.js';

/** A file that is not a sparq bench result this version reads. */
export class BenchFileError extends Error {
  override name = 'BenchFileError';
}

/** One measure in A and B, and B / A (null where either is missing). */
export interface Pair {
  a: number | null;
  b: number | null;
  ratio: number | null;
}

export interface MachineSummary {
  /** Where the results came from (the file name). */
  source: string;
  cpu: string;
  cores: number;
  /** The ISA sparq's kernels ran at (the cap if the run had one). */
  isa: string;
  createdAt: string;
  sparqVersion: string;
  onnxruntime: string | null;
  node: string;
}

export interface KernelComparison extends Pick<KernelResult, 'group' | 'kernel' | 'backend' | 'shape' | 'sparsity' | 'threads' | 'unit'> {
  /** sparq's rate (`unit`) in A and B. */
  rate: Pair;
  /** sparq over onnxruntime in A and in B (KernelResult.speedup). */
  speedup: { a: number | null; b: number | null };
}

export interface ModelComparison extends Pick<ModelResult, 'model' | 'form' | 'backend' | 'threads'> {
  /** Images per second of single-image runs, and of batched ones. */
  latency: Pair;
  throughput: Pair;
}

export interface AccuracyComparison extends Pick<AccuracyResult, 'model'> {
  top1: { a: number | null; b: number | null; delta: number | null };
}

export interface BenchComparison {
  a: MachineSummary;
  b: MachineSummary;
  kernels: KernelComparison[];
  models: ModelComparison[];
  accuracy: AccuracyComparison[];
}

/**
 * `text` (a file's content) as BenchResults, after checking it is one:
 * JSON, format 'sparq-bench', this version, the arrays and machine present.
 * @throws BenchFileError naming `source` and what is wrong.
 */
export function parseBenchResults(text: string, source: string): BenchResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BenchFileError(`${source}: not JSON (${(e as Error).message})`);
  }
  const r = value as Partial<BenchResults> | null;
  if (typeof r !== 'object' || r === null || r.format !== BENCH_FORMAT) throw new BenchFileError(`${source}: not a sparq bench result (no "format": "${BENCH_FORMAT}")`);
  if (r.version !== BENCH_VERSION) throw new BenchFileError(`${source}: ${BENCH_FORMAT} version ${String(r.version)}; this sparq reads version ${BENCH_VERSION}`);
  for (const field of ['kernels', 'models', 'accuracy', 'notes'] as const)
    if (!Array.isArray(r[field])) throw new BenchFileError(`${source}: malformed ${BENCH_FORMAT} file ("${field}" is not an array)`);
  if (typeof r.machine?.cpu?.model !== 'string') throw new BenchFileError(`${source}: malformed ${BENCH_FORMAT} file (no machine.cpu.model)`);
  return r as BenchResults;
}

function summary(r: BenchResults, source: string): MachineSummary {
  const { cpu } = r.machine;
  return {
    source, cpu: cpu.model, cores: cpu.cores, isa: r.options.isa !== 'none' ? r.options.isa : cpu.isa, createdAt: r.createdAt, sparqVersion: r.sparqVersion,
    onnxruntime: r.machine.onnxruntime, node: r.machine.node,
  };
}

function pair(a: number | null | undefined, b: number | null | undefined): Pair {
  const [x, y] = [a ?? null, b ?? null];
  return { a: x, b: y, ratio: x !== null && y !== null && x > 0 ? y / x : null };
}

/** Rows of A and B matched by `key`: A's order, then the rows only B has. */
function matched<T>(as: readonly T[], bs: readonly T[], key: (row: T) => string): [T | undefined, T | undefined][] {
  const byKey = new Map(bs.map((row) => [key(row), row]));
  const pairs: [T | undefined, T | undefined][] = as.map((row) => {
    const other = byKey.get(key(row));
    byKey.delete(key(row));
    return [row, other];
  });
  return [...pairs, ...[...byKey.values()].map((row): [undefined, T] => [undefined, row])];
}

const imagesPerSec = (t: ModelTiming | null | undefined) => t?.sparq.imagesPerSec;

/**
 * A and B side by side. @throws TypeError naming a or b when it is not
 * BenchResults (parseBenchResults checks files), or sources when not two names.
 */
export function compareResults(a: BenchResults, b: BenchResults, sources: [string, string] = ['A', 'B']): BenchComparison {
  for (const [name, r] of [['a', a], ['b', b]] as const) {
    if (typeof r !== 'object' || r === null) typeFail(name, 'must be BenchResults');
    checkOneOf(`${name}.format`, r.format, [BENCH_FORMAT]);
  }
  if (!Array.isArray(sources) || sources.length !== 2 || !sources.every((s) => typeof s === 'string')) typeFail('sources', 'must be two names');
  const kernelKey = (k: KernelResult) => [k.group, k.kernel, k.backend, k.shape, k.sparsity, k.threads].join('|');
  const modelKey = (m: ModelResult) => [m.model, m.form, m.backend, m.threads].join('|');
  return {
    a: summary(a, sources[0]),
    b: summary(b, sources[1]),
    kernels: matched(a.kernels, b.kernels, kernelKey).map(([x, y]) => {
      const { group, kernel, backend, shape, sparsity, threads, unit } = (x ?? y)!;
      return { group, kernel, backend, shape, sparsity, threads, unit, rate: pair(x?.sparq.rate, y?.sparq.rate), speedup: { a: x?.speedup ?? null, b: y?.speedup ?? null } };
    }),
    models: matched(a.models, b.models, modelKey).map(([x, y]) => {
      const { model, form, backend, threads } = (x ?? y)!;
      return { model, form, backend, threads, latency: pair(imagesPerSec(x?.latency), imagesPerSec(y?.latency)), throughput: pair(imagesPerSec(x?.throughput), imagesPerSec(y?.throughput)) };
    }),
    accuracy: matched(a.accuracy, b.accuracy, (r) => r.model).map(([x, y]) => {
      const [top1a, top1b] = [x?.top1 ?? null, y?.top1 ?? null];
      return { model: (x ?? y)!.model, top1: { a: top1a, b: top1b, delta: top1a !== null && top1b !== null ? top1b - top1a : null } };
    }),
  };
}
