/**
 * The server's handle on its engine worker (engine-worker.ts): load, run and
 * unload as promises. Inputs are transferred to the worker (the batcher
 * assembles them into arrays of their own); a worker that dies fails every
 * pending call and every later one, rather than leaving them waiting.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineReply, EngineRequest, EngineResult, EngineWorkerData } from './engine-messages.js';
import type { TensorSpec, Tensors } from './model-spec.js';

/** A request before the engine numbers it (Omit distributed over the union's members). */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;

type Pending = { resolve: (result: EngineResult) => void; reject: (error: Error) => void };

/** The worker's entry beside this module; under tsx (tests, `npm start`) the .ts one, loaded through tsx's loader, which a worker does not inherit. */
function startWorker(workerData: EngineWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./engine-worker.js', import.meta.url), { workerData });
  const entry = new URL('./engine-worker.ts', import.meta.url).href;
  // tsx's ESM API, found through its package.json: under mocha this module is compiled to CommonJS,
  // whose import.meta has no resolve(), and require.resolve() would find the CommonJS build.
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = pathToFileURL(join(dirname(tsxPackage), api)).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, workerData });
}

/** An error the worker reported, with its class name kept (ModelError, OnnxLoadError, RangeError...). */
function workerError(error: { name: string; message: string }): Error {
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}

export class Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Why the worker stopped, once it has. */
  private stopped: Error | undefined;

  /** @param onCrash called once if the worker stops without close() (an uncaught error, out of memory). */
  constructor(options: EngineWorkerData, onCrash: (reason: Error) => void = () => undefined) {
    this.worker = startWorker(options);
    this.worker.on('message', (reply: EngineReply) => {
      const call = this.pending.get(reply.id)!;
      this.pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.result);
      else call.reject(workerError(reply.error));
    });
    const crash = (reason: Error) => {
      if (this.stopped === undefined) onCrash(reason);
      this.stop(reason);
    };
    this.worker.on('error', (e) => crash(new Error(`the engine worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => crash(new Error(`the engine worker exited (code ${code})`)));
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const call of this.pending.values()) call.reject(this.stopped);
    this.pending.clear();
  }

  private call(request: Unnumbered<EngineRequest>, transfer: ArrayBuffer[] = []): Promise<EngineResult> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Loads the model file under `key`: its inputs and outputs. */
  async load(key: string, file: string): Promise<{ inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] }> {
    return (await this.call({ kind: 'load', key, file })) as { inputs: TensorSpec[]; outputs: TensorSpec[] };
  }

  /** Runs the model loaded under `key`; the inputs' buffers move to the worker (they must not be views of shared memory). */
  async run(key: string, inputs: Tensors): Promise<Tensors> {
    const buffers = Object.values(inputs).map((t) => t.data.buffer as ArrayBuffer);
    return (await this.call({ kind: 'run', key, inputs }, buffers)) as Tensors;
  }

  async unload(key: string): Promise<void> {
    await this.call({ kind: 'unload', key });
  }

  /** Releases the models and stops the worker; later calls reject. */
  async close(): Promise<void> {
    await this.call({ kind: 'close' }).catch(() => undefined);
    this.stop(new Error('the engine was closed'));
    await this.worker.terminate();
  }
}
