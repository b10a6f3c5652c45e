/**
 * createServer: sparq's inference server, on fastify. It loads the models
 * into an engine worker thread (engine.ts), batches requests per model
 * (batcher.ts) and answers on the KServe v2 (routes-v2.ts) and TF Serving
 * (routes-tfserving.ts) REST protocols, with Prometheus metrics on
 * /metrics. Every refusal is `{ "error": "..." }` with its status, and
 * none stops the server.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { ServeContext } from './context.js';
import { ServeMetrics } from './metrics.js';
import { RequestError } from './model-spec.js';
import { fileSource, ModelStore, repositoryNames, repositorySource, type ModelSource } from './models.js';
import { serveSettings, type ServeOptions } from './options.js';
import { tfServingRoutes } from './routes-tfserving.js';
import { v2Routes } from './routes-v2.js';

export type { ServeOptions } from './options.js';

export interface SparqServer {
  /** Where it listens: http://host:port. */
  readonly url: string;
  /** The fastify instance it runs on (already listening; inject() makes in-process requests). */
  readonly app: FastifyInstance;
  readonly models: ModelStore;
  readonly metrics: ServeMetrics;
  /** Stops accepting, answers the requests in flight, unloads the models and stops the engine. */
  close(): Promise<void>;
}

/** The models named by files, then those of the repository (a file's name wins over the repository's). */
async function startupSources(models: readonly string[], repository: string | undefined): Promise<{ sources: ModelSource[]; missing: string[] }> {
  const sources = models.map(fileSource);
  /** Repository directories without a <version>/model.onnx. */
  const missing: string[] = [];
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name)) throw new RangeError(`options.models: two files are named "${s.name}"`);
    names.add(s.name);
  }
  if (repository !== undefined) {
    for (const name of await repositoryNames(repository)) {
      if (names.has(name)) continue;
      const source = await repositorySource(repository, name);
      if (source) sources.push(source);
      else missing.push(name);
    }
  }
  return { sources, missing };
}

/**
 * The status an error answers with: a RequestError's, fastify's own (400 validation, 413, 415),
 * 413 for a LimitError (the request's tensors, or what its run computes, are over the
 * sessions' maxTensorBytes), else 500.
 */
function statusOf(error: FastifyError | RequestError): number {
  if (error instanceof RequestError) return error.status;
  if (error.name === 'LimitError') return 413;
  const code = error.statusCode;
  return code !== undefined && code >= 400 && code < 600 ? code : 500;
}

/**
 * Loads the models and starts listening; resolves once it does. A model that
 * fails to load is served as failed (its ready endpoint says why).
 * @throws TypeError/RangeError for bad options; the listen error when the port is taken.
 */
export async function createServer(options: ServeOptions): Promise<SparqServer> {
  const settings = serveSettings(options);
  const { sources, missing } = await startupSources(settings.models, settings.repository);
  const metrics = new ServeMetrics();
  const store = new ModelStore(settings.runner, metrics, settings.batching, settings.repository);
  const ctx: ServeContext = { store, metrics, settings, closing: false };
  const app = Fastify({ bodyLimit: settings.maxBodyBytes, ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });

  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    const protocol = request.routeOptions.config.protocol;
    if (protocol === undefined) return;
    if (inFlight >= settings.maxConcurrent) throw new RequestError(`the server is handling ${inFlight} inference requests, its limit; retry later`, 503, 1);
    metrics.inFlight.set(++inFlight);
    // 'close' comes once per response, answered or not (onResponse misses those whose client went away: 499).
    reply.raw.once('close', () => {
      metrics.inFlight.set(--inFlight);
      // Only known models get a label: a client cannot grow the metrics by inventing names.
      const params = request.params as { name?: string; target?: string };
      const name = params.name ?? params.target?.split(':')[0];
      const status = reply.raw.writableFinished ? reply.statusCode : 499;
      metrics.answered(name !== undefined && store.get(name) ? name : '(unknown)', protocol, status, reply.elapsedTime / 1000);
    });
  });
  // While closing, answers close their connection: a kept-alive one would hold close() up for fastify's keep-alive timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (ctx.closing) reply.header('connection', 'close');
  });
  app.setErrorHandler((error: FastifyError | RequestError, _request, reply) => {
    const status = statusOf(error);
    if (error instanceof RequestError && error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    reply.code(status).send({ error: status === 500 ? `internal error: ${error.message}` : error.message });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  v2Routes(app, ctx);
  tfServingRoutes(app, ctx);

  for (const name of missing) store.fail({ name, version: '', file: '' }, 'the repository has no <version>/model.onnx for it');
  await Promise.all(sources.map((s) => store.add(s)));
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (e) {
    await store.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    app,
    models: store,
    metrics,
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        await app.close();
        await store.close();
      })();
      return closed;
    },
  };
}
