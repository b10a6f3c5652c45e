/**
 * The ONNX fuzzer's supervisor. Mutants run in a child process (worker.ts)
 * in a loop, for speed; the supervisor watches it: a child that dies is a
 * crash, one silent past the hang limit a hang, one whose resident memory
 * passes the bound a memory finding; each is killed, the mutant it was on
 * is rebuilt from (seed, index) and saved, and a fresh child goes on with
 * the next. Every mutant that runs is run again by a second child on the
 * TypeScript reference backend with the same feeds, and the outputs
 * compared: integers exactly, float32 within a tolerance (SIMD kernels sum
 * in another order). A mutant the reference refuses while the native
 * session ran it is a finding too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Value } from '../../../src/runtime/onnx/model.js';
import type { Outcome } from './execute.js';
import { layOut } from './execute.js';
import { mutant } from './mutate.js';
import { seeds } from './seeds.js';
import type { Reply, Request } from './worker.js';

export interface FuzzOptions {
  seed: number;
  /** Stop after this many mutants... */
  mutants?: number;
  /** ...or after this many minutes (whichever comes first). */
  minutes?: number;
  /** Where findings are saved (a folder per finding). */
  outDir: string;
  /** A child silent this long is hung (default 20 s; the reference child gets 6 times as long). */
  hangMs?: number;
  /** Resident memory bound of a child (default 2 GiB). */
  rssBytes?: number;
  /** Progress lines go here (default none). */
  log?: (line: string) => void;
}

export interface Finding {
  kind: 'crash' | 'hang' | 'memory' | 'unclean' | 'mismatch';
  index: number;
  seed: string;
  steps: string[];
  detail: string;
  saved: string;
}

export interface FuzzSummary {
  target: 'onnx';
  seed: number;
  minutes: number;
  mutants: number;
  loaded: number;
  ran: number;
  checked: number;
  /** Of the checked runs, those compared for output types and dims only (NaN, Inf or huge float constants). */
  checkedDimsOnly: number;
  rejected: Record<string, number>;
  distinctInputs: number;
  crashes: number;
  hangs: number;
  findings: Finding[];
}

