/** createServer's options, checked and with their defaults, before anything starts. */
import { availableParallelism } from 'node:os';
import { checkLimits, type Limits } from '../limits.js';
import { checkInt, checkObject, checkOneOf, typeFail } from '../validate.js';
import type { BatchOptions } from './batcher.js';
import type { RunnerOptions } from './runners.js';

export interface ServeOptions {
  /** Model files, each served under its base name without .onnx (version 1). */
  models?: readonly string[];
  /** A model repository: <name>/<version>/model.onnx, the newest version of each served; load/unload endpoints read it. */
  repository?: string;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8000; 0 picks a free port (see SparqServer.url). */
  port?: number;
  /** Where sparq runs the models (default 'cpu'). */
  backend?: 'cpu' | 'webgpu';
  /** Kernel threads (default: all cores). */
  threads?: number;
  /** 'sparq' (default), or 'onnxruntime': onnxruntime-node runs the models behind the same server (a baseline). */
  runtime?: 'sparq' | 'onnxruntime';
  /** Rows per batch at most (default 32); 1 turns batching off. */
  maxBatch?: number;
  /**
   * How long a request waits for others to batch with when the engine is free, in ms. Default 0:
   * batches form from what queues while the engine is busy, and a lone request runs at once
   * (a fixed delay cost 5x the throughput of one client in the load test, BENCHMARKS.md).
   */
  maxDelayMs?: number;
  /** Requests queued per model at most (default 1024); more get 503 with Retry-After. */
  maxQueue?: number;
  /** A request's deadline in ms (default 30000); past it, 504. */
  timeoutMs?: number;
  /** Largest request body in bytes (default 64 MiB); larger, 413. */
  maxBodyBytes?: number;
  /** Inference requests handled at once at most (default 4096); more get 503. */
  maxConcurrent?: number;
  /** Size limits of the sparq sessions (InferenceSession options.limits; default: the process's, setLimits). */
  limits?: Partial<Limits>;
}

export interface ServeSettings {
  models: string[];
  repository: string | undefined;
  host: string;
  port: number;
  runner: RunnerOptions;
  batching: BatchOptions;
  maxBodyBytes: number;
  maxConcurrent: number;
}

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') typeFail(name, 'must be a non-empty string');
  return value;
}

/** @throws TypeError/RangeError naming the bad option. */
export function serveSettings(options: ServeOptions): ServeSettings {
  checkObject('options', options);
  const models = options.models ?? [];
  if (!Array.isArray(models)) typeFail('options.models', 'must be an array of .onnx file paths');
  models.forEach((m, i) => checkString(`options.models[${i}]`, m));
  const repository = options.repository === undefined ? undefined : checkString('options.repository', options.repository);
  if (models.length === 0 && repository === undefined) typeFail('options', 'must name options.models or options.repository');
  const opt = (name: keyof ServeOptions, fallback: number, min: number, max: number) => checkInt(`options.${name}`, options[name] ?? fallback, min, max);
  const maxDelayMs = options.maxDelayMs ?? 0;
  if (typeof maxDelayMs !== 'number' || !(maxDelayMs >= 0 && maxDelayMs <= 60_000)) typeFail('options.maxDelayMs', `must be a number of ms in [0, 60000], got ${String(maxDelayMs)}`);
  return {
    models: [...models],
    repository,
    host: options.host === undefined ? '127.0.0.1' : checkString('options.host', options.host),
    port: opt('port', 8000, 0, 65535),
    runner: {
      runtime: checkOneOf('options.runtime', options.runtime ?? 'sparq', ['sparq', 'onnxruntime'] as const),
      backend: checkOneOf('options.backend', options.backend ?? 'cpu', ['cpu', 'webgpu'] as const),
      threads: opt('threads', availableParallelism(), 1, 256),
      limits: checkLimits('options.limits', options.limits ?? {}),
    },
    batching: { maxBatch: opt('maxBatch', 32, 1, 65536), maxDelayMs, maxQueue: opt('maxQueue', 1024, 1, 1 << 20), timeoutMs: opt('timeoutMs', 30_000, 1, 3_600_000) },
    maxBodyBytes: opt('maxBodyBytes', 64 << 20, 1, 2 ** 31 - 1),
    maxConcurrent: opt('maxConcurrent', 4096, 1, 1 << 20),
  };
}
