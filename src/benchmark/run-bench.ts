/**
 * runBench(): the kernel suite (and, wired at one spot, the example models
 * and their accuracy) timed on this machine against onnxruntime-node in the
 * same process, as the BenchResults JSON `sparq bench` writes. Each case is
 * set up once per thread count, then sparq's side and onnxruntime's are
 * each timed for `budgetMs` (medians and p99 of repeated runs).
 * onnxruntime-node is loaded only here, and is optional: without it every
 * row keeps sparq's side, onnxruntime null, and a note says why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { cpu } from '../backends/cpu/backend.js';
import { webgpu, type WebGpuBackend } from '../backends/webgpu/backend.js';
import { oneLine } from '../cli/conventions.js';
import { machineInfo, type MachineInfo } from '../machine-info.js';
import { native, packageRoot, type IsaLimit } from '../native.js';
import { loadOrt, type Ort } from '../runtime/compare/ort.js';
import { checkBoolean, checkInt, checkObject, checkOneOf, typeFail } from '../validate.js';
import type { CaseEnv, KernelCase } from './cases/kernel-case.js';
import { NO_ORT_QGEMM_ON_WEBGPU } from './cases/webgpu.js';
import {
  BENCH_FORMAT, BENCH_VERSION, type AccuracyResult, type BenchBackend, type BenchGroup, type BenchResults, type KernelResult, type KernelSide, type ModelResult, type OrtKernelSide, type Stats,
} from './results.js';
import { benchAccuracy } from './accuracy.js';
import { benchModels } from './models.js';
import { kernelCases } from './suite.js';
import { timeCalls } from './timing.js';

export const BENCH_GROUPS: readonly BenchGroup[] = ['gemm', 'qgemm', 'spmm', 'qspmm', 'conv', 'quantize', 'dequantize', 'models', 'accuracy'];
export const ISA_LIMITS: readonly IsaLimit[] = ['scalar', 'avx2', 'avx512', 'avx512vnni', 'neon', 'neondot', 'none'];

export interface BenchOptions {
  /** Fewer and smaller shapes, shorter timing (default false). */
  quick?: boolean;
  /** CPU thread counts, a row each (default: the count in force, and 1 before it in full mode). */
  threads?: number[];
  /** Caps sparq's CPU kernels (cpu.setIsaLimit) for the run, restored after; onnxruntime is never capped. Default: the cap in force. */
  isa?: IsaLimit;
  /** Default both; without a WebGPU adapter the webgpu rows are left out with a note. */
  backends?: BenchBackend[];
  /** Only these groups (default all). */
  only?: BenchGroup[] | null;
  /** Milliseconds of timed runs per measurement and side (default 120 quick, 1000 full). */
  budgetMs?: number;
  /** Time sparq's side on this variant of each case's family ('all': every variant this CPU runs, a row each). */
  variant?: string;
  /** Told each case before it runs (the command's progress line). */
  onCase?: (label: string) => void;
  /** How onnxruntime-node is loaded (tests inject a failing one); default: a lazy import. */
  loadOnnxruntime?: () => Promise<Ort>;
}

function sparqVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The options with their defaults, each checked. @throws TypeError/RangeError naming the bad option. */
function resolveOptions(options: BenchOptions) {
  checkObject('options', options);
  const quick = options.quick === undefined ? false : checkBoolean('options.quick', options.quick);
  const inForce = cpu.info().threads;
  const threads = options.threads ?? (quick ? [inForce] : [...new Set([1, inForce])]);
  if (!Array.isArray(threads) || threads.length === 0) typeFail('options.threads', 'must be a non-empty array of thread counts');
  threads.forEach((t, i) => checkInt(`options.threads[${i}]`, t, 1, 256));
  const isa = options.isa === undefined ? undefined : checkOneOf('options.isa', options.isa, ISA_LIMITS);
  const backends = options.backends ?? ['cpu', 'webgpu'];
  if (!Array.isArray(backends) || backends.length === 0) typeFail('options.backends', "must be a non-empty array of 'cpu' and 'webgpu'");
  backends.forEach((b, i) => checkOneOf(`options.backends[${i}]`, b, ['cpu', 'webgpu'] as const));
  const only = options.only ?? null;
  if (only !== null && !Array.isArray(only)) typeFail('options.only', 'must be an array of groups or null');
  only?.forEach((g, i) => checkOneOf(`options.only[${i}]`, g, BENCH_GROUPS));
  const budgetMs = options.budgetMs === undefined ? (quick ? 120 : 1000) : checkInt('options.budgetMs', options.budgetMs, 1, 600_000);
  if (options.variant !== undefined && typeof options.variant !== 'string') typeFail('options.variant', 'must be a variant name or "all"');
  return { quick, threads, isa, backends, only, budgetMs, variant: options.variant };
}

/** onnxruntime-node, or null and the note that says why there are no baselines. */
async function onnxruntime(load: () => Promise<Ort>, notes: string[]): Promise<Ort | null> {
  try {
    return await load();
  } catch (e) {
    notes.push(`onnxruntime-node not loaded, so no onnxruntime column (npm install onnxruntime-node): ${oneLine(e)}`);
    return null;
  }
}

/**
 * The first adapter's backend, or null and a note (no adapter is not a
 * failure: the CPU rows stand alone). machineInfo() has looked for adapters
 * already, under a timeout, so a driver that never answers is not asked again.
 */
async function adapter(machine: MachineInfo, notes: string[]): Promise<WebGpuBackend | null> {
  if (machine.webgpu.adapters.length === 0) {
    notes.push(`no WebGPU adapter, so no webgpu rows${machine.webgpu.error ? `: ${machine.webgpu.error}` : ''}`);
    return null;
  }
  try {
    return await webgpu();
  } catch (e) {
    notes.push(`no WebGPU adapter, so no webgpu rows: ${oneLine(e).split('. ')[0]}`);
    return null;
  }
}

/**
 * `cases` with sparq's side on named variants, the name in the kernel's
 * label (so rows of one case stay apart in --compare): 'all' gives one case
 * per variant this CPU runs; a name keeps the cases of its family.
 */
function withVariants(cases: KernelCase[], variant: string): (KernelCase & { variant?: string })[] {
  const variants = cpu.info().variants;
  return cases.flatMap((c) => {
    if (c.family === null) return variant === 'all' ? [c] : [];
    const names = (variants[c.family] ?? []).filter((v) => v.supported).map((v) => v.name);
    return names.filter((name) => variant === 'all' || name === variant).map((name) => ({ ...c, kernel: `${c.kernel} [${name}]`, variant: name }));
  });
}

function side(stats: Stats, ops: number): KernelSide {
  return { ...stats, rate: ops / stats.p50Ms / 1e6 };
}

/** Sets the case up, times both sides, releases it: its row, or null when a named variant cannot take the case (a note says so). */
async function measure(c: KernelCase & { variant?: string }, env: CaseEnv, budgetMs: number, notes: string[]): Promise<KernelResult | null> {
  const run = await c.setup({ ...env, variant: c.variant });
  try {
    try {
      await run.sparq();
    } catch (e) {
      // A forced variant that cannot take these operands (qu8s8-gemm's 7-bit variants on full-range weights).
      if (!(e instanceof RangeError) || c.variant === undefined) throw e;
      notes.push(`${c.kernel} ${c.shape} on ${c.variant}: skipped, ${e.message}`);
      return null;
    }
    const sparq = side(await timeCalls(run.sparq, { budgetMs }), c.ops);
    const ort: OrtKernelSide | null = run.ort && c.baseline
      ? { ...side(await timeCalls(run.ort, { budgetMs }), c.ops), baseline: c.baseline, provider: c.backend }
      : null;
    return {
      group: c.group, kernel: c.kernel, family: run.family ?? c.family, variant: run.variant, backend: c.backend, shape: c.shape,
      sparsity: c.sparsity, threads: env.threads, ops: c.ops, unit: c.unit, sparq, onnxruntime: ort, speedup: ort && ort.p50Ms / sparq.p50Ms,
    };
  } finally {
    await run.release();
  }
}

