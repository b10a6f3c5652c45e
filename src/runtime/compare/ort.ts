/** onnxruntime-node as compare() (and the server's baseline runtime) uses it: loaded only when needed, so sparq itself works without it. */
import type { Feeds } from '../session.js';

export type Ort = typeof import('onnxruntime-node');
export type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** @param user what needs it, for the error when it is missing. */
export async function loadOrt(user = 'compare()'): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('onnxruntime-node');
    const message = missing ? `${user} needs onnxruntime-node: npm install onnxruntime-node` : `${user} could not load onnxruntime-node: ${(err as Error).message}`;
    throw new Error(message, { cause: err });
  }
}

export function toOrt(ort: Ort, feeds: Feeds): Record<string, InstanceType<Ort['Tensor']>> {
  // The data is shared, not copied; the types were checked by sparq's run.
  return Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor(f.type as 'float32', f.data as Float32Array, [...f.dims])]));
}

/** onnxruntime's session options for timing it against sparq on `threads` threads: intra-op threads, one inter-op thread, sequential execution. */
export function ortSessionOptions(threads: number) {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 } as const;
}
