/**
 * `sparq bench`: the kernel suite on this machine against onnxruntime-node
 * in the same run (runBench), as tables or --json on stdout, written to
 * --out; `sparq bench --compare a.json b.json` puts two result files side
 * by side. A bad flag exits 2, a failed run or an unreadable file 1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { BenchFileError, compareResults, parseBenchResults } from '../benchmark/compare-results.js';
import type { BenchBackend, BenchGroup } from '../benchmark/results.js';
import { BENCH_GROUPS, ISA_LIMITS, runBench, type BenchOptions } from '../benchmark/run-bench.js';
import type { IsaLimit } from '../native.js';
import { formatComparison, formatResults } from './bench-format.js';
import { FlagError, oneOf, parseFlags, positiveInt, printHelp, type Command } from './conventions.js';

/** The command's lines in sparq's usage. */
export const BENCH_SUMMARY = `  bench [--quick] [--only group,...] [--threads 1,2] [--isa level] [--backend cpu|webgpu|all] [--json] [--out file]
                  [--report file.html]
                  GEMM, qgemm, SpMM/qSpMM across sparsities, conv layers, quantize/dequantize and the
                  example models (fp32, int8, pruned, pruned + int8) on each backend against
                  onnxruntime-node in the same run: medians, p99, rates, speedups; the examples' accuracy
  bench --compare a.json b.json [--json]
                  two result files (two machines or two versions) side by side
`;

const USAGE = `usage: sparq bench [--quick] [--only group,...] [--threads 1,2] [--isa level] [--backend cpu|webgpu|all]
                   [--budget ms] [--variant name|all] [--json] [--out file.json] [--report file.html]
       sparq bench --compare a.json b.json [--json]

Times sparq's kernels on this machine against onnxruntime-node in the same process, on the
same data and threads: GEMM (sgemm), qgemm (int32 out vs MatMulInteger, uint8 vs
QLinearMatMul), SpMM and qSpMM at 50-95% sparsity (CSR, blocks, and sparq's dense GEMM on the
same pruned matrix, vs onnxruntime's dense MatMul), the CIFAR-10 CNN's conv layers (fp32 and
int8, dense and 90% block-pruned, vs Conv / QLinearConv), quantize and dequantize; and sgemm,
qgemm and spmm on the WebGPU adapter vs onnxruntime's WebGPU EP. Then the example models
(the bundled Fashion-MNIST CNN and the CIFAR-10 CNN, fp32, int8, 90% block-pruned and both)
on each backend: single-image and batched images per second against onnxruntime, their
outputs checked against it; and the Fashion-MNIST models' test accuracy in sparq (when
Debian's dataset-fashion-mnist, or $SPARQ_FASHION_MNIST, provides the data). Each kernel row: the median (p50)
and p99 of repeated runs, the rate (GFLOP/s, GOP/s, Gelem/s; sparse rates count the dense
product) and the speedup (onnxruntime p50 / sparq p50: above 1 sparq is faster). Without
onnxruntime-node the rows keep sparq's side alone; without a WebGPU adapter the webgpu rows
are left out; a note says so either way.

  --quick          fewer shapes (the largest dropped), ~120 ms per measurement; well under a minute
  --only a,b       only these groups: ${BENCH_GROUPS.join(', ')}
  --threads 1,2    CPU thread counts, a row each (default: SPARQ_THREADS or all cores, and 1 too
                   without --quick)
  --isa level      cap sparq's CPU kernels: ${ISA_LIMITS.filter((l) => l !== 'none').join(', ')}
                   (onnxruntime is not capped)
  --backend b      cpu, webgpu or all (default)
  --budget ms      timed milliseconds per measurement and side (default 120 quick, 1000 full)
  --variant v      time sparq's CPU side on this kernel variant (sparq info lists them), or on
                   every variant this CPU runs with 'all', a row each
  --json           the results as JSON (the format sparq report and --compare read) on stdout
  --out file       also write that JSON to file
  --report file    also write the HTML report of the results (what sparq report writes)
  --compare        read two result files and print them side by side: each row's rate in A and
                   B and B/A, and the two machines

examples:
  sparq bench --quick
  sparq bench --quick --out results.json --report report.html
  sparq bench --only gemm,qgemm --threads 1 --json > gemm.json
  sparq bench --isa avx2 --out avx2.json
  sparq bench --compare laptop.json server.json
`;

