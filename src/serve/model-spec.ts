/**
 * What the server knows of a model and what flows between its parts: the
 * protocols (protocol/) turn request bodies into Tensors checked against a
 * ModelSpec, the batcher queues them, the engine runs them in a worker
 * thread, and the protocols encode the outputs back.
 */
import type { OnnxValueInfo, Value } from '../runtime/onnx/model.js';

/** A model input or output as the ONNX file declares it (dims may be symbolic: 'batch', or null). */
export type TensorSpec = OnnxValueInfo;

export interface ModelSpec {
  name: string;
  /** The version directory it was loaded from ('1' for a model given as a file). */
  version: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
}

/** Tensors by name: a request's inputs or a run's outputs. */
export type Tensors = Record<string, Value>;

/**
 * A request the server refuses, with the HTTP status it answers (400: bad
 * input, 404: unknown model, 413: too large, 503: busy, 504: timed out);
 * the message names what is wrong and goes to the client in the protocol's
 * error shape.
 */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    /** Seconds a client should wait before retrying (503's Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
