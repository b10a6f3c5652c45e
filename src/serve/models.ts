/**
 * The models a server serves: where each comes from (files, or a model
 * repository directory laid out <name>/<version>/model.onnx, the newest
 * version served), its state, and, once ready, its spec and batcher. A model
 * that fails to load is kept as 'failed' with the reason, which its ready
 * endpoint reports; the others are not affected. The store owns the engine
 * worker the models run in: one that dies (out of memory, an uncaught error)
 * fails the requests it held and is replaced, with every model reloaded.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Batcher, type BatchOptions } from './batcher.js';
import { Engine } from './engine.js';
import type { ServeMetrics } from './metrics.js';
import { RequestError, type ModelSpec } from './model-spec.js';
import type { RunnerOptions } from './runners.js';

export interface ModelSource {
  name: string;
  version: string;
  file: string;
}

export type ModelState =
  | { state: 'loading'; source: ModelSource }
  | { state: 'unloaded'; source: ModelSource }
  | { state: 'failed'; source: ModelSource; reason: string }
  | { state: 'ready'; source: ModelSource; spec: ModelSpec; batcher: Batcher };

/** Model names the URLs carry: no slashes, dots only inside. */
export const MODEL_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** A model file served under its base name (without .onnx), version 1. */
export function fileSource(file: string): ModelSource {
  const name = basename(file).replace(/\.onnx$/i, '');
  if (!MODEL_NAME.test(name)) throw new RangeError(`options.models: "${file}" gives the model name "${name}", which is not a letter, digit, _, - and . name`);
  return { name, version: '1', file };
}

/** The newest version of `name` in the repository: the largest numeric directory holding model.onnx. */
export async function repositorySource(repository: string, name: string): Promise<ModelSource | undefined> {
  let entries: string[];
  try {
    entries = await readdir(join(repository, name));
  } catch {
    return undefined;
  }
  const versions = entries.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const file = join(repository, name, version, 'model.onnx');
    if (await stat(file).then((s) => s.isFile(), () => false)) return { name, version, file };
  }
  return undefined;
}

/** The model names in a repository: its subdirectories with a valid name. */
export async function repositoryNames(repository: string): Promise<string[]> {
  const entries = await readdir(repository, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && MODEL_NAME.test(e.name)).map((e) => e.name).sort();
}

export class ModelStore {
  private readonly models = new Map<string, ModelState>();
  private readonly loads = new Map<string, Promise<void>>();
  private engine: Engine;
  private closed = false;

  constructor(
    private readonly runner: RunnerOptions,
    private readonly metrics: ServeMetrics,
    private readonly batching: BatchOptions,
    /** Where load requests find models by name; none: only the models given at start. */
    private readonly repository: string | undefined,
  ) {
    this.engine = this.startEngine();
  }

  private startEngine(): Engine {
    return new Engine(this.runner, (reason) => {
      if (this.closed) return;
      this.metrics.engineRestarts.inc();
      this.engine = this.startEngine();
      // The loads running on the dead worker fail; every model loads again on the new one.
      this.loads.clear();
      for (const model of this.models.values()) if (model.state !== 'unloaded') void this.add(model.source);
      process.emitWarning(`sparq serve: ${reason.message}; restarted it and reloading the models`);
    });
  }

  /** Every model the server knows, by name. */
  list(): [string, ModelState][] {
    return [...this.models].sort(([a], [b]) => a.localeCompare(b));
  }

  get(name: string): ModelState | undefined {
    return this.models.get(name);
  }

  /** True while some model is loading. */
  get loading(): boolean {
    return this.loads.size > 0;
  }

  /**
   * The model `name` (at `version`, when given), whatever its state.
   * @throws RequestError 404 for an unknown or unloaded model, or a version it does not serve.
   */
  known(name: string, version?: string): Exclude<ModelState, { state: 'unloaded' }> {
    const model = this.models.get(name);
    if (!model || model.state === 'unloaded') throw new RequestError(`unknown model "${name}"`, 404);
    if (version !== undefined && version !== model.source.version) throw new RequestError(`model "${name}" has no version ${version} (serving version ${model.source.version})`, 404);
    return model;
  }

  /**
   * The ready model `name` (at `version`, when given).
   * @throws RequestError 404 for an unknown model or version, 503 for one not ready.
   */
  ready(name: string, version?: string): Extract<ModelState, { state: 'ready' }> {
    const model = this.known(name, version);
    if (model.state === 'failed') throw new RequestError(`model "${name}" failed to load: ${model.reason}`, 503);
    if (model.state !== 'ready') throw new RequestError(`model "${name}" is still loading`, 503, 1);
    return model;
  }

  /** Loads a model (again, if it was loaded); its state says how it went, this never rejects. */
  add(source: ModelSource): Promise<void> {
    const running = this.loads.get(source.name);
    if (running) return running;
    const load: Promise<void> = this.unloadModel(source.name)
      .then(() => this.open(source))
      .finally(() => {
        if (this.loads.get(source.name) === load) this.loads.delete(source.name);
      });
    this.loads.set(source.name, load);
    return load;
  }

  /** Records a model that cannot be loaded, as a failed load would. */
  fail(source: ModelSource, reason: string): void {
    this.models.set(source.name, { state: 'failed', source, reason });
  }

  private async open(source: ModelSource): Promise<void> {
    this.models.set(source.name, { state: 'loading', source });
    try {
      const key = `${source.name}/${source.version}`;
      const { inputs, outputs } = await this.engine.load(key, source.file);
      const spec: ModelSpec = { name: source.name, version: source.version, inputs, outputs };
      const batcher = new Batcher(spec, (feeds) => this.engine.run(key, feeds), this.batching, this.metrics.batchHooks(source.name));
      this.models.set(source.name, { state: 'ready', source, spec, batcher });
    } catch (e) {
      this.fail(source, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  }

  /**
   * Loads `name` from the repository (the repository extension's load).
   * @throws RequestError 400 without a repository, 404 when it holds no such model.
   */
  async load(name: string): Promise<ModelState> {
    if (this.repository === undefined) throw new RequestError('the server was started without a model repository (--repository): models cannot be loaded by name', 400);
    const source = await repositorySource(this.repository, name);
    if (!source) throw new RequestError(`the model repository has no <version>/model.onnx for "${name}"`, 404);
    await this.add(source);
    return this.models.get(name)!;
  }

  /**
   * Stops serving `name`: requests already queued finish first.
   * @throws RequestError 404 for an unknown model.
   */
  async unload(name: string): Promise<void> {
    const model = this.models.get(name);
    if (!model || model.state === 'unloaded') throw new RequestError(`unknown model "${name}"`, 404);
    await this.loads.get(name);
    await this.unloadModel(name);
  }

  private async unloadModel(name: string): Promise<void> {
    const model = this.models.get(name);
    if (model?.state !== 'ready') return;
    this.models.set(name, { state: 'unloaded', source: model.source });
    await model.batcher.drain();
    await this.engine.unload(`${name}/${model.source.version}`);
  }

  /** Waits for every load and every queued request, then releases the models and stops the engine. */
  async close(): Promise<void> {
    await Promise.all(this.loads.values());
    await Promise.all([...this.models.values()].map((m) => (m.state === 'ready' ? m.batcher.drain() : undefined)));
    this.closed = true;
    await this.engine.close();
  }
}
