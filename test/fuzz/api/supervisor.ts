/**
 * The API fuzzer's supervisor: runs the calls of a seed in child processes
 * (worker.ts) and watches them. A child that exits without finishing
 * crashed, one silent for `hangMs` hung, one over `maxRssBytes` ran away
 * with memory; each is killed, the calls since its last beat are replayed
 * one announced call at a time to find the one responsible, and the run
 * goes on after it. Every finding carries the seed, the call index and the
 * call's source, and is replayed with `npm run fuzz:api -- --seed S --replay I`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Counts, FromWorker, Sabotage, WorkerTask } from './protocol.js';

export interface FuzzOptions {
  seed: number;
  /** Calls to make (Infinity: until `minutes` are up). */
  calls: number;
  minutes?: number;
  /** A child silent this long hangs (default 20 s: a small call takes microseconds, a beat comes every 200 ms). */
  hangMs?: number;
  /** A child above this resident memory ran away (default 1.5 GiB). */
  maxRssBytes?: number;
  /** The first call's index (default 0): a replay makes call `start` alone. */
  start?: number;
  /** Log each call's source before making it (a replay). */
  verbose?: boolean;
  /** Calls per child process (default 200,000). */
  chunk?: number;
  log?: (line: string) => void;
  /** The supervisor's own test (see WorkerTask). */
  sabotage?: Sabotage;
}

export interface Finding {
  kind: 'crash' | 'hang' | 'memory' | 'error';
  seed: number;
  index: number;
  what: string;
  message: string;
  source: string;
  replay: string;
}

export interface Summary {
  target: 'api';
  seed: number;
  minutes: number;
  calls: number;
  valid: number;
  rejected: number;
  checked: number;
  accepted: number;
  distinctInputs: number;
  crashes: number;
  hangs: number;
  findings: Finding[];
}

type End = { end: 'done' | 'crash' | 'hang' | 'memory'; detail: string };

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Calls a step-mode child replays after a crashing child's last beat (a beat comes at least every 256 calls). */
const STEP_WINDOW = 300;
/** What a child may take to start, before its first message, over hangMs (seconds on a loaded 2-core machine). */
const STARTUP_MS = 60_000;

/** Runs one child on `task`, handing it every message; resolves with how it ended. */
function runChild(task: WorkerTask, hangMs: number, maxRssBytes: number, onMessage: (m: FromWorker) => void): Promise<End> {
  return new Promise((resolve) => {
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=1024'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    let ended: End | undefined;
    // Until its first message the child is still starting (loading tsx and the addon): that time is not a hang.
    let last = Date.now() + STARTUP_MS;
    const kill = (e: End) => {
      ended ??= e;
      child.kill('SIGKILL');
    };
    const timer = setInterval(() => {
      if (Date.now() - last > hangMs) kill({ end: 'hang', detail: `no beat for ${hangMs} ms` });
    }, Math.min(1000, hangMs / 4));
    child.on('message', (m: FromWorker) => {
      last = Date.now();
      if (m.type === 'beat' && m.rss > maxRssBytes) kill({ end: 'memory', detail: `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB > ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB` });
      if (m.type === 'done') ended ??= { end: 'done', detail: '' };
      onMessage(m);
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve(ended ?? { end: 'crash', detail: `exit ${signal ?? code}: ${stderr.trim().split('\n').slice(-6).join(' | ')}` });
    });
    child.send(task);
  });
}

function add(total: Counts, c: Counts): void {
  for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k];
}

export async function fuzzApi(o: FuzzOptions): Promise<Summary> {
  const hangMs = o.hangMs ?? 20_000, maxRss = o.maxRssBytes ?? 1.5 * 2 ** 30, chunk = o.chunk ?? 200_000;
  const started = Date.now();
  const deadline = o.minutes === undefined ? Number.MAX_SAFE_INTEGER : started + o.minutes * 60_000;
  const total: Counts = { calls: 0, valid: 0, rejected: 0, checked: 0, accepted: 0 };
  const distinct = new Set<number>();
  const findings: Finding[] = [];
  const replay = (index: number) => `npm run fuzz:api -- --seed ${o.seed} --replay ${index}`;
  const record = (kind: Finding['kind'], index: number, what: string, message: string, source: string) => {
    findings.push({ kind, seed: o.seed, index, what, message, source, replay: replay(index) });
    o.log?.(`finding (${kind}) at call ${index}: ${what}: ${message}\n  ${source.slice(0, 400)}`);
  };
  const onFinding = (m: FromWorker) => {
    if (m.type === 'start' && o.verbose) o.log?.(`call ${m.index}: ${m.source}`);
    if (m.type === 'finding') record('error', m.index, m.what, m.message, m.source);
  };
  let next = o.start ?? 0;
  while (next < o.calls && Date.now() < deadline) {
    // The calls before `reached` ran; those before `settled` ran and left memory within bounds (one beat earlier).
    let [reached, settled] = [next, next];
    let counts: Counts | undefined, settledCounts: Counts | undefined;
    const task = { seed: o.seed, start: next, end: Math.min(next + chunk, o.calls), deadline, step: o.verbose ?? false, sabotage: o.sabotage };
    const r = await runChild(task, hangMs, maxRss, (m) => {
      onFinding(m);
      if (m.type === 'beat') [settled, settledCounts, reached, counts] = [reached, counts, m.next, m.counts];
      if (m.type === 'done') {
        counts = m.counts;
        for (const h of m.hashes) distinct.add(h);
      }
    });
    if (r.end === 'done') {
      if (counts) add(total, counts);
      next = counts ? task.start + counts.calls : task.end;
      continue;
    }
    // Replays the calls since the last beat (memory: since the one before) one by one to find the one that crashed, hung or ran away.
    const from = r.end === 'memory' ? settled : reached;
    const before = r.end === 'memory' ? settledCounts : counts;
    if (before) add(total, before);
    let culprit: { index: number; source: string } | undefined;
    let stepCounts: Counts | undefined;
    const sources = new Map<number, string>();
    let ranAway = false;
    const s = await runChild({ ...task, start: from, end: from + STEP_WINDOW, deadline: Number.MAX_SAFE_INTEGER, step: true }, hangMs, maxRss, (m) => {
      onFinding(m);
      if (ranAway) return;  // messages the child sent before it was killed
      if (m.type === 'start') (culprit = m), sources.set(m.index, m.source);
      if (m.type === 'beat') stepCounts = m.counts;
      // The call that ran away is the one this beat follows (the child may have announced the next one already).
      if (m.type === 'beat' && m.rss > maxRss) (culprit = { index: m.next - 1, source: sources.get(m.next - 1) ?? '' }), (ranAway = true);
    });
    if (stepCounts) add(total, stepCounts);
    if (s.end === 'done' || culprit === undefined) {
      record(r.end, from, `${r.end} not reproduced one call at a time`, r.detail, `calls ${from}..${from + STEP_WINDOW - 1}`);
      next = from + STEP_WINDOW;
      continue;
    }
    // The culprit's call is in the counts only when a beat followed it (memory).
    if (s.end !== 'memory') total.calls++;
    record(s.end, culprit.index, s.end, s.detail, culprit.source);
    next = culprit.index + 1;
  }
  return {
    target: 'api', seed: o.seed, minutes: Math.round((Date.now() - started) / 600) / 100, ...total,
    distinctInputs: distinct.size,
    crashes: findings.filter((f) => f.kind === 'crash' || f.kind === 'memory').length,
    hangs: findings.filter((f) => f.kind === 'hang').length,
    findings,
  };
}
