/**
 * The CPU executor: runs the prepared nodes in order on the calling thread.
 * Constants are read where they are, not copied into every run's values,
 * and outputs take their storage from a pool reused across runs (buffers.ts).
 */
import { typeFail } from '../../validate.js';
import { BufferPool } from '../buffers.js';
import type { Executor } from '../executor.js';
import type { Graph } from '../graph.js';
import type { Value } from '../onnx/model.js';
import { nodeError, type PreparedNode } from '../prepare.js';

export class CpuExecutor implements Executor {
  /** Storage of intermediate values, reused across runs. */
  private readonly buffers = new BufferPool();

  constructor(
    private readonly graph: Graph,
    readonly steps: PreparedNode[],
    private readonly profiling: boolean,
  ) {}

  async run(feeds: Map<string, Value>, fetches: readonly string[], remaining: Map<string, number>): Promise<Record<string, Value>> {
    return this.runSync(feeds, fetches, remaining);
  }

  /** run() on the calling thread, returning the values directly; `env` (the feeds) gathers the run's values. */
  runSync(env: Map<string, Value>, fetches: readonly string[], remaining: Map<string, number>): Record<string, Value> {
    const constants = this.graph.constants;
    try {
      for (const p of this.steps) {
        const inputs = p.node.inputs.map((name) => (name === '' ? undefined : env.get(name) ?? constants.get(name)));
        const start = this.profiling ? performance.now() : 0;
        let outputs: Value[];
        try {
          outputs = p.kernel.run(inputs, this.buffers.take);
        } catch (e) {
          throw nodeError(p.node, e);
        }
        if (this.profiling) {
          p.totalMs += performance.now() - start;
          p.calls++;
        }
        p.node.outputs.forEach((name, i) => {
          if (name === '' || outputs[i] === undefined) return;
          env.set(name, outputs[i]);
          this.buffers.hold(outputs[i].data);
        });
        for (const name of p.node.inputs) {
          const left = (remaining.get(name) ?? 0) - 1;
          remaining.set(name, left);
          if (left !== 0 || constants.has(name)) continue;
          const dead = env.get(name);
          env.delete(name);
          if (dead) this.buffers.drop(dead.data);
        }
      }
    } finally {
      this.buffers.endRun();
    }
    const result: Record<string, Value> = {};
    for (const name of fetches) {
      const v = env.get(name) ?? constants.get(name);
      if (v === undefined) typeFail('fetches', `names "${name}", which is no value of the model`);
      result[name] = v;
    }
    return result;
  }

  /** Forgets the prepared nodes (their native weights are the session's to free) and the pooled buffers. */
  release(): void {
    this.steps.length = 0;
    this.buffers.clear();
  }
}
