/** The JSON schemas fastify checks requests' URL parameters and bodies against before a handler runs. */
import { MODEL_NAME } from './models.js';

const name = { type: 'string', pattern: MODEL_NAME.source, maxLength: 256 } as const;
const version = { type: 'string', pattern: '^[0-9]+$', maxLength: 20 } as const;

export interface ModelParams {
  name: string;
  version?: string;
}

export const modelParams = { type: 'object', properties: { name, version }, required: ['name'] } as const;

/** A TF Serving predict URL's last part: `<name>:<method>`, or `<version>:<method>` after /versions/. */
export interface TfParams {
  name?: string;
  target: string;
}

const method = ':[a-z]+$';
export const tfParams = { type: 'object', properties: { target: { type: 'string', pattern: `${MODEL_NAME.source.slice(0, -1)}${method}`, maxLength: 300 } }, required: ['target'] } as const;
export const tfVersionParams = { type: 'object', properties: { name, target: { type: 'string', pattern: `^[0-9]+${method}`, maxLength: 40 } }, required: ['name', 'target'] } as const;

/** TF Serving's predict body; the tensors inside are checked against the model by protocol/tfserving.ts. */
export const tfPredictBody = {
  type: 'object',
  properties: {
    signature_name: { type: 'string' },
    instances: { type: 'array' },
    inputs: {},
  },
} as const;
