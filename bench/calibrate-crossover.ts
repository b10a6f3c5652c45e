/**
 * Measures the dense/sparse crossover of every layout `linear` can run, on
 * this machine at every ISA level it can be capped to, and prints the tables
 * (a row of them is what linear() takes as `crossover`; with --write,
 * regenerates src/backends/cpu/crossover-table.ts, the built-in default). Each
 * weight type's table is keyed by the ISA of the dense GEMM variant that ran
 * (under the 'avx512' cap int8 still runs AVX2 code: that is its 'avx2'
 * table), each measured once.
 *
 * For each weight type and activation width (M = 1 and M = 64) on a
 * 1024 x 1024 weight: linear forced to 'dense', then to each sparse layout on
 * weights whose zeros fit it at several densities; the crossover is the
 * density where the sparse time meets the dense one (see crossoverOf).
 *
 *   npm run calibrate [-- --threads 1 --threads 2] [--isa avx2 --isa none] [--write]
 *   (default: 1 and every core; every level this CPU has, scalar included;
 *   --write keeps the checked-in tables of levels this run did not measure)
 *   npm run calibrate -- --conv [...]   runs bench/calibrate-conv.ts instead
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { cpu, tensor, type Tensor } from '../src/index.js';
import { runningIsa } from '../src/backends/cpu/isa-level.js';
import { LINEAR_LAYOUTS, linear, type LinearKernel } from '../src/backends/cpu/linear.js';
import type { IsaLimit } from '../src/native.js';
import { DEFAULT_CROSSOVER } from '../src/backends/cpu/crossover-table.js';
import { CROSSOVER_FAMILIES, LAYOUTS, type CrossoverRow, type CrossoverTable, type SparseLayout } from '../src/backends/cpu/crossover.js';
import { timeIt } from './timing.js';

const N = 1024, K = 1024;
const DENSITIES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A [N, K] weight whose nonzeros fit `layout` at about `density`. */
function weight(type: 'float32' | 'int8', layout: SparseLayout | 'dense', density: number, r: () => number): Tensor<'float32' | 'int8'> {
  const data = type === 'float32' ? new Float32Array(N * K) : new Int8Array(N * K);
  const value = () => (type === 'float32' ? r() * 2 - 1 : 1 + Math.floor(r() * 127) * (r() < 0.5 ? -1 : 1));
  const { format, blockShape = [1, 1], n = 0, m = 0 } = layout === 'dense' ? { format: 'csr' as const } : LAYOUTS[layout];
  if (format === 'nm') {
    for (let g = 0; g < N * K; g += m) for (let j = 0; j < n; j++) data[g + Math.floor((j * m) / n)] = value();
  } else {
    const [br, bc] = blockShape;
    for (let r0 = 0; r0 < N; r0 += br)
      for (let c0 = 0; c0 < K; c0 += bc)
        if (layout === 'dense' || r() < density) for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) data[(r0 + i) * K + c0 + j] = value();
  }
  return type === 'float32' ? tensor('float32', [N, K], data as Float32Array) : tensor('int8', [N, K], data as Int8Array, { scale: 0.01 });
}

async function seconds(type: 'float32' | 'int8', kernel: LinearKernel, w: Tensor<'float32' | 'int8'>, m: number): Promise<number> {
  const layer = linear(w, { kernel });
  const x = type === 'float32'
    ? tensor('float32', [K, m], Float32Array.from({ length: K * m }, (_, i) => Math.sin(i)))
    : tensor('uint8', [K, m], Uint8Array.from({ length: K * m }, (_, i) => (i * 37) & 255), { scale: 0.05, zeroPoint: 128 });
  const out = type === 'float32' ? new Float32Array(N * m) : new Uint8Array(N * m);
  const options = type === 'float32' ? { out } : { output: 'uint8' as const, outScale: 0.1, outZeroPoint: 128, out };
  // The median of three medians a little apart: a shared machine's load drifts over seconds.
  const p50s: number[] = [];
  for (let round = 0; round < 3; round++) p50s.push((await timeIt(() => layer.run(x, options), { budgetMs: 150, minSamples: 5 })).p50);
  layer.dispose();
  return p50s.sort((a, b) => a - b)[1];
}

/**
 * The density where sparse time meets dense time: interpolated between the
 * two measured densities around it (time is close to linear between
 * neighbours); past the last one, the line through the last two; below the
 * first (or for N:M's single point), time taken as proportional to density.
 */
