/** What the server tests share: the bundled models, seeded images, and the in-process oracle. */
import { InferenceSession } from '../../src/runtime/session.js';
import { rng, randomFloats } from '../helpers.js';

export const MODELS = 'examples/fashion-mnist/models';
export const INT8 = `${MODELS}/int8-90-blocks.onnx`;
export const FP32 = `${MODELS}/fp32.onnx`;

/** `n` seeded 1x28x28 images, stacked. */
export function images(n: number, seed: number): Float32Array {
  return randomFloats(n * 784, rng(seed)).map((v) => (v + 1) / 2);
}

/** The logits InferenceSession.run gives for `data` ([n, 1, 28, 28]) on one in-process session. */
export async function oracle(file: string, data: Float32Array): Promise<Float32Array> {
  const session = await InferenceSession.create(file);
  try {
    const out = await session.run({ input: { type: 'float32', dims: [data.length / 784, 1, 28, 28], data } });
    return new Float32Array(out.logits.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** A v2 JSON infer body for `data` as [n, 1, 28, 28]. */
export function v2Body(data: Float32Array, extra: object = {}): string {
  return JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [data.length / 784, 1, 28, 28], data: [...data] }], ...extra });
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

export function json(bytes: Buffer): any {
  return JSON.parse(bytes.toString('utf8'));
}
