/**
 * Whether a parsed JSON value is sparq bench results this sparq can draw:
 * the format and version of benchmark/results.ts and the parts the report
 * reads. A file from elsewhere, or from a sparq whose format changed
 * meaning, is named as such instead of failing halfway through a chart.
 */
import { BENCH_FORMAT, BENCH_VERSION, type BenchResults } from '../benchmark/results.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What keeps `value` from being bench results, as a phrase; null when it is. */
export function benchResultsProblem(value: unknown): string | null {
  if (!isObject(value) || value.format !== BENCH_FORMAT) {
    const format = isObject(value) && typeof value.format === 'string' ? `format '${value.format}'` : 'no format field';
    return `not a sparq bench results file (${format}; expected '${BENCH_FORMAT}')`;
  }
  if (value.version !== BENCH_VERSION) return `sparq bench results version ${JSON.stringify(value.version)}; this sparq reads version ${BENCH_VERSION}`;
  for (const key of ['kernels', 'models', 'accuracy', 'notes'] as const) if (!Array.isArray(value[key])) return `sparq bench results without a '${key}' list`;
  for (const key of ['machine', 'options'] as const) if (!isObject(value[key])) return `sparq bench results without '${key}'`;
  return null;
}

/** `value` as bench results. @throws TypeError naming `name` and the problem. */
export function asBenchResults(value: unknown, name: string): BenchResults {
  const problem = benchResultsProblem(value);
  if (problem !== null) throw new TypeError(`${name}: ${problem}`);
  return value as BenchResults;
}
