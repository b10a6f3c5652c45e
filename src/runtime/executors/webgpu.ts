/**
 * The WebGPU executor of a session: runs the prepared graph with the nodes
 * that have GPU kernels (registry.ts) on the GPU and the rest on their CPU
 * kernels. A value lives where it was made and is copied only when the
 * other side reads it (a CPU node downloads its GPU inputs, a GPU kernel
 * uploads a CPU input for its call), so consecutive GPU nodes chain on the
 * GPU. Views (Reshape, Flatten, ...: CPU kernels labelled 'view') of a GPU
 * value stay on the GPU: the CPU kernel computes the new dims on a
 * placeholder of the value, and the GPU tensor is viewed under them; Shape
 * reads a GPU value's dims the same way, without downloading it.
 *
 * A GPU kernel may decline one run's inputs (types or shapes it does not
 * serve, such as an Add of int64 shape values): the node's CPU kernel runs
 * them.
 *
 * Every node is prepared by its CPU handler first (prepare.ts), so both
 * backends accept and reject the same graphs and constant-fold alike; a GPU
 * handler then replaces the CPU kernel where it has one.
 */
import { webgpu, WebGpuBackend } from '../../backends/webgpu/backend.js';
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { typeFail } from '../../validate.js';
import type { Executor, NodeRecord } from '../executor.js';
import { opKey, readers, remainingReaders, type Graph } from '../graph.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import type { NodeRun, RunPolicy } from '../ops/op.js';
import { nodeError, prepareContext, type PreparedNode } from '../prepare.js';
import { VALUE_ARRAYS } from '../value.js';
import { FUSION_PREFIX, type GpuNodeRun } from '../webgpu/node-run.js';
import { GPU_OPS, gpuFusions } from '../webgpu/registry.js';

/**
 * A node with a GPU kernel keeps its CPU kernel for the runs the GPU one
 * declines (GpuNodeRun.takes); its label names the kernel of its last run.
 */
type Step = NodeRecord & ({ where: 'gpu'; gpu: GpuNodeRun; cpu: NodeRun } | { where: 'cpu' | 'view'; cpu: NodeRun });

/** A GPU tensor and the names that hold it (itself or views of it): it is disposed when the last one goes. */
interface Owner {
  tensor: GpuTensor;
  refs: number;
}

/** One value of a run: on the CPU, on the GPU, or both once copied. */
interface Slot {
  cpu?: Value;
  gpu?: GpuTensor;
  owner?: Owner;
}

/**
 * The executor of `prepared` (the CPU-prepared nodes of `graph`) on `gpu`,
 * or on a backend it makes (and destroys in release()).
 * @throws TypeError for a `gpu` that is not a WebGPU backend; the no-adapter error of webgpu().
 */
export async function createGpuExecutor(graph: Graph, prepared: readonly PreparedNode[], policy: RunPolicy,
  gpu: WebGpuBackend | undefined, profiling: boolean): Promise<GpuExecutor> {
  if (gpu !== undefined && !(gpu instanceof WebGpuBackend)) typeFail('options.gpu', 'must be a backend from webgpu()');
  const backend = gpu ?? (await webgpu());
  const steps: Step[] = [];
  try {
    for (const p of prepared) {
      // A fusion a pass added that the GPU kernels do not know: the CPU kernel runs the node.
      const op = opKey(p.node);
      const fused = [...p.node.attributes.keys()].filter((name) => name.startsWith(FUSION_PREFIX));
      const handler = fused.every((name) => gpuFusions(op).has(name)) ? GPU_OPS[op] : undefined;
      let kernel: GpuNodeRun | undefined;
      try {
        kernel = handler?.(prepareContext(graph, p.node, policy), backend);
      } catch (e) {
        throw nodeError(p.node, e);
      }
      const record = { node: p.node, calls: 0, totalMs: 0 };
      if (kernel) steps.push({ ...record, label: kernel.label, where: 'gpu', gpu: kernel, cpu: p.kernel });
      else if (p.kernel.label === 'view') steps.push({ ...record, label: 'view', where: 'view', cpu: p.kernel });
      else steps.push({ ...record, label: `cpu:${p.kernel.label}`, where: 'cpu', cpu: p.kernel });
    }
  } catch (e) {
    disposeSteps(steps);
    if (gpu === undefined) backend.destroy();
    throw e;
  }
  return new GpuExecutor(graph, steps, backend, gpu === undefined, profiling);
}

function disposeSteps(steps: readonly Step[]): void {
  for (const s of steps) if (s.where === 'gpu') s.gpu.dispose?.();
}

export class GpuExecutor implements Executor {
  /** How many nodes and outputs read each value: a run frees a value once its count reaches 0. */
  private readonly readerCounts: ReadonlyMap<string, number>;
  private released = false;

  /** @internal Use createGpuExecutor(). */
  constructor(
    private readonly graph: Graph,
    readonly steps: readonly Step[],
    private readonly gpu: WebGpuBackend,
    private readonly ownsGpu: boolean,
    private readonly profiling: boolean,
  ) {
    this.readerCounts = readers(graph);
  }