const BACKENDS: Record<'cpu' | 'webgpu' | 'all', BenchBackend[]> = { cpu: ['cpu'], webgpu: ['webgpu'], all: ['cpu', 'webgpu'] };
const RUN_FLAGS = ['quick', 'only', 'threads', 'isa', 'backend', 'budget', 'variant', 'out', 'report'] as const;

export type BenchFlags =
  | { compare: [string, string]; json: boolean }
  | { compare: null; options: BenchOptions; json: boolean; out: string | undefined; report: string | undefined };

/** The flags, or 'help'. @throws FlagError naming a bad flag. */
export function benchFlags(argv: string[]): BenchFlags | 'help' {
  const parsed = parseFlags(argv, {
    quick: { type: 'boolean' }, only: { type: 'string' }, threads: { type: 'string' }, isa: { type: 'string' }, backend: { type: 'string' },
    budget: { type: 'string' }, variant: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, report: { type: 'string' }, compare: { type: 'boolean' },
  }, 2);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  if (values.compare) {
    const extra = RUN_FLAGS.find((f) => values[f] !== undefined);
    if (extra !== undefined) throw new FlagError(`--compare reads two result files and takes only --json, not --${extra}`);
    if (positionals.length !== 2) throw new FlagError('--compare needs two result files: sparq bench --compare a.json b.json');
    return { compare: [positionals[0], positionals[1]], json };
  }
  if (positionals.length > 0) throw new FlagError(`unexpected argument '${positionals[0]}' (result files go with --compare)`);
  const only = values.only?.split(',').map((g) => g.trim());
  const unknown = only?.find((g) => !BENCH_GROUPS.includes(g as BenchGroup));
  if (unknown !== undefined) throw new FlagError(`--only: unknown group '${unknown}' (groups: ${BENCH_GROUPS.join(', ')})`);
  const threads = values.threads?.split(',').map((t) => positiveInt('threads', t.trim())!);
  if (threads?.some((t) => t > 256)) throw new FlagError(`--threads must be at most 256, got ${values.threads}`);
  const options: BenchOptions = {
    quick: values.quick ?? false,
    only: (only as BenchGroup[] | undefined) ?? null,
    threads,
    isa: oneOf('isa', values.isa, ISA_LIMITS.filter((l) => l !== 'none')) as IsaLimit | undefined,
    backends: BACKENDS[oneOf('backend', values.backend, ['cpu', 'webgpu', 'all'] as const) ?? 'all'],
    budgetMs: positiveInt('budget', values.budget),
    variant: values.variant,
  };
  for (const flag of ['out', 'report'] as const) if (values[flag] === '') throw new FlagError(`--${flag} needs a file name`);
  return { compare: null, options, json, out: values.out, report: values.report };
}

function readResults(file: string) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BenchFileError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseBenchResults(text, file);
}

/** The case being timed, on stderr, only on a terminal. */
function progress(): BenchOptions['onCase'] {
  if (!process.stderr.isTTY) return undefined;
  return (label) => process.stderr.write(`\r\x1b[Kbench: ${label}`);
}

async function main(argv: string[]): Promise<number> {
  const flags = benchFlags(argv);
  if (flags === 'help') return printHelp(USAGE);
  if (flags.compare) {
    const [a, b] = flags.compare;
    const comparison = compareResults(readResults(a), readResults(b), flags.compare);
    console.log(flags.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison));
    return 0;
  }
  const onCase = progress();
  const results = await runBench({ ...flags.options, onCase });
  if (onCase) process.stderr.write('\r\x1b[K');
  const json = JSON.stringify(results, null, 2);
  // The files' folders are made as needed (npm start writes into bench/results/).
  for (const file of [flags.out, flags.report]) if (file !== undefined) mkdirSync(dirname(file), { recursive: true });
  if (flags.out !== undefined) writeFileSync(flags.out, `${json}\n`);
  if (flags.report !== undefined) {
    // Vega loads only when a report is asked for.
    const { writeReport } = await import('../report/index.js');
    await writeReport(results, flags.report);
  }
  console.log(flags.json ? json : formatResults(results));
  // Where the files went, on stderr so that --json's stdout stays one JSON document.
  if (flags.out !== undefined) process.stderr.write(`sparq bench: results written to ${flags.out} (sparq report and sparq bench --compare read them)\n`);
  if (flags.report !== undefined) process.stderr.write(`sparq bench: report written to ${flags.report} (open it in a browser)\n`);
  return 0;
}

export const command: Command = { name: 'bench', usage: USAGE, main };
