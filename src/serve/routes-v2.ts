/**
 * The KServe / Open Inference Protocol v2 REST API: server and model
 * metadata, health, readiness, infer (JSON tensors and the binary tensor data
 * extension) and the model repository extension (index, load, unload).
 */
import type { FastifyInstance } from 'fastify';
import { infer, type ServeContext } from './context.js';
import { RequestError } from './model-spec.js';
import type { ModelState } from './models.js';
import { encodeV2Infer, parseV2Infer, v2ModelMetadata } from './protocol/v2.js';
import { modelParams, type ModelParams } from './route-schemas.js';

const VERSION = '0.1.0';

/** A model's state as the repository index names it. */
function indexState(model: ModelState) {
  const state = { ready: 'READY', loading: 'LOADING', failed: 'UNAVAILABLE', unloaded: 'UNAVAILABLE' }[model.state];
  return { name: model.source.name, version: model.source.version, state, reason: model.state === 'failed' ? model.reason : model.state === 'unloaded' ? 'unloaded' : '' };
}

export function v2Routes(app: FastifyInstance, ctx: ServeContext): void {
  const { store } = ctx;
  app.get('/v2', async () => ({ name: 'sparq', version: VERSION, extensions: ['binary_tensor_data', 'model_repository'] }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    const ready = !ctx.closing && !store.loading;
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get<{ Params: ModelParams }>(prefix, { schema: { params: modelParams } }, async (request) => v2ModelMetadata(store.ready(request.params.name, request.params.version).spec));
    app.get<{ Params: ModelParams }>(`${prefix}/ready`, { schema: { params: modelParams } }, async (request, reply) => {
      const { name, version } = request.params;
      const model = store.known(name, version);
      const ready = model.state === 'ready';
      return reply.code(ready ? 200 : 503).send({ name, version: model.source.version, ready, ...(model.state === 'failed' ? { error: model.reason } : {}) });
    });
  }

  // Bodies here are read as bytes: infer's, JSON alone or JSON followed by binary tensors; the
  // repository's, ignored (clients send nothing or {}).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/v2/repository/index', async () => store.list().map(([, model]) => indexState(model)));
    scope.post<{ Params: ModelParams }>('/v2/repository/models/:name/load', { schema: { params: modelParams } }, async (request) => {
      const model = await store.load(request.params.name);
      if (model.state === 'failed') throw new RequestError(`model "${request.params.name}" failed to load: ${model.reason}`, 400);
      return {};
    });
    scope.post<{ Params: ModelParams }>('/v2/repository/models/:name/unload', { schema: { params: modelParams } }, async (request) => {
      await store.unload(request.params.name);
      return {};
    });
    for (const path of ['/v2/models/:name/infer', '/v2/models/:name/versions/:version/infer']) {
      scope.post<{ Params: ModelParams; Body: Buffer | undefined }>(path, { schema: { params: modelParams }, config: { protocol: 'v2' } }, async (request, reply) => {
        const model = store.ready(request.params.name, request.params.version);
        const header = request.headers['inference-header-content-length'];
        const headerLength = header === undefined ? undefined : Number(header);
        if (headerLength !== undefined && !(Number.isSafeInteger(headerLength) && headerLength >= 0)) throw new RequestError(`Inference-Header-Content-Length must be a byte count, got ${String(header)}`);
        const parsed = parseV2Infer(model.spec, request.body ?? Buffer.alloc(0), headerLength);
        const outputs = await infer(model, parsed.inputs, reply);
        const encoded = encodeV2Infer(model.spec, parsed.id, outputs, parsed.outputs);
        return reply.headers(encoded.headers).send(encoded.body);
      });
    }
  });
}
