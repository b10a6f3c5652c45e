/**
 * `sparq serve` in a child process, as a deployment runs it: the server's
 * event loop, worker threads and memory are its own, not the load
 * generator's. Node is started on the CLI's source directly (not through
 * npx), so the child's pid is the server's own, whose RSS the soak reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkInt, checkOneOf, fail } from '../../src/validate.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'src/cli/sparq.ts');
const LISTENING = /^sparq serve: listening on (http:\/\/\S+)$/m;
/** Loading and preparing the models is the slow part of a start; a server that says nothing for this long is stuck. */
const START_TIMEOUT_MS = 120_000;
/** Lines of the server's stderr kept to explain a failed start or exit. */
const STDERR_TAIL = 20;

/** The server's --runtime: sparq's sessions, or onnxruntime-node's behind the same server code (the baseline). */
export type Runtime = 'sparq' | 'onnxruntime';

export const RUNTIMES: readonly Runtime[] = ['sparq', 'onnxruntime'];

export interface ServeOptions {
  models: readonly string[];
  runtime: Runtime;
  threads: number;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue?: number;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** SIGTERM (the server finishes what is in flight), then its exit code. */
  stop(): Promise<number | null>;
}

/** The CLI's arguments for `options`, on any free loopback port. */
export function serveArgs(options: ServeOptions): string[] {
  const { models, runtime, threads, maxBatch, maxDelayMs, maxQueue } = options;
  if (models.length === 0) fail('options.models', 'must name at least one model file');
  checkOneOf('options.runtime', runtime, RUNTIMES);
  checkInt('options.threads', threads, 1, 1024);
  checkInt('options.maxBatch', maxBatch, 1, 1 << 16);
  checkInt('options.maxDelayMs', maxDelayMs, 0, 60_000);
  if (maxQueue !== undefined) checkInt('options.maxQueue', maxQueue, 1, 1 << 20);
  const args = ['serve', ...models, '--host', '127.0.0.1', '--port', '0', '--runtime', runtime, '--threads', String(threads),
    '--max-batch', String(maxBatch), '--max-delay-ms', String(maxDelayMs)];
  return maxQueue === undefined ? args : [...args, '--max-queue', String(maxQueue)];
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts the server and resolves once it says it is listening; rejects with its last stderr lines when it exits or stays silent. */
export function startServer(options: ServeOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...serveArgs(options)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  // A bench that dies half way must not leave a server holding the cores.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  let stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = [...stderr, ...chunk.split('\n').filter(Boolean)].slice(-STDERR_TAIL);
  });
  const tail = () => stderr.join(' | ') || '(nothing on stderr)';
  return new Promise((resolve, reject) => {
    let stdout = '';
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sparq serve did not listen within ${START_TIMEOUT_MS / 1000} s: ${tail()}`));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`sparq serve exited (${code}) before listening: ${tail()}`));
    };
    child.once('exit', onExit);
    // Read on after the line too: a full pipe would block a server that logs to stdout.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (listening) return;
      stdout += chunk;
      const url = LISTENING.exec(stdout)?.[1];
      if (!url) return;
      listening = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        url,
        pid: child.pid!,
        stop: async () => {
          child.kill('SIGTERM');
          const code = await exited(child);
          if (code !== 0) process.stderr.write(`sparq serve exited with ${code} on SIGTERM: ${tail()}\n`);
          return code;
        },
      });
    });
  });
}
