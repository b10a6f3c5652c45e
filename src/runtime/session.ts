/**
 * InferenceSession: sparq's runtime for ONNX CNNs, shaped like
 * onnxruntime-node's (create / run / inputNames / outputNames / release).
 * Creation reads the model, checks every operator, runs the graph passes,
 * folds what is constant and prepares every node once (weights packed, the
 * dense or sparse kernel chosen); run() only executes the prepared kernels.
 */
import { cpu } from '../backends/cpu/backend.js';
import { collectNative, type NativeOwner } from '../native-lifetime.js';
import { checkInt, checkObject, checkOneOf, typeFail } from '../validate.js';
import { buildGraph, opKey, readers, type Graph } from './graph.js';
import type { OnnxModel, OnnxNode, OnnxValueInfo, Value } from './onnx/model.js';
import { loadOnnx, readOnnx } from './onnx/read.js';
import { Attributes, ModelError, type NodeRun, type RunPolicy, type PrepareContext } from './ops/op.js';
import { OPS } from './ops/registry.js';
import { runPasses } from './passes/index.js';
import { checkFeed } from './feeds.js';
import { BufferPool } from './buffers.js';
import type { WebGpuBackend } from '../backends/webgpu/backend.js';
import { createGpuExecutor, type GpuExecutor } from './webgpu/executor.js';

export interface SessionOptions {
  /**
   * Where the kernels run (default 'cpu'). 'webgpu' runs the nodes with GPU
   * kernels on the GPU (values stay there between them) and the others on
   * the CPU; run() is then the only way to run (runSync() throws).
   */
  backend?: 'cpu' | 'webgpu';
  /** The WebGPU backend to run on (from webgpu()); default: the session makes one and destroys it in release(). */
  gpu?: WebGpuBackend;
  /** CPU threads for the kernels (cpu.setThreads; default: all cores). */
  threads?: number;
  /** 'auto' (default): layers whose weights are sparse enough run on the sparse kernels; 'off': always dense. */
  sparsity?: 'auto' | 'off';
  /** Graph passes (default true): BatchNormalization folding, activation fusion, QDQ to integer kernels. */
  optimize?: boolean;
  /** Record per-node times on every run, for profile(). */
  profile?: boolean;
}

export interface NodeProfile {
  node: string;
  opType: string;
  /** The kernel the node runs on. */
  kernel: string;
  calls: number;
  /** Total milliseconds over all runs. */
  totalMs: number;
}

/** A node as profile() reports it. */
export interface NodeRecord {
  node: OnnxNode;
  /** The kernel's label. */
  label: string;
  calls: number;
  totalMs: number;
}

export interface PreparedNode extends NodeRecord {
  kernel: NodeRun;
}

