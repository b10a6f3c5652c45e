/** TF Serving's REST API: model status and predict (row `instances` or columnar `inputs`). */
import type { FastifyInstance } from 'fastify';
import { infer, type ServeContext } from './context.js';
import { RequestError } from './model-spec.js';
import { encodeTfPredict, parseTfPredict } from './protocol/tfserving.js';
import { modelParams, tfParams, tfPredictBody, tfVersionParams, type ModelParams, type TfParams } from './route-schemas.js';

export function tfServingRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const { store } = ctx;
  for (const path of ['/v1/models/:name', '/v1/models/:name/versions/:version']) {
    app.get<{ Params: ModelParams }>(path, { schema: { params: modelParams } }, async (request) => {
      const { name, version } = request.params;
      const model = store.known(name, version);
      const state = { ready: 'AVAILABLE', loading: 'LOADING', failed: 'END' }[model.state];
      const error = model.state === 'failed' ? { error_code: 'UNKNOWN', error_message: model.reason } : { error_code: 'OK', error_message: '' };
      return { model_version_status: [{ version: model.source.version, state, status: error }] };
    });
  }
  for (const [path, params] of [['/v1/models/:target', tfParams], ['/v1/models/:name/versions/:target', tfVersionParams]] as const) {
    app.post<{ Params: TfParams; Body: unknown }>(path, { schema: { params, body: tfPredictBody }, config: { protocol: 'tfserving' } }, async (request, reply) => {
      const [head, method] = request.params.target.split(':');
      const [name, version] = request.params.name === undefined ? [head, undefined] : [request.params.name, head];
      if (method !== 'predict') throw new RequestError(`:${method} is not supported; sparq serves :predict`, 404);
      const model = store.ready(name, version);
      const parsed = parseTfPredict(model.spec, request.body);
      return encodeTfPredict(model.spec, await infer(model, parsed.inputs, reply), parsed.format);
    });
  }
}