/**
 * Runs the suite. @throws TypeError/RangeError naming a bad option; a
 * kernel's or onnxruntime's failure as it comes (a missing onnxruntime-node
 * or WebGPU adapter is a note, not a failure).
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const o = resolveOptions(options);
  const notes: string[] = [];
  const createdAt = new Date().toISOString();
  const addon = native();
  const capBefore = addon?.cpuInfo().isaLimit ?? 'none';
  const threadsBefore = cpu.info().threads;
  const groups = (c: KernelCase) => o.only === null || o.only.includes(c.group);
  const kernels: KernelResult[] = [];
  let gpu: WebGpuBackend | null = null;
  try {
    if (o.isa !== undefined) cpu.setIsaLimit(o.isa);
    const isa = addon?.cpuInfo().isaLimit ?? 'none';
    const machine = await machineInfo();
    if (o.backends.includes('webgpu')) gpu = await adapter(machine, notes);
    const ort = await onnxruntime(options.loadOnnxruntime ?? loadOrt, notes);
    if (isa !== 'none') notes.push(`sparq's CPU kernels capped at ${isa}; onnxruntime is not capped`);
    if (o.only !== null) notes.push(`only ${o.only.join(', ')} (--only)`);
    for (const backend of o.backends) {
      if (backend === 'webgpu' && !gpu) continue;
      let cases = kernelCases(o.quick, backend).filter(groups);
      if (o.variant !== undefined) cases = backend === 'cpu' ? withVariants(cases, o.variant) : [];
      if (backend === 'webgpu' && ort && cases.some((c) => c.baseline === null)) notes.push(NO_ORT_QGEMM_ON_WEBGPU);
      // WebGPU rows record the CPU threads in force (onnxruntime's intra-op threads).
      for (const threads of backend === 'cpu' ? o.threads : [threadsBefore]) {
        cpu.setThreads(threads);
        for (const c of cases) {
          options.onCase?.(`${backend} ${threads}T ${c.kernel} ${c.shape}${c.sparsity ? ` ${Math.round(c.sparsity * 100)}%` : ''}`);
          const row = await measure(c, { threads, ort, gpu: gpu ?? undefined }, o.budgetMs, notes);
          if (row) kernels.push(row);
        }
      }
    }
    // The example models and their accuracy: whole sessions, so --variant (a kernel's) leaves them out.
    const wants = (g: BenchGroup) => o.variant === undefined && (o.only === null || o.only.includes(g));
    const models: ModelResult[] = [], accuracy: AccuracyResult[] = [];
    if (wants('models')) {
      options.onCase?.('example models');
      const backends = o.backends.filter((b) => b === 'cpu' || gpu);
      const part = await benchModels({ quick: o.quick, threads: o.threads, backends, budgetMs: o.budgetMs, gpu: gpu ?? undefined });
      models.push(...part.models);
      notes.push(...part.notes);
    }
    if (wants('accuracy')) {
      options.onCase?.('example models\' accuracy');
      const part = await benchAccuracy({ threads: Math.max(...o.threads) });
      accuracy.push(...part.accuracy);
      notes.push(...part.notes);
    }
    return {
      format: BENCH_FORMAT, version: BENCH_VERSION, createdAt, sparqVersion: sparqVersion(), machine,
      options: { quick: o.quick, threads: o.threads, isa, backends: o.backends, only: o.only, budgetMs: o.budgetMs },
      kernels,
      models,
      accuracy,
      notes,
    };
  } finally {
    gpu?.destroy();
    cpu.setThreads(threadsBefore);
    if (addon) cpu.setIsaLimit(capBefore as IsaLimit);
  }
}

