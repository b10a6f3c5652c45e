/**
 * The worker thread that runs the served models, one request at a time (the
 * kernels already spread one batch over every thread the server was given),
 * so the server's event loop stays free for health checks, metrics and
 * parsing while a batch runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineReply, EngineRequest, EngineResult, EngineWorkerData } from './engine-messages.js';
import { openRunner, type Runner } from './runners.js';

const options = workerData as EngineWorkerData;
const runners = new Map<string, Runner>();
const port = parentPort!;

async function handle(request: EngineRequest): Promise<EngineResult> {
  switch (request.kind) {
    case 'load': {
      const runner = await openRunner(request.file, options);
      runners.set(request.key, runner);
      return { inputs: runner.inputs, outputs: runner.outputs };
    }
    case 'run': {
      const runner = runners.get(request.key);
      if (!runner) throw new Error(`model ${request.key} is not loaded`);
      return runner.run(request.inputs);
    }
    case 'unload': {
      await runners.get(request.key)?.release();
      runners.delete(request.key);
      return null;
    }
    case 'close': {
      await Promise.all([...runners.values()].map((r) => r.release()));
      runners.clear();
      return null;
    }
  }
}

// One at a time, in order: a run never overlaps another's use of the kernels' thread pool.
let queue = Promise.resolve();
port.on('message', (request: EngineRequest) => {
  queue = queue.then(async () => {
    let reply: EngineReply;
    try {
      reply = { id: request.id, ok: true, result: await handle(request) };
    } catch (e) {
      const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
      reply = { id: request.id, ok: false, error };
    }
    // Outputs are copied, not transferred: sparq's session reuses their storage on its next run.
    port.postMessage(reply);
  });
});