export type Feeds = Record<string, { type: string; dims: readonly number[]; data: unknown }>;

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private released = false;
  /** Storage of intermediate values, reused across runs. */
  private readonly buffers = new BufferPool();
  /** How many nodes and outputs read each value: a run frees a value once its count reaches 0. */
  private readonly readerCounts: ReadonlyMap<string, number>;

  /** The nodes in execution order, as the executor runs them. */
  private readonly steps: readonly NodeRecord[];

  private constructor(
    private readonly graph: Graph,
    private readonly prepared: PreparedNode[],
    /** The native weights preparing the nodes made, freed in release(). */
    private readonly owned: NativeOwner[],
    private readonly profiling: boolean,
    private readonly gpu?: GpuExecutor,
  ) {
    this.steps = gpu?.steps ?? prepared;
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs.map((o) => o.name);
    this.readerCounts = readers(graph);
  }

  /**
   * Loads and prepares a model from an .onnx path (external data read beside it) or its bytes.
   * @throws OnnxLoadError for a malformed file, ModelError for an unsupported or inconsistent graph, TypeError/RangeError for bad options.
   */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    checkObject('options', options);
    const backend = checkOneOf('options.backend', options.backend ?? 'cpu', ['cpu', 'webgpu'] as const);
    if (options.gpu !== undefined && backend !== 'webgpu') typeFail('options.gpu', "needs options.backend 'webgpu'");
    if (options.threads !== undefined) cpu.setThreads(checkInt('options.threads', options.threads, 1, 256));
    const sparsity = checkOneOf('options.sparsity', options.sparsity ?? 'auto', ['auto', 'off'] as const);
    let proto: OnnxModel;
    if (typeof model === 'string') proto = await loadOnnx(model);
    else if (model instanceof Uint8Array) proto = readOnnx(model);
    else typeFail('model', 'must be a path or a Uint8Array of ONNX bytes');
    const graph = buildGraph(proto);
    if (options.optimize ?? true) runPasses(graph);
    const policy = { sparse: sparsity === 'auto' };
    const { result: prepared, owners } = collectNative(() => prepareGraph(graph, policy));
    const profiling = options.profile ?? false;
    if (backend === 'cpu') return new InferenceSession(graph, prepared, owners, profiling);
    try {
      return new InferenceSession(graph, [], owners, profiling, await createGpuExecutor(graph, prepared, policy, options.gpu, profiling));
    } catch (e) {
      for (const o of owners) o.dispose();
      throw e;
    }
  }

  /**
   * Runs the model. Feeds are checked like onnxruntime checks them (every
   * input given, known names, types and fixed dims). `fetches` may name any
   * value of the graph, intermediate ones too (default: the outputs).
   */
  async run(feeds: Feeds, fetches: readonly string[] = this.outputNames): Promise<Record<string, Value>> {
    if (!this.gpu) return this.runSync(feeds, fetches);
    const env = new Map([...this.graph.constants, ...this.feedValues(feeds)]);
    return this.gpu.run(env, fetches, this.remainingReaders(fetches));
  }

  /**
   * run() on the calling thread, returning the outputs directly.
   * @throws TypeError on a 'webgpu' session, whose GPU work only run() can wait for.
   */
  runSync(feeds: Feeds, fetches: readonly string[] = this.outputNames): Record<string, Value> {
    if (this.gpu) throw new TypeError("runSync() runs backend 'cpu' sessions only; this session runs on 'webgpu': use run()");
    // Constants are read where they are, not copied into every run's values.
    const env = this.feedValues(feeds);
    const constants = this.graph.constants;
    const remaining = this.remainingReaders(fetches);
    try {
      for (const p of this.prepared) {
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

  /** The checked feeds, by name. */
  private feedValues(feeds: Feeds): Map<string, Value> {
    if (this.released) throw new Error('the session was released');
    checkObject('feeds', feeds);
    const env = new Map<string, Value>();
    for (const name of Object.keys(feeds)) if (!this.inputNames.includes(name)) typeFail('feeds', `has "${name}", which is not an input of the model (inputs: ${this.inputNames.join(', ')})`);
    for (const info of this.graph.inputs) env.set(info.name, checkFeed(info, feeds[info.name]));
    return env;
  }

  /** Readers left per value for a run fetching `fetches` (each fetch reads its value once more). */
  private remainingReaders(fetches: readonly string[]): Map<string, number> {
    const remaining = new Map(this.readerCounts);
    for (const name of new Set(fetches)) remaining.set(name, (remaining.get(name) ?? 0) + 1);
    return remaining;
  }

  /** Per-node kernel and time, in execution order (times need options.profile). */
  profile(): NodeProfile[] {
    return this.steps.map((p) => ({ node: p.node.name, opType: p.node.opType, kernel: p.label, calls: p.calls, totalMs: p.totalMs }));
  }

  /**
   * The names of the values run() computes, in execution order: the run-time
   * inputs, then each prepared node's outputs. Values the passes fused away
   * (a Conv's output before its fused Relu, ...) and folded constants are not among them.
   */
  valueNames(): string[] {
    return [...this.inputNames, ...this.steps.flatMap((p) => p.node.outputs.filter((name) => name !== ''))];
  }

  /** The value infos of the inputs the model expects. */
  get inputs(): readonly OnnxValueInfo[] {
    return this.graph.inputs;
  }

  /**
   * Frees the prepared weights at once (native memory, GPU buffers) and
   * destroys a GPU backend the session made; run() then rejects.
   */
  async release(): Promise<void> {
    if (!this.released) {
      this.gpu?.release();
      for (const o of this.owned) o.dispose();
      this.owned.length = 0;
    }
    this.released = true;
    this.prepared.length = 0;
    this.graph.constants.clear();
    this.buffers.clear();
  }
}

/** `e` with the node it happened in named first (a ModelError stays one). */
export function nodeError(node: OnnxNode, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  const where = `node "${node.name}" (${node.opType})`;
  if (e instanceof ModelError) return new ModelError(`${where}: ${message}`);
  const error = e instanceof Error ? e : new Error(message);
  error.message = `${where}: ${message}`;
  return error;
}

/**
 * Prepares every node; a node whose inputs are all constants runs once here
 * and its outputs become constants (constant folding: weight
 * DequantizeLinear, shape arithmetic on fixed shapes, Constant nodes).
 */
function prepareGraph(graph: Graph, policy: RunPolicy): PreparedNode[] {
  const prepared: PreparedNode[] = [];
  for (const node of graph.nodes) {
    const ctx = prepareContext(graph, node, policy);
    const constants = ctx.constants;
    let kernel: NodeRun;
    try {
      kernel = OPS[opKey(node)](ctx);
    } catch (e) {
      throw nodeError(node, e);
    }
    const foldable = node.inputs.every((name, i) => name === '' || constants[i] !== undefined);
    if (foldable) {
      let outputs: Value[];
      try {
        outputs = kernel.run(constants);
      } catch (e) {
        throw nodeError(node, e);
      }
      node.outputs.forEach((name, i) => name !== '' && outputs[i] !== undefined && graph.constants.set(name, outputs[i]));
    } else {
      prepared.push({ node, kernel, label: kernel.label, calls: 0, totalMs: 0 });
    }
  }
  return prepared;
}

/** What a handler sees of `node`: its opset, the constants among its inputs, its attributes, the policy. */
export function prepareContext(graph: Graph, node: OnnxNode, policy: RunPolicy): PrepareContext {
  const constants = node.inputs.map((name) => graph.constants.get(name));
  const opset = graph.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? graph.opsets.get('') ?? 0;
  return { node, opset, constants, attributes: new Attributes(node), policy };
}
