/**
 * `sparq report results.json -o report.html`: the HTML report of a
 * `sparq bench` results file, one self-contained page with its charts
 * drawn in. Prints the written path on stdout.
 */
import fs from 'node:fs/promises';

import { FlagError, parseFlags, printHelp, type Command } from './conventions.js';

/** The command's lines in sparq's usage. */
export const REPORT_SUMMARY = `  report <results.json> -o <report.html>
                  one self-contained HTML page (no network needed) from sparq bench results:
                  the machine, GOP/s vs sparsity, speedups, model latency/throughput, accuracy
`;

const USAGE = `usage: sparq report <results.json> -o <report.html>

Writes one self-contained HTML report (inline CSS and SVG charts, no script, no network
needed to open it) from the results sparq bench writes: the machine and the run, GOP/s
against sparsity for the sparse products, speedups over onnxruntime per kernel and
backend, latency and throughput per example model, accuracy against sparsity and bit
width, the notes, and a table of every kernel measurement. Prints the written path.

  -o, --out file   where to write the report (required)

examples:
  sparq report results.json -o report.html
  sparq bench --quick --out results.json && sparq report results.json --out report.html
`;

async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, { out: { type: 'string', short: 'o' } }, 1);
  if (parsed === 'help') return printHelp(USAGE);
  const [input] = parsed.positionals;
  if (input === undefined) throw new FlagError('needs a results file: sparq report <results.json> -o <report.html>');
  const out = parsed.values.out;
  if (out === undefined || out === '') throw new FlagError('needs -o <report.html>, the file to write');
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(input, 'utf8'));
  } catch (e) {
    throw new Error(e instanceof SyntaxError ? `${input} is not JSON (${e.message})` : `cannot read ${input}: ${(e as Error).message}`);
  }
  // Vega is loaded only here: the other commands should not pay for it at start-up.
  const { benchResultsProblem, writeReport } = await import('../report/index.js');
  const problem = benchResultsProblem(value);
  if (problem !== null) throw new Error(`${input}: ${problem}`);
  await writeReport(value as Parameters<typeof writeReport>[0], out);
  console.log(out);
  return 0;
}

export const command: Command = { name: 'report', usage: USAGE, main };
