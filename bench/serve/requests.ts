/**
 * One image's inference request on each protocol the server speaks, as the
 * load generator sends it over and over: KServe v2 with the binary tensor
 * extension (a JSON header, then the raw little-endian float32 pixels), KServe
 * v2 with the pixels as JSON numbers, and TF Serving's row format (the image
 * as a nested [c][h][w] list, the batch axis implied).
 */
import { checkOneOf, fail, typeFail } from '../../src/validate.js';

export type Protocol = 'v2-binary' | 'v2-json' | 'tf-serving';

export const PROTOCOLS: readonly Protocol[] = ['v2-binary', 'v2-json', 'tf-serving'];

export interface LoadRequest {
  protocol: Protocol;
  /** Path and query of the POST, e.g. /v2/models/cifar-fp32/infer. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** An NCHW image's pixels as nested [c][h][w] lists (TF Serving's instance shape). */
export function nestedImage(pixels: Float32Array, [c, h, w]: readonly [number, number, number]): number[][][] {
  if (pixels.length !== c * h * w) fail('pixels', `must hold ${c}x${h}x${w} = ${c * h * w} values, got ${pixels.length}`);
  return Array.from({ length: c }, (_, ci) => Array.from({ length: h }, (_, hi) => Array.from(pixels.subarray((ci * h + hi) * w, (ci * h + hi + 1) * w))));
}

function v2Binary(model: string, input: string, pixels: Float32Array, image: readonly [number, number, number]): LoadRequest {
  const raw = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: input, shape: [1, ...image], datatype: 'FP32', parameters: { binary_data_size: raw.length } }],
  }));
  return {
    protocol: 'v2-binary',
    path: `/v2/models/${encodeURIComponent(model)}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    // Float32Array's bytes are the platform's order: little-endian on every CPU sparq builds for (x86-64, aarch64).
    body: Buffer.concat([header, raw]),
  };
}

/** The request for one image (`pixels`, NCHW of `image`) to `model`'s input `input` on `protocol`. */
export function imageRequest(protocol: Protocol, model: string, input: string, pixels: Float32Array, image: readonly [number, number, number]): LoadRequest {
  checkOneOf('protocol', protocol, PROTOCOLS);
  if (typeof model !== 'string' || model === '') typeFail('model', 'must be a model name');
  if (typeof input !== 'string' || input === '') typeFail('input', 'must be an input name');
  if (!(pixels instanceof Float32Array)) typeFail('pixels', 'must be a Float32Array');
  if (protocol === 'v2-binary') return v2Binary(model, input, pixels, image);
  const json = { 'content-type': 'application/json' };
  if (protocol === 'v2-json') {
    const body = { inputs: [{ name: input, shape: [1, ...image], datatype: 'FP32', data: Array.from(pixels) }] };
    return { protocol, path: `/v2/models/${encodeURIComponent(model)}/infer`, headers: json, body: Buffer.from(JSON.stringify(body)) };
  }
  const body = { instances: [nestedImage(pixels, image)] };
  return { protocol, path: `/v1/models/${encodeURIComponent(model)}:predict`, headers: json, body: Buffer.from(JSON.stringify(body)) };
}
