/**
 * The report for the package's entry point: Vega (a few MB of JavaScript)
 * loads on the first call, not when sparq is imported.
 */
import type { BenchResults } from '../benchmark/results.js';

/** The self-contained HTML report of `results` (what `sparq report` writes). @throws TypeError naming what is wrong with results. */
export async function renderReport(results: BenchResults): Promise<string> {
  return (await import('./index.js')).renderReport(results);
}

/** Writes renderReport(results) to `file`. @throws TypeError for bad arguments; the file system's error when it cannot be written. */
export async function writeReport(results: BenchResults, file: string): Promise<void> {
  return (await import('./index.js')).writeReport(results, file);
}
