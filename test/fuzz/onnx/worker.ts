/**
 * The child process the ONNX fuzzer's supervisor (driver.ts) watches. With
 * the native addon it runs ranges of mutants in a loop ('range'); started
 * with SPARQ_DISABLE_NATIVE=1 it is the oracle and reruns one mutant on
 * given feeds on the TypeScript reference backend ('check'). Before each
 * mutant it says which one it starts ('begin'): that is its heartbeat, and
 * what the supervisor saves when the process dies or stops answering.
 */
import os from 'node:os';
import path from 'node:path';

import { execute, type Outcome } from './execute.js';
import { mutant } from './mutate.js';
import { seeds } from './seeds.js';
import type { Value } from '../../../src/runtime/onnx/model.js';

export type Request =
  | { type: 'range'; runSeed: number; from: number; to: number }
  | { type: 'check'; runSeed: number; index: number; feeds: Record<string, Value> };

export type Reply =
  | { type: 'begin'; index: number }
  | { type: 'outcome'; index: number; outcome: Outcome; distinct: string }
  | { type: 'idle' };

const all = seeds();
const dir = path.join(os.tmpdir(), `sparq-onnx-fuzz-${process.pid}`);
const send = (reply: Reply) => new Promise<void>((resolve) => process.send!(reply, () => resolve()));

async function handle(request: Request): Promise<void> {
  if (request.type === 'check') {
    await send({ type: 'begin', index: request.index });
    const m = mutant(all, request.runSeed, request.index);
    await send({ type: 'outcome', index: m.index, outcome: await execute(m, dir, 'nchw', request.feeds), distinct: '' });
  } else {
    for (let i = request.from; i < request.to; i++) {
      await send({ type: 'begin', index: i });
      const m = mutant(all, request.runSeed, i);
      const outcome = await execute(m, dir, 'auto');
      // What makes this mutant's input distinct: its bytes and the files beside it.
      const distinct = `${m.bytes.length}:${hash(m.bytes)}:${JSON.stringify(m.files?.map((f) => [f.path, f.kind]) ?? null)}`;
      await send({ type: 'outcome', index: i, outcome, distinct });
    }
  }
  await send({ type: 'idle' });
}

/** FNV-1a over the bytes, 32 bits, twice with different offsets: enough to count distinct inputs. */
function hash(bytes: Uint8Array): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x5bd1e995);
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

let queue = Promise.resolve();
process.on('message', (request: Request) => {
  // A failure outside a mutant's own outcome ends the process, which the supervisor records at the mutant begun.
  queue = queue.then(() => handle(request)).catch((e: unknown) => {
    console.error(e);
    process.exit(70);
  });
});
process.on('disconnect', () => process.exit(0));
