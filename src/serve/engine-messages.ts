/** The messages between the server's event loop (engine.ts) and the worker thread that runs the models (engine-worker.ts). */
import type { TensorSpec, Tensors } from './model-spec.js';
import type { RunnerOptions } from './runners.js';

export type EngineRequest =
  | { id: number; kind: 'load'; key: string; file: string }
  | { id: number; kind: 'run'; key: string; inputs: Tensors }
  | { id: number; kind: 'unload'; key: string }
  /** Releases every model (GPU devices included) before the worker is stopped. */
  | { id: number; kind: 'close' };

/** A load's model inputs and outputs, a run's outputs, an unload's null. */
export type EngineResult = Tensors | { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] } | null;

export type EngineReply =
  | { id: number; ok: true; result: EngineResult }
  | { id: number; ok: false; error: { name: string; message: string } };

/** What the worker is started with. */
export type EngineWorkerData = RunnerOptions;