const WORKER = new URL(`./worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);
const BATCH = 50;
/** The most runs waiting for the reference check before the native child is given more. */
const MAX_PENDING_CHECKS = 100;

type Death = { kind: 'crash' | 'hang' | 'memory'; index: number; detail: string };

/** A supervised child: heartbeat timer, RSS polling, and the index it last began. */
class Child {
  private child: ChildProcess;
  current = -1;
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout;
  private stderr = '';
  private death: Death | undefined;
  /** Stopped by the supervisor: its exit is no finding. */
  private stopped = false;

  constructor(env: NodeJS.ProcessEnv, private readonly hangMs: number, rssBytes: number, private readonly onReply: (r: Reply) => void, onDeath: (d: Death) => void) {
    this.child = fork(WORKER, {
      env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [...process.execArgv.filter((a) => !a.startsWith('--inspect')), '--max-old-space-size=1536'],
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => { this.stderr = (this.stderr + s).slice(-4000); });
    this.child.on('message', (r: Reply) => {
      if (r.type === 'begin') this.current = r.index;
      // Idle: waiting for work is not a hang.
      if (r.type === 'idle') clearTimeout(this.timer);
      else this.arm();
      this.onReply(r);
    });
    this.child.once('exit', (code, signal) => {
      clearTimeout(this.timer);
      clearInterval(this.poll);
      fs.rmSync(path.join(os.tmpdir(), `sparq-onnx-fuzz-${this.child.pid}`), { recursive: true, force: true });
      if (!this.stopped) onDeath(this.death ?? { kind: 'crash', index: this.current, detail: `exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}` });
    });
    this.poll = setInterval(() => {
      const rss = residentBytes(this.child.pid!);
      if (rss > rssBytes) this.kill({ kind: 'memory', index: this.current, detail: `resident memory ${(rss / 2 ** 20).toFixed(0)} MiB passed the ${(rssBytes / 2 ** 20).toFixed(0)} MiB bound` });
    }, 100);
  }

  send(request: Request): void {
    this.arm();
    this.child.send(request);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kill({ kind: 'hang', index: this.current, detail: `no progress for ${this.hangMs} ms` }), this.hangMs);
  }

  /** Ends the child; its exit reports `death`. */
  private kill(death: Death): void {
    this.death ??= death;
    this.child.kill('SIGKILL');
  }

  /** Ends a child that has nothing left to do. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.child.disconnect();
  }
}

function residentBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Native and reference outputs the same: types and dims, then (unless `valuesToo` is false) integers exactly, float32 by closeFloats. */
export function sameOutputs(actual: Record<string, Value>, expected: Record<string, Value>, valuesToo = true): string | null {
  const names = Object.keys(expected);
  if (Object.keys(actual).join() !== names.join()) return `outputs [${Object.keys(actual)}] vs [${names}]`;
  for (const name of names) {
    const a = actual[name], e = expected[name];
    if (a.type !== e.type || a.dims.join() !== e.dims.join() || a.data.length !== e.data.length)
      return `"${name}": ${a.type} [${a.dims}] (${a.data.length}) vs ${e.type} [${e.dims}] (${e.data.length})`;
    if (!valuesToo) continue;
    let largest = 0;
    if (e.type === 'float32') for (const v of e.data as Float32Array) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    for (let i = 0; i < e.data.length; i++) {
      const x = a.data[i], y = e.data[i];
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      if (e.type === 'float32' && closeFloats(x as number, y as number, largest)) continue;
      return `"${name}" [${i}]: native ${x}, reference ${y}`;
    }
  }
  return null;
}

/**
 * Within 1e-3 relative plus 1e-4 of the tensor's largest magnitude; NaN on
 * one side is accepted: the SIMD kernels' max, min and fused clamps pass NaN
 * through differently from the reference's (a known difference, not checked here).
 */
function closeFloats(x: number, y: number, largest: number): boolean {
  if (Number.isNaN(x) || Number.isNaN(y)) return true;
  // Plus the smallest normal float: below it SIMD kernels may flush subnormal results (a weight scale of 1e-45 makes them).
  return Math.abs(x - y) <= 1e-3 * Math.abs(y) + 1e-4 * largest + 2 ** -126;
}

/** Runs the fuzzer; resolves with the summary once every mutant ran and every run was checked. */
export async function fuzzOnnx(options: FuzzOptions): Promise<FuzzSummary> {
  const hangMs = options.hangMs ?? 20_000;
  const rssBytes = options.rssBytes ?? 2 ** 31;
  const log = options.log ?? (() => {});
  const all = seeds();
  const start = Date.now();
  const deadline = options.minutes === undefined ? Infinity : start + options.minutes * 60_000;
  const total = options.mutants ?? Infinity;
  const summary: FuzzSummary = { target: 'onnx', seed: options.seed, minutes: 0, mutants: 0, loaded: 0, ran: 0, checked: 0, checkedDimsOnly: 0, rejected: {}, distinctInputs: 0, crashes: 0, hangs: 0, findings: [] };
  const distinct = new Set<string>();

  const record = (kind: Finding['kind'], index: number, detail: string): void => {
    const m = mutant(all, options.seed, index);
    const saved = path.join(options.outDir, `${kind}-${options.seed}-${index}`);
    fs.mkdirSync(saved, { recursive: true });
    layOut(m, saved);
    const finding = { kind, index, seed: m.seed, steps: m.steps, detail, saved };
    fs.writeFileSync(path.join(saved, 'finding.json'), JSON.stringify(finding, null, 2));
    summary.findings.push(finding);
    if (kind === 'crash') summary.crashes++;
    if (kind === 'hang') summary.hangs++;
    log(`finding: ${kind} at mutant ${index} (${m.seed}; ${m.steps.join('; ')}): ${detail.split('\n')[0]}`);
  };
  const reject = (outcome: Outcome & { kind: 'rejected' }) => { summary.rejected[outcome.error] = (summary.rejected[outcome.error] ?? 0) + 1; };

  // The reference side: runs queued one at a time, each compared as it comes back.
  const pending: { index: number; feeds: Record<string, Value>; outputs: Record<string, Value>; extreme: boolean }[] = [];
  let checking: { index: number; outputs: Record<string, Value>; extreme: boolean; done: () => void } | undefined;
  let oracle: Child;
  const startOracle = () => {
    oracle = new Child({ ...process.env, SPARQ_DISABLE_NATIVE: '1', SPARQ_REQUIRE_NATIVE: '0' }, hangMs * 6, rssBytes, (r) => {
      if (r.type !== 'outcome' || !checking) return;
      const { index, outputs, extreme, done } = checking;
      if (r.outcome.kind === 'ran') {
        const diff = sameOutputs(outputs, r.outcome.outputs, !extreme);
        if (diff) record('mismatch', index, diff);
        else { summary.checked++; if (extreme) summary.checkedDimsOnly++; }
      } else if (r.outcome.kind === 'unclean') record('unclean', index, `reference backend, ${r.outcome.stage}: ${r.outcome.error}: ${r.outcome.message}\n${r.outcome.stack}`);
      else record('mismatch', index, `the native session ran it; the reference backend refused it at ${r.outcome.stage} (${r.outcome.error})`);
      done();
    }, (death) => {
      startOracle();
      if (checking) { record(death.kind, checking.index, `reference backend: ${death.detail}`); checking.done(); }
    });
  };
  startOracle();
  let drained: () => void = () => {};
  let stopping = false;
  const checks = (async () => {
    for (;;) {
      const next = pending.shift();
      if (!next) {
        if (stopping) return;
        await new Promise<void>((resolve) => { drained = resolve; });
        continue;
      }
      await new Promise<void>((done) => {
        checking = { index: next.index, outputs: next.outputs, extreme: next.extreme, done };
        oracle.send({ type: 'check', runSeed: options.seed, index: next.index, feeds: next.feeds });
      });
      checking = undefined;
    }
  })();

  // The native side: ranges of mutants in one child; a death resumes after the mutant that caused it, in a fresh one.
  let worker: Child | undefined;
  let last = -1;
  let rangeDone: (next: number) => void = () => {};
  const startWorker = () => new Child({ ...process.env }, hangMs, rssBytes, (r) => {
    if (r.type === 'idle') { rangeDone(last + 1); return; }
    if (r.type !== 'outcome') return;
    last = r.index;
    summary.mutants++;
    distinct.add(r.distinct);
    const o = r.outcome;
    if (o.kind === 'ran' || o.stage === 'run') summary.loaded++;
    if (o.kind === 'ran') { summary.ran++; pending.push({ index: r.index, feeds: o.feeds, outputs: o.outputs, extreme: o.extreme }); drained(); }
    else if (o.kind === 'rejected') reject(o);
    else record('unclean', r.index, `${o.stage}: ${o.error}: ${o.message}\n${o.stack}`);
  }, (death) => {
    worker = undefined;
    // Dying between mutants (index <= last: after one's outcome, before the next began) still ends the range here.
    if (death.index > last) {
      summary.mutants++;
      record(death.kind, death.index, death.detail);
      last = death.index;
    }
    rangeDone(last + 1);
  });
  let next = 0;
  while (next < total && Date.now() < deadline) {
    while (pending.length > MAX_PENDING_CHECKS) await new Promise((resolve) => setTimeout(resolve, 20));
    const to = Math.min(total, next + BATCH);
    worker ??= startWorker();
    const w = worker;
    next = await new Promise<number>((resolve) => {
      rangeDone = resolve;
      w.send({ type: 'range', runSeed: options.seed, from: next, to });
    });
    if (next % 1000 < BATCH) log(`${summary.mutants} mutants, ${summary.ran} ran, ${summary.checked} checked, ${summary.findings.length} findings, ${((Date.now() - start) / 1000).toFixed(0)} s`);
  }
  worker?.stop();
  stopping = true;
  drained();
  await checks;
  oracle!.stop();
  summary.distinctInputs = distinct.size;
  summary.minutes = Number(((Date.now() - start) / 60_000).toFixed(2));
  return summary;
}
