/**
 * What runs a session's prepared graph. prepare.ts prepares every node on
 * the CPU once; the session then makes one executor from them at creation
 * (the CPU one, or the WebGPU one that moves the nodes it has GPU kernels
 * for), runs it once per run() and releases it once.
 */
import type { OnnxNode, Value } from './onnx/model.js';

/** A node as profile() reports it. */
export interface NodeRecord {
  node: OnnxNode;
  /** The kernel's label. */
  label: string;
  calls: number;
  totalMs: number;
}

export interface Executor {
  /** The nodes in execution order, as profile() and valueNames() report them. */
  readonly steps: readonly NodeRecord[];
  /**
   * Runs the graph on `feeds` (checked, by name) and returns the `fetches`
   * values on the CPU, freeing each other value after its last reader.
   * @throws TypeError for a fetch that names no value of the model; a node's error named by nodeError().
   */
  run(feeds: Map<string, Value>, fetches: readonly string[]): Promise<Record<string, Value>>;
  /** Frees what the executor holds (pooled buffers, GPU weights, a GPU backend it made); it is not run again. */
  release(): void;
}
