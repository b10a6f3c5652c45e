/**
 * The child process of the API fuzzer: makes calls [start, end) of a seed
 * (or until a deadline) and tells the supervisor over IPC how far it got
 * (a beat), what it found, and its counts. In `step` mode it announces every
 * call before making it, so that the supervisor learns which call crashed or
 * hung the process; a normal run beats every BEAT_CALLS calls or BEAT_MS ms.
 */
import { execute, plan, type Outcome } from './call.js';
import { callSource, hash } from './repro.js';
import type { Counts, FromWorker, Sabotage, WorkerTask } from './protocol.js';

const BEAT_CALLS = 256;
const BEAT_MS = 200;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

/** Memory a 'memory' sabotage keeps. */
const kept: Buffer[] = [];

function sabotage(kind: Sabotage['kind']): void {
  if (kind === 'crash') process.abort();
  if (kind === 'hang') for (;;);
  kept.push(Buffer.alloc(512 * 2 ** 20, 1));
}

async function run(task: WorkerTask): Promise<void> {
  const counts: Counts = { calls: 0, valid: 0, rejected: 0, checked: 0, accepted: 0 };
  const hashes: number[] = [];
  let lastBeat = Date.now();
  // Started: from now on a silence is a hang.
  await send({ type: 'beat', next: task.start, counts, rss: process.memoryUsage().rss });
  for (let index = task.start; index < task.end && Date.now() < task.deadline; index++) {
    let outcome: Outcome;
    let source = '';
    try {
      const p = plan(task.seed, index);
      source = callSource(p.api, p.async, p.mutation.args);
      hashes.push(hash(source));
      if (task.step) await send({ type: 'start', index, source });
      if (p.mutation.benign) counts.valid++;
      if (task.sabotage?.index === index) sabotage(task.sabotage.kind);
      const o = execute(p);
      outcome = o instanceof Promise ? await o : o;
      if (outcome.kind === 'finding') outcome = { ...outcome, what: `${outcome.what} [${p.mutation.label}]` };
    } catch (e) {
      outcome = { kind: 'finding', what: 'drawing a valid call threw', message: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
    }
    counts.calls++;
    if (outcome.kind === 'checked') counts.checked++;
    else if (outcome.kind === 'rejected') counts.rejected++;
    else if (outcome.kind === 'accepted') counts.accepted++;
    else await send({ type: 'finding', index, what: outcome.what, message: outcome.message, source });
    if (task.step || counts.calls % BEAT_CALLS === 0 || Date.now() - lastBeat > BEAT_MS) {
      lastBeat = Date.now();
      await send({ type: 'beat', next: index + 1, counts, rss: process.memoryUsage().rss });
    }
  }
  await send({ type: 'done', counts, hashes });
}

process.once('message', (task: WorkerTask) => {
  void run(task).then(() => process.disconnect());
});