function crossoverOf(points: { density: number; time: number }[], dense: number): number {
  const round = (c: number) => Math.round(Math.min(1, Math.max(0, c)) * 1000) / 1000;
  const first = points[0];
  if (points.length === 1 || first.time >= dense) return round((first.density * dense) / first.time);
  const through = (p: { density: number; time: number }, q: { density: number; time: number }) =>
    q.time === p.time ? 1 : p.density + ((dense - p.time) * (q.density - p.density)) / (q.time - p.time);
  for (let i = 0; i + 1 < points.length; i++) if (points[i + 1].time >= dense) return round(through(points[i], points[i + 1]));
  return round(through(points[points.length - 2], points[points.length - 1]));
}

async function table(type: 'float32' | 'int8', r: () => number): Promise<CrossoverTable> {
  const result: CrossoverTable = { gemv: {}, batched: {} };
  for (const [row, m] of [['gemv', 1], ['batched', 64]] as const) {
    const dense = await seconds(type, 'dense', weight(type, 'dense', 1, r), m);
    const crossovers: CrossoverRow = {};
    for (const layout of LINEAR_LAYOUTS[type]) {
      const densities = LAYOUTS[layout].format === 'nm' ? [LAYOUTS[layout].n! / LAYOUTS[layout].m!] : DENSITIES;
      const points = [];
      for (const density of densities) points.push({ density, time: await seconds(type, layout, weight(type, layout, density, r), m) });
      crossovers[layout] = crossoverOf(points, dense);
      const detail = points.map((p) => `${Math.round(p.density * 100)}%: ${(dense / p.time).toFixed(2)}x`).join(', ');
      console.error(`${cpu.info().threads}T ${type} ${runningIsa(CROSSOVER_FAMILIES[type].dense)} M=${m} ${layout}: crossover ${crossovers[layout]} (vs dense ${detail})`);
    }
    result[row] = crossovers;
  }
  return result;
}

/** The levels to cap at: those named, else scalar, every x86 level this CPU has and none. */
function levels(named: string[] | undefined): IsaLimit[] {
  if (named) return named as IsaLimit[];
  const has = new Set(Object.values(cpu.info().variants).flat().filter((v) => v.supported).map((v) => v.isa));
  const capped: IsaLimit[] = ['scalar', 'avx2', 'avx512', 'avx512vnni'];
  return [...capped.filter((l) => l === 'scalar' || has.has(l)), 'none'];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { threads: { type: 'string', multiple: true }, isa: { type: 'string', multiple: true }, write: { type: 'boolean', default: false } } });
  if (cpu.info().implementation !== 'native') throw new Error('the native addon is needed to calibrate');
  const threadCounts = [...new Set((values.threads ?? ['1', String(cpus().length)]).map(Number))];
  const r = rng(7);
  const tables: Record<'float32' | 'int8', Record<string, Record<number, CrossoverTable>>> = { float32: {}, int8: {} };
  for (const cap of levels(values.isa)) {
    cpu.setIsaLimit(cap);
    for (const type of ['float32', 'int8'] as const) {
      const isa = runningIsa(CROSSOVER_FAMILIES[type].dense);
      if (tables[type][isa]) continue;
      tables[type][isa] = {};
      for (const threads of threadCounts) {
        cpu.setThreads(threads);
        tables[type][isa][threads] = await table(type, r);
      }
    }
  }
  cpu.setIsaLimit('none');
  // Levels this run did not measure (--isa) keep their checked-in tables.
  const merged = { float32: { ...DEFAULT_CROSSOVER.float32, ...tables.float32 }, int8: { ...DEFAULT_CROSSOVER.int8, ...tables.int8 } };
  const json = JSON.stringify(values.write ? merged : tables, null, 2);
  console.log(json);
  if (values.write) {
    const path = fileURLToPath(new URL('../src/backends/cpu/crossover-table.ts', import.meta.url));
    writeFileSync(path, `// Generated by \`npm run calibrate -- --write\` (bench/calibrate-crossover.ts): edit by re-running it.
import type { CrossoverTables } from './crossover.js';

/**
 * Crossover stored densities (see crossover.ts) per weight type, by the ISA
 * of the dense GEMM variant that ran and thread count, measured on ${cpu.info().isa}
 * capped at each level.
 */
export const DEFAULT_CROSSOVER: CrossoverTables = ${json.replace(/"([a-z][a-z0-9]*)":/g, '$1:')};
`);
  }
}

if (process.argv.includes('--conv')) await import('./calibrate-conv.js');
else await main();
