/**
 * The soak (issue 18): every case of cases.ts repeated many times, with the
 * process's memory measured after a full collection once the case is warm,
 * halfway, and at its end. A case passes when its resident memory (RSS) grew
 * less than the bound over the half that grew less, V8's external memory
 * less than the bound over the whole run, the WebGPU backend holds no
 * more buffers than after the warm-up, the addon holds no more native bytes
 * (packed weights, plans), and every checked output equals the
 * first one. Prints a table, then as its last line one JSON object with the
 * same; exits 1 when a case fails.
 *
 * Why RSS counts over the smaller half: glibc keeps memory freed in the
 * middle of its heap (bytes in use stayed flat over 4,000 session
 * create/release cycles while RSS took steps of 5-30 MiB, all given back by
 * malloc_trim), and such a step falls in one half; a leak grows both.
 *
 *   npm run soak                                  # 100,000 runs and 1,000 create/release cycles per case
 *   npm run soak -- --runs 2000 --cycles 100 --backend cpu --seed 7
 *
 * Needs --expose-gc (npm run soak passes it). --runs, --cycles: iterations of
 * the 'runs' and 'cycles' cases; --backend cpu|webgpu|all (default all);
 * --bound-mib (default 16); --seed (default 1); --only TEXT[,TEXT...]: cases
 * whose name holds one of them.
 */
import { parseArgs } from 'node:util';

import { cpu, webgpu, type WebGpuBackend } from '../../src/index.js';
import { soakCases, type Backend, type SoakCase } from './cases.js';

interface Memory {
  rss: number;
  external: number;
  arrayBuffers: number;
  /** Buffers the WebGPU backend holds (null for CPU cases). */
  gpuBuffers: number | null;
  /** Native bytes the addon holds (packed weights, plans). */
  nativeHeld: number;
}

export interface CaseResult {
  case: string;
  backend: Backend;
  iterations: number;
  before: Memory;
  middle: Memory;
  after: Memory;
  growth: { rss: number; external: number; gpuBuffers: number | null; nativeHeld: number };
  mismatches: number;
  seconds: number;
  pass: boolean;
}

const MiB = 2 ** 20;

const gc = globalThis.gc;
if (gc === undefined) throw new Error('run-soak needs node --expose-gc (npm run soak passes it)');

function settled(gpu: WebGpuBackend | undefined): Memory {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, gpuBuffers: gpu ? gpu.liveBuffers : null, nativeHeld: cpu.info().heldBytes };
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function soak(c: SoakCase, iterations: number, boundBytes: number, gpu: WebGpuBackend | undefined): Promise<CaseResult> {
  const start = performance.now();
  // Warm-up, a tenth of the iterations more: pipelines, pool classes and
  // plans are made on the first ones and kept on purpose, and Dawn on
  // lavapipe took 80 MiB over its first 10,000 GPU calls, then none over 30,000 more.
  const warmup = Math.ceil(iterations / 10);
  const first = await c.step(true);
  for (let i = 1; i < warmup; i++) await c.step(false);
  const on = c.backend === 'webgpu' ? gpu : undefined;
  if (on) await on.sync();
  const before = settled(on);
  const checkEvery = Math.max(1, Math.floor(iterations / 100));
  let mismatches = 0;
  let middle = before;
  for (let i = 0; i < iterations; i++) {
    const check = i % checkEvery === checkEvery - 1;
    const out = await c.step(check);
    if (check && !sameBits(out!, first!)) mismatches++;
    if (i === Math.floor(iterations / 2) - 1) {
      if (on) await on.sync();
      middle = settled(on);
    }
  }
  if (on) await on.sync();
  const after = settled(on);
  const growth = {
    rss: Math.min(middle.rss - before.rss, after.rss - middle.rss),
    external: after.external - before.external,
    gpuBuffers: on ? after.gpuBuffers! - before.gpuBuffers! : null,
    nativeHeld: after.nativeHeld - before.nativeHeld,
  };
  const pass = growth.rss < boundBytes && growth.external < boundBytes && (growth.gpuBuffers ?? 0) <= 0 && growth.nativeHeld <= 0 && mismatches === 0;
  const seconds = Math.round((performance.now() - start) / 100) / 10;
  return { case: c.name, backend: c.backend, iterations, before, middle, after, growth, mismatches, seconds, pass };
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function table(results: readonly CaseResult[]): string {
  const rows = [['backend', 'case', 'iterations', 'RSS MiB before→middle→after', 'external MiB before→after', 'GPU buffers before→after', 'growth RSS (smaller half)/ext MiB', 'native held growth', 'mismatches', 'seconds', '']];
  for (const r of results) {
    rows.push([r.backend, r.case, String(r.iterations), `${mib(r.before.rss)}→${mib(r.middle.rss)}→${mib(r.after.rss)}`, `${mib(r.before.external)}→${mib(r.after.external)}`,
      r.before.gpuBuffers === null ? '-' : `${r.before.gpuBuffers}→${r.after.gpuBuffers}`, `${mib(r.growth.rss)}/${mib(r.growth.external)}`, String(r.growth.nativeHeld), String(r.mismatches), String(r.seconds), r.pass ? 'ok' : 'FAIL']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

const { values } = parseArgs({
  options: { runs: { type: 'string' }, cycles: { type: 'string' }, backend: { type: 'string' }, 'bound-mib': { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' } },
});
const runsPerCase = count('runs', values.runs, 100_000);
const cyclesPerCase = count('cycles', values.cycles, 1000);
const bound = count('bound-mib', values['bound-mib'], 16);
const seed = count('seed', values.seed, 1);
const which = values.backend ?? 'all';
if (!['cpu', 'webgpu', 'all'].includes(which)) throw new RangeError(`--backend must be cpu, webgpu or all, got ${which}`);
const backends: Backend[] = which === 'all' ? ['cpu', 'webgpu'] : [which as Backend];

console.log(`soak: seed ${seed}, ${runsPerCase} runs / ${cyclesPerCase} cycles per case, bound ${bound} MiB, backends ${backends.join(', ')}`);
const gpu = backends.includes('webgpu') ? await webgpu() : undefined;
const cases = (await soakCases(backends, seed, gpu)).filter((c) => values.only === undefined || values.only.split(',').some((part) => c.name.includes(part)));
const results: CaseResult[] = [];
for (const c of cases) {
  const result = await soak(c, c.kind === 'runs' ? runsPerCase : cyclesPerCase, bound * MiB, gpu);
  console.error(`${result.pass ? 'ok  ' : 'FAIL'} ${c.backend} ${c.name}: ${result.iterations} iterations, RSS +${mib(result.growth.rss)} MiB, external +${mib(result.growth.external)} MiB, GPU buffers ${result.before.gpuBuffers ?? '-'}→${result.after.gpuBuffers ?? '-'}, mismatches ${result.mismatches}`);
  results.push(result);
  await c.close();
}
gpu?.destroy();
const pass = results.every((r) => r.pass);
console.log(table(results));
console.log(JSON.stringify({ seed, runs: runsPerCase, cycles: cyclesPerCase, boundMiB: bound, threads: cpu.info().threads, pass, results }));
process.exitCode = pass ? 0 : 1;