  /**
   * Runs the graph on the constants and `feeds` and returns `fetches` as
   * CPU values. A GPU value is given back after its last reader, and
   * everything left when the run ends (or fails).
   * With profiling, each GPU node waits for the GPU, so its time is its own.
   * A run the session's release() overtakes either completes (its GPU work
   * was all queued) or rejects saying so.
   */
  async run(feeds: Map<string, Value>, fetches: readonly string[]): Promise<Record<string, Value>> {
    const remaining = remainingReaders(this.readerCounts, fetches);
    const slots = new Map<string, Slot>();
    for (const [name, v] of [...this.graph.constants, ...feeds]) slots.set(name, { cpu: v });
    try {
      for (const step of this.steps) {
        const start = this.profiling ? performance.now() : 0;
        try {
          await this.runStep(step, slots);
          if (this.profiling && step.where === 'gpu') await this.gpu.sync();
        } catch (e) {
          throw nodeError(step.node, e);
        }
        if (this.profiling) {
          step.totalMs += performance.now() - start;
          step.calls++;
        }
        for (const name of step.node.inputs) {
          const left = (remaining.get(name) ?? 0) - 1;
          remaining.set(name, left);
          if (left === 0 && !this.graph.constants.has(name)) drop(slots, name);
        }
      }
      const result: Record<string, Value> = {};
      for (const name of fetches) {
        const slot = slots.get(name);
        if (slot === undefined) typeFail('fetches', `names "${name}", which is no value of the model`);
        result[name] = await this.onCpu(slot);
      }
      return result;
    } catch (e) {
      // A run still going when the session is released finds its weights disposed or its backend destroyed: say why.
      if (this.released) throw new Error('the session was released while the run was in flight', { cause: e });
      throw e;
    } finally {
      for (const name of [...slots.keys()]) drop(slots, name);
    }
  }

  private async runStep(step: Step, slots: Map<string, Slot>): Promise<void> {
    const { node } = step;
    const inputs = node.inputs.map((name) => (name === '' ? undefined : slots.get(name)));
    const set = (i: number, slot: Slot) => node.outputs[i] !== undefined && node.outputs[i] !== '' && slots.set(node.outputs[i], slot);
    if (step.where === 'gpu') {
      const values = inputs.map((slot) => slot?.gpu ?? slot?.cpu);
      const onGpu = step.gpu.takes?.(values) ?? true;
      step.label = onGpu ? step.gpu.label : `cpu:${step.cpu.label}`;
      if (onGpu) {
        const y = await step.gpu.run(values);
        set(0, { gpu: y, owner: { tensor: y, refs: 1 } });
        return;
      }
    }
    const x = inputs[0];
    if (step.where === 'view' && x?.gpu && !x.cpu) {
      set(0, this.view(node, step.cpu, x, await this.cpuInputs(inputs.slice(1))));
      return;
    }
    if (DIMS_ONLY.has(step.cpu.label) && x?.gpu && !x.cpu) {
      step.cpu.run([placeholder(x.gpu)]).forEach((v, i) => v !== undefined && set(i, { cpu: v }));
      return;
    }
    const outputs = step.cpu.run(await this.cpuInputs(inputs));
    outputs.forEach((v, i) => v !== undefined && set(i, { cpu: v }));
  }

  /**
   * A view of GPU-resident x: the CPU kernel runs on a placeholder of x's
   * type and dims (view kernels read only dims: shape.ts) and its result's
   * dims view x's buffer.
   */
  private view(node: OnnxNode, kernel: NodeRun, x: Slot, rest: (Value | undefined)[]): Slot {
    const t = x.gpu!;
    const stand = placeholder(t);
    const [y] = kernel.run([stand, ...rest]);
    if (y.data !== stand.data) throw new Error(`sparq webgpu: the view kernel of ${node.opType} did not return a view of its input`);
    x.owner!.refs++;
    return { gpu: t.view(y.dims), owner: x.owner };
  }

  private cpuInputs(inputs: readonly (Slot | undefined)[]): Promise<(Value | undefined)[]> {
    return Promise.all(inputs.map((s) => (s === undefined ? undefined : this.onCpu(s))));
  }

  /** The slot's value on the CPU, downloaded once. */
  private async onCpu(slot: Slot): Promise<Value> {
    if (slot.cpu === undefined) {
      const t = await this.gpu.download(slot.gpu!);
      slot.cpu = { type: t.type, dims: [...t.dims], data: t.data };
    }
    return slot.cpu;
  }

  /** Frees the GPU weights and an owned backend. */
  release(): void {
    this.released = true;
    disposeSteps(this.steps);
    if (this.ownsGpu) this.gpu.destroy();
  }
}

/** CPU kernels that read only their input's dims (Shape): they run on a placeholder of a GPU value, so it is not downloaded. */
const DIMS_ONLY: ReadonlySet<string> = new Set(['shape']);

/** A value of t's type and dims without elements, for kernels that read only dims. */
function placeholder(t: GpuTensor): Value {
  return { type: t.type, dims: [...t.dims], data: new VALUE_ARRAYS[t.type](0) };
}

/** Forgets a value; its GPU tensor goes back once no name holds it. */
function drop(slots: Map<string, Slot>, name: string): void {
  const slot = slots.get(name);
  slots.delete(name);
  if (slot?.owner && --slot.owner.refs === 0) slot.owner.tensor.dispose();
}
