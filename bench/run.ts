/**
 * The kernel benchmarks: every sparq CPU kernel against onnxruntime-node in
 * the same process, on the same shapes, data and thread count. Prints a
 * markdown table of medians and sparq/onnxruntime ratios, and writes raw
 * samples to bench/results/kernels-<time>.json.
 *
 *   npm run bench                      # everything, 1 and 2 threads
 *   npm run bench -- --quick           # fewer shapes, shorter timing
 *   npm run bench -- --threads 1 --only qgemm
 *   npm run bench -- --isa avx2        # cap sparq's kernels at AVX2 (onnxruntime is not capped)
 *   npm run bench -- --variant all     # every variant of each kernel family this CPU runs, one row each
 *   npm run bench -- --variant f32-gemm-6x16-avx2   # that variant only (the benches of its family)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { cpu } from '../src/index.js';
import type { IsaLimit } from '../src/native.js';
import { withVariants, type BenchCase } from './bench-case.js';
import { kernelBenches } from './kernels.js';
import { ort } from './ort-models.js';
import { timeIt, type Timing } from './timing.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    threads: { type: 'string', multiple: true },
    only: { type: 'string', multiple: true },
    isa: { type: 'string', default: 'none' },
    variant: { type: 'string' },
  },
});
cpu.setIsaLimit(values.isa as IsaLimit);
const threadCounts = (values.threads ?? ['1', '2']).map(Number);
const budgetMs = values.quick ? 400 : 1500;

interface Row {
  kernel: string;
  shape: string;
  threads: number;
  ops: number;
  unit: string;
  sparq: Timing;
  ort: Timing;
  baseline: string;
}

const info = cpu.info();
console.log(`sparq ${info.implementation} (${info.isa}) vs onnxruntime-node ${ort.env.versions.common} on ${cpus()[0]?.model} x${cpus().length}`);
const rows: Row[] = [];
for (const threads of threadCounts) {
  cpu.setThreads(threads);
  const benches = kernelBenches({ quick: values.quick });
  for (const bench of values.variant === undefined ? benches : withVariants(benches, values.variant)) {
    if (values.only && !values.only.some((o) => bench.kernel.startsWith(o))) continue;
    const c: BenchCase = await bench.setup(threads);
    try {
      c.sparq();
    } catch (e) {
      await c.release();
      // A variant that cannot take this case (qu8s8-gemm's narrow variants on full-range weights).
      if (!(e instanceof RangeError) || values.variant === undefined) throw e;
      console.log(`${threads}T ${bench.kernel.padEnd(24)} ${bench.shape.padEnd(18)} skipped: ${e.message}`);
      continue;
    }
    const sparq = await timeIt(c.sparq, { budgetMs });
    const ortTiming = await timeIt(c.ort, { budgetMs });
    await c.release();
    const row = { kernel: bench.kernel, shape: bench.shape, threads, ops: bench.ops, unit: bench.unit, sparq, ort: ortTiming, baseline: bench.baseline };
    rows.push(row);
    const rate = (t: Timing) => (bench.ops / t.p50 / 1e9).toFixed(1);
    console.log(`${threads}T ${bench.kernel.padEnd(24)} ${bench.shape.padEnd(18)} sparq ${rate(sparq).padStart(7)}  ort ${rate(ortTiming).padStart(7)} ${bench.unit}  x${(ortTiming.p50 / sparq.p50).toFixed(2)}`);
  }
}

// One line per kernel and shape, thread counts side by side: the table BENCHMARKS.md records.
const cell = (r: Row | undefined) => {
  if (!r) return ' | | | ';
  const [s, o] = [r.ops / r.sparq.p50 / 1e9, r.ops / r.ort.p50 / 1e9];
  const digits = s >= 10 ? 0 : 1;
  const us = r.sparq.p50 * 1e6;
  return `${us.toFixed(us >= 100 ? 0 : 1)} | ${s.toFixed(digits)} | ${o.toFixed(digits)} | **${(r.ort.p50 / r.sparq.p50).toFixed(2)}x**`;
};
console.log(`\n| kernel | shape | vs | ${threadCounts.map((t) => `${t}T sparq us | sparq | ort | ratio`).join(' | ')} |`);
console.log(`|---|---|---|${threadCounts.map(() => '---|---|---|---|').join('')}`);
const seen = new Set<string>();
for (const r of rows) {
  const key = `${r.kernel}|${r.shape}`;
  if (seen.has(key)) continue;
  seen.add(key);
  const cells = threadCounts.map((t) => cell(rows.find((x) => x.kernel === r.kernel && x.shape === r.shape && x.threads === t)));
  console.log(`| ${r.kernel} (${r.unit}) | ${r.shape} | ${r.baseline} | ${cells.join(' | ')} |`);
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/kernels-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ cpu: cpus()[0]?.model, cores: cpus().length, isaLimit: values.isa, sparq: info, onnxruntime: ort.env.versions.common, rows }, null, 1));
console.log(`\nraw samples: ${file.pathname}`);
