/**
 * The CPU executor: runs the prepared nodes in order on the calling thread.
 * Every value of the graph has a slot, numbered once at creation, so a run
 * moves values between slots by index instead of looking names up; which
 * slots die after which node is worked out once per set of fetches. Constants
 * stay in their slots across runs, and outputs take their storage from a
 * pool reused across runs (buffers.ts), cache-line aligned where the addon
 * runs the kernels.
 */
import { typeFail } from '../../validate.js';
import { native } from '../../native.js';
import { ALIGNMENT, BufferPool, type AlignmentGap } from '../buffers.js';
import type { Executor } from '../executor.js';
import type { Graph } from '../graph.js';
import type { Value } from '../onnx/model.js';
import { nodeError, type PreparedNode } from '../prepare.js';

/** A prepared node with its inputs' and outputs' slots (-1: omitted). */
interface Step {
  prepared: PreparedNode;
  inputs: Int32Array;
  outputs: Int32Array;
  /** The node's input values, refilled on every run (kernels only read it while they run). */
  args: (Value | undefined)[];
}

/** What a run fetching some set of values frees: after step i, the slots drops[i] (values nothing reads any more). */
interface FetchPlan {
  slots: Int32Array;
  drops: Int32Array[];
}

/** The addon's alignmentGap at ALIGNMENT; none on the reference backend, whose loops gain nothing from it. */
function alignmentGap(): AlignmentGap | undefined {
  const addon = native();
  return addon ? (buffer) => addon.alignmentGap(buffer, ALIGNMENT) : undefined;
}

export class CpuExecutor implements Executor {
  /** Storage of intermediate values, reused across runs. */
  private readonly buffers = new BufferPool(alignmentGap());
  private readonly slotOf = new Map<string, number>();
  /** The values of a run by slot; constants' slots keep theirs between runs. */
  private readonly values: (Value | undefined)[] = [];
  /** Slots a run fills (feeds, node outputs), cleared when it ends. */
  private readonly runSlots: number[] = [];
  private readonly plans = new Map<string, FetchPlan>();
  private readonly program: Step[];

  constructor(
    private readonly graph: Graph,
    readonly steps: PreparedNode[],
    private readonly profiling: boolean,
  ) {
    for (const [name, v] of graph.constants) this.values[this.slot(name)] = v;
    for (const input of graph.inputs) this.runSlots.push(this.slot(input.name));
    this.program = steps.map((prepared) => {
      const { inputs, outputs } = prepared.node;
      const outSlots = Int32Array.from(outputs, (name) => (name === '' ? -1 : this.slot(name)));
      for (const s of outSlots) if (s >= 0) this.runSlots.push(s);
      return { prepared, inputs: Int32Array.from(inputs, (name) => (name === '' ? -1 : this.slot(name))), outputs: outSlots, args: inputs.map(() => undefined) };
    });
  }

  private slot(name: string): number {
    let s = this.slotOf.get(name);
    if (s === undefined) {
      s = this.slotOf.size;
      this.slotOf.set(name, s);
    }
    return s;
  }

  async run(feeds: Map<string, Value>, fetches: readonly string[]): Promise<Record<string, Value>> {
    return this.runSync(feeds, fetches);
  }

  /** run() on the calling thread, returning the values directly. */
  runSync(feeds: Map<string, Value>, fetches: readonly string[]): Record<string, Value> {
    const plan = this.fetchPlan(fetches);
    const { values, buffers, program, profiling } = this;
    try {
      for (const [name, v] of feeds) values[this.slotOf.get(name)!] = v;
      for (let i = 0; i < program.length; i++) {
        const { prepared, inputs, outputs: outSlots, args } = program[i];
        for (let j = 0; j < inputs.length; j++) args[j] = inputs[j] < 0 ? undefined : values[inputs[j]];
        const start = profiling ? performance.now() : 0;
        let outputs: Value[];
        try {
          outputs = prepared.kernel.run(args, buffers.take);
        } catch (e) {
          throw nodeError(prepared.node, e);
        }
        if (profiling) {
          prepared.totalMs += performance.now() - start;
          prepared.calls++;
        }
        for (let j = 0; j < outSlots.length; j++) {
          const out = outputs[j];
          if (outSlots[j] < 0 || out === undefined) continue;
          values[outSlots[j]] = out;
          buffers.hold(out.data);
        }
        for (const s of plan.drops[i]) {
          const dead = values[s];
          values[s] = undefined;
          if (dead) buffers.drop(dead.data);
        }
      }
      const result: Record<string, Value> = {};
      plan.slots.forEach((s, i) => {
        const v = values[s];
        if (v === undefined) typeFail('fetches', `names "${fetches[i]}", which is no value of the model`);
        result[fetches[i]] = v;
      });
      return result;
    } finally {
      for (const s of this.runSlots) values[s] = undefined;
      buffers.endRun();
    }
  }

  /**
   * The fetches' slots and, per step, the values it reads last: those that
   * are neither constants, graph outputs nor fetched (all of which outlive the run).
   */
  private fetchPlan(fetches: readonly string[]): FetchPlan {
    const key = fetches.join('\0');
    const known = this.plans.get(key);
    if (known) return known;
    const slots = Int32Array.from(fetches, (name) => {
      const s = this.slotOf.get(name);
      if (s === undefined) typeFail('fetches', `names "${name}", which is no value of the model`);
      return s;
    });
    const kept = new Set([...slots, ...this.graph.outputs.map((o) => this.slotOf.get(o.name) ?? -1)]);
    for (const name of this.graph.constants.keys()) kept.add(this.slotOf.get(name)!);
    const lastReader = new Map<number, number>();
    this.program.forEach((step, i) => step.inputs.forEach((s) => s >= 0 && lastReader.set(s, i)));
    const drops = this.program.map(() => [] as number[]);
    for (const [s, i] of lastReader) if (!kept.has(s)) drops[i].push(s);
    // A bound keeps callers fetching ever-new sets from growing it.
    if (this.plans.size >= 16) this.plans.clear();
    const plan = { slots, drops: drops.map((d) => Int32Array.from(d)) };
    this.plans.set(key, plan);
    return plan;
  }

  /** Forgets the prepared nodes (their native weights are the session's to free), the constants it held and the pooled buffers. */
  release(): void {
    this.steps.length = 0;
    this.program.length = 0;
    this.values.length = 0;
    this.buffers.clear();
  }
}
