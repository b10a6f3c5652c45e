/** What the server's routes share, and the one path both protocols' infer routes take to the batcher. */
import type { FastifyReply } from 'fastify';
import type { ServeMetrics } from './metrics.js';
import type { Tensors } from './model-spec.js';
import type { ModelState, ModelStore } from './models.js';
import type { ServeSettings } from './options.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the infer routes: the protocol their requests are counted under. */
    protocol?: 'v2' | 'tfserving';
  }
}

export interface ServeContext {
  store: ModelStore;
  metrics: ServeMetrics;
  settings: ServeSettings;
  /** Set when close() starts: the server reports not ready. */
  closing: boolean;
}

/**
 * Queues `inputs` on the model's batcher; a client that disconnects before
 * its request runs takes it off the queue.
 */
export function infer(model: Extract<ModelState, { state: 'ready' }>, inputs: Tensors, reply: FastifyReply): Promise<Tensors> {
  const gone = new AbortController();
  const response = reply.raw;
  const onClose = () => {
    if (!response.writableFinished) gone.abort();
  };
  response.once('close', onClose);
  return model.batcher.submit(inputs, gone.signal).finally(() => response.off('close', onClose));
}
