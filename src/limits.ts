/**
 * Size limits: the largest tensor and the largest model sparq will allocate
 * or read, refused up front with a LimitError (a RangeError naming the
 * limit, the size asked for and how to raise it) instead of an allocation
 * that takes the machine's memory or a process killed by the kernel's OOM
 * killer. A hostile or broken model can ask for a [1e6, 1e6] tensor in a
 * few bytes; the limits bound what any one model, feed or call can make.
 *
 * The limits in force are the process's (setLimits), or a session's own
 * (InferenceSession.create options.limits) while that session loads and
 * runs: its kernel calls, on the CPU and on the GPU, are held to them too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Limits {
  /**
   * The most bytes one tensor may take: a model's initializer, a feed, every
   * value a session computes, a kernel's output, a GPU tensor. Default
   * 4 GiB (what one typed array of bytes holds). Infinity: no limit.
   */
  maxTensorBytes: number;
  /**
   * The most bytes a model may take: its .onnx file (or bytes) plus its
   * external data, checked before it is read. Default 32 GiB. Infinity: no limit.
   */
  maxModelBytes: number;
}

/** Far above any CNN sparq runs, so only runaway or hostile sizes meet them. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ maxTensorBytes: 2 ** 32, maxModelBytes: 2 ** 35 });

const FLAGS: Record<keyof Limits, string> = { maxTensorBytes: '--max-tensor-bytes', maxModelBytes: '--max-model-bytes' };

/** A size over a limit: `limit` names it, `value` is the size asked for, `max` the limit in force. */
export class LimitError extends RangeError {
  constructor(what: string, readonly limit: keyof Limits, readonly value: number, readonly max: number) {
    super(
      `${what} needs ${value} bytes, over the ${limit} limit of ${max} bytes; raise it with setLimits({ ${limit} }), ` +
        `InferenceSession.create(model, { limits: { ${limit} } }) or the CLI's ${FLAGS[limit]}`,
    );
    this.name = 'LimitError';
  }
}

let processLimits: Readonly<Limits> = DEFAULT_LIMITS;
const scoped = new AsyncLocalStorage<Readonly<Limits>>();

/** The limits in force here: a session's while it loads or runs, else the process's. */
export function limits(): Readonly<Limits> {
  return scoped.getStore() ?? processLimits;
}

/**
 * Sets the process's limits (the fields given; the others stay) and
 * returns the previous ones, so a caller can restore them.
 * @throws TypeError/RangeError naming a field that is not a positive integer or Infinity.
 */
export function setLimits(next: Partial<Limits>): Readonly<Limits> {
  const previous = processLimits;
  processLimits = Object.freeze({ ...processLimits, ...checkLimits('limits', next) });
  return previous;
}

/** The fields of `value` (an options.limits object), checked. */
export function checkLimits(name: string, value: unknown): Partial<Limits> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${name} must be an object ({ maxTensorBytes?, maxModelBytes? })`);
  const checked: Partial<Limits> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`${name} has unknown field "${key}" (fields: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (typeof v !== 'number') throw new TypeError(`${name}.${key} must be a number, got ${typeof v}`);
    if (!(v === Infinity || (Number.isSafeInteger(v) && v > 0))) throw new RangeError(`${name}.${key} must be a positive integer or Infinity, got ${v}`);
    checked[key as keyof Limits] = v;
  }
  return checked;
}

/** Runs `work` (and everything it awaits) under the process's limits overridden by `overrides`. */
export function withLimits<T>(overrides: Partial<Limits>, work: () => T): T {
  return scoped.run(Object.freeze({ ...limits(), ...overrides }), work);
}

/** @throws LimitError when `bytes` (of the tensor `what` names) is over maxTensorBytes. */
export function checkTensorBytes(what: string, bytes: number): void {
  const max = limits().maxTensorBytes;
  if (!(bytes <= max)) throw new LimitError(what, 'maxTensorBytes', bytes, max);
}

/** @throws LimitError when `bytes` (of the model `what` names) is over maxModelBytes. */
export function checkModelBytes(what: string, bytes: number): void {
  const max = limits().maxModelBytes;
  if (!(bytes <= max)) throw new LimitError(what, 'maxModelBytes', bytes, max);
}
