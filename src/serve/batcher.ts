/**
 * Dynamic batching for one model: requests are queued and run as one batch
 * (stacked on axis 0) once maxBatch rows wait or the oldest has waited
 * maxDelayMs, and each request gets its rows of the outputs back. One batch
 * runs at a time; the next forms while it runs. The queue is bounded (a full
 * one refuses with 503 and Retry-After instead of growing), every request has
 * a deadline (504), and a request whose client went away (its AbortSignal) is
 * dropped if it has not started.
 *
 * Requests stack only when every model input has a free first axis and their
 * other dims and types agree; others run alone. A model whose outputs turn
 * out to have no batch axis is run one request at a time from then on.
 */
import { sizeOf } from '../tensor.js';
import type { Value } from '../runtime/onnx/model.js';
import { VALUE_ARRAYS } from '../runtime/value.js';
import { RequestError, type ModelSpec, type Tensors } from './model-spec.js';

export interface BatchOptions {
  /** Rows (axis-0 entries) a batch holds at most; 1 turns batching off. */
  maxBatch: number;
  /** How long the oldest queued request may wait for others, in ms. */
  maxDelayMs: number;
  /** Requests waiting at most; more are refused with 503. */
  maxQueue: number;
  /** A request's deadline from submission, in ms (504 after it). */
  timeoutMs: number;
}

export interface BatchHooks {
  /** A batch of `rows` rows and `requests` requests ran in `seconds`. */
  onBatch?(rows: number, requests: number, seconds: number): void;
  /** The queue's length changed. */
  onQueue?(depth: number): void;
}

interface Queued {
  inputs: Tensors;
  rows: number;
  /** Requests with the same key stack: every input's type and dims past axis 0. */
  key: string;
  arrived: number;
  resolve(outputs: Tensors): void;
  reject(error: Error): void;
  /** Clears the deadline and the abort listener; true the first time only. */
  settle(): boolean;
}

