/**
 * runOnReference(): a model run on sparq's TypeScript reference backend, the
 * plain kernels every native variant is tested against bit for bit. It is
 * the exact oracle for int8 models where onnxruntime's int8 is not exact
 * (ort-int8.ts). The backend is chosen once per process when the addon
 * loads, so the run happens in a child Node process started with
 * SPARQ_DISABLE_NATIVE=1 (and this process's loader flags, so it also works
 * from TypeScript sources).
 */
import { fork } from 'node:child_process';

import type { Value } from '../onnx/model.js';
import type { Feeds, SessionOptions } from '../session.js';

/** What the parent sends the child. */
export interface ReferenceRequest {
  model: string | Uint8Array;
  feeds: Record<string, { type: string; dims: number[]; data: unknown }>;
  /** Values to return (default: the graph outputs). */
  fetches?: string[];
  sessionOptions: Pick<SessionOptions, 'sparsity' | 'optimize'>;
}

export type ReferenceReply = { values: Record<string, Value> } | { error: { name: string; message: string } };

/** The child module next to this one: .ts when running from sources (tsx), .js when built. */
const CHILD = new URL(`./reference-child${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

/**
 * Runs `model` on `feeds` on sparq's TypeScript reference backend and
 * returns the `fetches` values it computes (default: the graph outputs;
 * values its passes fused away are left out). Slow (plain
 * TypeScript loops): meant for checking, not for serving.
 * @throws {Error} naming the child's error when the model does not load or run there.
 */
export function runOnReference(
  model: string | Uint8Array,
  feeds: Feeds,
  options: { fetches?: readonly string[]; sessionOptions?: Pick<SessionOptions, 'sparsity' | 'optimize'> } = {},
): Promise<Record<string, Value>> {
  // Plain objects: an onnxruntime Tensor's fields are getters that a structured clone would drop.
  const plain = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, { type: f.type, dims: [...f.dims], data: f.data }]));
  const request: ReferenceRequest = {
    model, feeds: plain, fetches: options.fetches && [...options.fetches],
    sessionOptions: { sparsity: options.sessionOptions?.sparsity, optimize: options.sessionOptions?.optimize },
  };
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, {
      env: { ...process.env, SPARQ_DISABLE_NATIVE: '1', SPARQ_REQUIRE_NATIVE: '0' },
      // A debugger's port is this process's; the child would fail to open it.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    let reply: ReferenceReply | undefined;
    child.once('message', (m) => { reply = m as ReferenceReply; });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (reply === undefined) reject(new Error(`sparq's reference backend process exited (${signal ?? `code ${code}`}) without a result${stderr ? `:\n${stderr.trim()}` : ''}`));
      else if ('error' in reply) reject(new Error(`sparq's reference backend: ${reply.error.name}: ${reply.error.message}`));
      else resolve(reply.values);
    });
    child.send(request);
  });
}