export class Batcher {
  private readonly queue: Queued[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private stackable: boolean;
  private idle: (() => void)[] = [];

  constructor(
    private readonly spec: ModelSpec,
    private readonly run: (inputs: Tensors) => Promise<Tensors>,
    private readonly options: BatchOptions,
    private readonly hooks: BatchHooks = {},
  ) {
    this.stackable = spec.inputs.every((i) => i.dims === null || (i.dims.length > 0 && typeof i.dims[0] !== 'number'));
  }

  /** Requests waiting. */
  get depth(): number {
    return this.queue.length;
  }

  /** True while a batch runs. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Queues checked inputs; resolves with this request's outputs.
   * @throws RequestError 503 when the queue is full, 400 when the inputs disagree on axis 0, 504 past the deadline, 499 when `signal` aborts first.
   */
  submit(inputs: Tensors, signal?: AbortSignal): Promise<Tensors> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new RequestError(`model ${this.spec.name} has ${this.queue.length} requests waiting, its limit; retry later`, 503, 1));
    }
    let rows = 1;
    if (this.stackable) {
      const axis0 = new Set(Object.values(inputs).map((t) => t.dims[0]));
      if (axis0.size > 1) return Promise.reject(new RequestError(`the inputs disagree on the batch axis (axis 0): ${[...axis0].join(' vs ')}`));
      rows = [...axis0][0] ?? 1;
    }
    const key = this.spec.inputs.map((i) => `${inputs[i.name].type}[${inputs[i.name].dims.slice(1)}]`).join();
    return new Promise<Tensors>((resolve, reject) => {
      let done = false;
      const item: Queued = {
        inputs,
        rows,
        key,
        arrived: performance.now(),
        resolve,
        reject,
        settle: () => {
          if (done) return false;
          done = true;
          clearTimeout(deadline);
          signal?.removeEventListener('abort', abort);
          return true;
        },
      };
      const drop = (error: RequestError) => {
        if (!item.settle()) return;
        this.remove(item);
        reject(error);
      };
      const deadline = setTimeout(() => drop(new RequestError(`model ${this.spec.name} did not answer within ${this.options.timeoutMs} ms`, 504)), this.options.timeoutMs);
      const abort = () => drop(new RequestError('the client went away before the request ran', 499));
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort);
      this.queue.push(item);
      this.hooks.onQueue?.(this.queue.length);
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private remove(item: Queued): void {
    const at = this.queue.indexOf(item);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.hooks.onQueue?.(this.queue.length);
    if (this.queue.length === 0) this.stopTimer();
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts a batch if one is due, else makes sure a timer will. */
  private pump(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    const { maxBatch, maxDelayMs } = this.options;
    const waited = performance.now() - this.queue[0].arrived;
    const rows = this.queue.reduce((sum, q) => sum + q.rows, 0);
    if (this.stackable && maxBatch > 1 && rows < maxBatch && waited < maxDelayMs) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, maxDelayMs - waited);
      return;
    }
    this.stopTimer();
    this.running = true;
    this.runBatch(this.takeBatch()).finally(() => {
      this.running = false;
      this.pump();
    });
  }

  /** The oldest request and those after it that stack with it, up to maxBatch rows. */
  private takeBatch(): Queued[] {
    const head = this.queue.shift()!;
    const batch = [head];
    let rows = head.rows;
    if (this.stackable) {
      for (let i = 0; i < this.queue.length && rows < this.options.maxBatch; ) {
        const q = this.queue[i];
        if (q.key === head.key && rows + q.rows <= this.options.maxBatch) {
          batch.push(q);
          rows += q.rows;
          this.queue.splice(i, 1);
        } else i++;
      }
    }
    this.hooks.onQueue?.(this.queue.length);
    return batch;
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    const rows = batch.reduce((sum, q) => sum + q.rows, 0);
    const started = performance.now();
    try {
      const outputs = await this.run(stack(this.spec, batch));
      const parts = batch.length === 1 ? [outputs] : split(outputs, batch.map((q) => q.rows));
      if (parts) batch.forEach((q, i) => q.settle() && q.resolve(parts[i]));
      else {
        // Outputs without a batch axis cannot be split: run this batch's requests, and every later one, alone.
        this.stackable = false;
        for (const q of batch) await this.runBatch([q]);
        return;
      }
    } catch (e) {
      for (const q of batch) if (q.settle()) q.reject(e as Error);
    }
    this.hooks.onBatch?.(rows, batch.length, (performance.now() - started) / 1000);
  }
}

/** The batch's inputs stacked on axis 0, in arrays of their own (the engine transfers them). */
function stack(spec: ModelSpec, batch: Queued[]): Tensors {
  const inputs: Tensors = {};
  for (const { name } of spec.inputs) {
    const parts = batch.map((q) => q.inputs[name]);
    const first = parts[0];
    // One request keeps its dims (a model without a free axis 0 runs requests alone).
    const dims = batch.length === 1 ? [...first.dims] : [batch.reduce((sum, q) => sum + q.rows, 0), ...first.dims.slice(1)];
    const data = new VALUE_ARRAYS[first.type](sizeOf(dims));
    let at = 0;
    for (const p of parts) {
      (data as Value['data'] & { set(a: ArrayLike<unknown>, at: number): void }).set(p.data as ArrayLike<unknown>, at);
      at += p.data.length;
    }
    inputs[name] = { type: first.type, dims, data } as Value;
  }
  return inputs;
}

/** Each request's rows of every output, or undefined when an output's axis 0 is not the batch's rows. */
function split(outputs: Tensors, rows: number[]): Tensors[] | undefined {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts: Tensors[] = rows.map(() => ({}));
  for (const [name, out] of Object.entries(outputs)) {
    if (out.dims.length === 0 || out.dims[0] !== total) return undefined;
    const perRow = out.data.length / total;
    let row = 0;
    rows.forEach((n, i) => {
      parts[i][name] = { type: out.type, dims: [n, ...out.dims.slice(1)], data: out.data.slice(row * perRow, (row + n) * perRow) } as Value;
      row += n;
    });
  }
  return parts;
}
