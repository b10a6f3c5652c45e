/**
 * InferenceSession: sparq's runtime for ONNX CNNs, shaped like
 * onnxruntime-node's (create / run / inputNames / outputNames / release).
 * Creation reads the model, checks every operator, runs the graph passes,
 * folds what is constant and prepares every node once (prepare.ts: weights
 * packed, the dense or sparse kernel chosen), and hands the prepared nodes to
 * the executor of its backend (executors/); run() checks the feeds and
 * fetches and has the executor run the prepared kernels.
 */
import { cpu } from '../backends/cpu/backend.js';
import type { WebGpuBackend } from '../backends/webgpu/backend.js';
import { collectInto, collectNative, type NativeOwner } from '../native-lifetime.js';
import { checkLimits, withLimits, type Limits } from '../limits.js';
import { checkInt, checkObject, checkOneOf, typeFail } from '../validate.js';
import type { Executor } from './executor.js';
import { CpuExecutor } from './executors/cpu.js';
import { createGpuExecutor } from './executors/webgpu.js';
import { checkFeed } from './feeds.js';
import { buildGraph, type Graph } from './graph.js';
import type { OnnxModel, OnnxValueInfo, Value } from './onnx/model.js';
import { loadOnnx, readOnnx } from './onnx/read.js';
import { convLayoutCost } from './ops/conv-layout-cost.js';
import { nhwcConv } from './ops/conv-nhwc.js';
import { runPasses } from './passes/index.js';
import { chooseNhwc } from './passes/nhwc-choice.js';
import { nhwcLayout } from './passes/nhwc-layout.js';
import { prepareGraph } from './prepare.js';

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
  /**
   * The layout of the activations between convs on a 'cpu' session (default
   * 'auto'). 'nhwc' moves the convs the channels-last operator runs, and the
   * nodes between them, to [N, H, W, C], with transposes at the edges only;
   * inputs, outputs and every value fetched by its model name keep the
   * model's layout. 'nchw' keeps the model's layout throughout. 'auto'
   * decides per model (passes/nhwc-choice.ts: NHWC when a 1x1 or depthwise
   * conv moves and at most one transpose is needed inside the model), and
   * is 'nchw' with options.optimize false.
   * A 'webgpu' session runs NCHW: 'nhwc' there is a TypeError.
   */
  layout?: 'auto' | 'nchw' | 'nhwc';
  /** Record per-node times on every run, for profile(). */
  profile?: boolean;
  /**
   * Size limits for this session, over the process's (setLimits()): the
   * model's bytes, and every tensor it loads, is fed or computes (on the
   * CPU or the GPU), each refused with a LimitError before it is read or
   * allocated.
   */
  limits?: Partial<Limits>;
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

export type Feeds = Record<string, { type: string; dims: readonly number[]; data: unknown }>;

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private released = false;

  private constructor(
    private readonly graph: Graph,
    private readonly executor: Executor,
    /** The native weights preparing the nodes made, freed in release(). */
    private readonly owned: NativeOwner[],
    /** options.limits, in force while the session runs. */
    private readonly limits: Partial<Limits>,
  ) {
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs.map((o) => o.name);
  }

  /**
   * Loads and prepares a model from an .onnx path (external data read beside it) or its bytes.
   * @throws OnnxLoadError for a malformed file, ModelError for an unsupported or inconsistent graph, TypeError/RangeError for bad options,
   *   LimitError (a RangeError) for a model or a tensor over the limits.
   */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    checkObject('options', options);
    const overrides = options.limits === undefined ? {} : checkLimits('options.limits', options.limits);
    return withLimits(overrides, () => InferenceSession.load(model, options, overrides));
  }

  private static async load(model: string | Uint8Array, options: SessionOptions, limits: Partial<Limits>): Promise<InferenceSession> {
    const backend = checkOneOf('options.backend', options.backend ?? 'cpu', ['cpu', 'webgpu'] as const);
    if (options.gpu !== undefined && backend !== 'webgpu') typeFail('options.gpu', "needs options.backend 'webgpu'");
    if (options.threads !== undefined) cpu.setThreads(checkInt('options.threads', options.threads, 1, 256));
    const sparsity = checkOneOf('options.sparsity', options.sparsity ?? 'auto', ['auto', 'off'] as const);
    const layout = checkOneOf('options.layout', options.layout ?? 'auto', ['auto', 'nchw', 'nhwc'] as const);
    if (layout === 'nhwc' && backend !== 'cpu') typeFail('options.layout', "'nhwc' needs options.backend 'cpu' (a 'webgpu' session runs NCHW)");
    const optimize = options.optimize ?? true;
    let proto: OnnxModel;
    if (typeof model === 'string') proto = await loadOnnx(model);
    else if (model instanceof Uint8Array) proto = readOnnx(model);
    else typeFail('model', 'must be a path or a Uint8Array of ONNX bytes');
    const graph = buildGraph(proto);
    if (optimize) runPasses(graph, backend);
    // Last, on the graph the other passes left: the channels-last convs see their fused post-ops.
    const policy = { sparse: sparsity === 'auto' };
    const moving = layout === 'nhwc' ? nhwcConv : layout === 'auto' && optimize ? chooseNhwc(graph, nhwcConv, (n) => convLayoutCost(n, graph.constants, policy.sparse)) : undefined;
    if (backend === 'cpu' && moving) nhwcLayout(graph, moving);
    const { result: prepared, owners } = collectNative(() => prepareGraph(graph, policy));
    const profiling = options.profile ?? false;
    if (backend === 'cpu') return new InferenceSession(graph, new CpuExecutor(graph, prepared, profiling), owners, limits);
    try {
      return new InferenceSession(graph, await createGpuExecutor(graph, prepared, policy, options.gpu, profiling), owners, limits);
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
    // The plans a run makes (on each node's first run of a shape) are the session's to free in release().
    return withLimits(this.limits, () => collectInto(this.owned, () => this.executor.run(this.feedValues(feeds), fetches)));
  }

  /**
   * run() on the calling thread, returning the outputs directly.
   * @throws TypeError on a 'webgpu' session, whose GPU work only run() can wait for.
   */
  runSync(feeds: Feeds, fetches: readonly string[] = this.outputNames): Record<string, Value> {
    const executor = this.executor;
    if (!(executor instanceof CpuExecutor)) throw new TypeError("runSync() runs backend 'cpu' sessions only; this session runs on 'webgpu': use run()");
    return withLimits(this.limits, () => collectInto(this.owned, () => executor.runSync(this.feedValues(feeds), fetches)));
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

  /** Per-node kernel and time, in execution order (times need options.profile). */
  profile(): NodeProfile[] {
    return this.executor.steps.map((p) => ({ node: p.node.name, opType: p.node.opType, kernel: p.label, calls: p.calls, totalMs: p.totalMs }));
  }

  /**
   * The names of the values run() computes, in execution order: the run-time
   * inputs, then each prepared node's outputs. Values the passes fused away
   * (a Conv's output before its fused Relu, ...) and folded constants are not among them.
   */
  valueNames(): string[] {
    return [...this.inputNames, ...this.executor.steps.flatMap((p) => p.node.outputs.filter((name) => name !== ''))];
  }

  /** The value infos of the inputs the model expects. */
  get inputs(): readonly OnnxValueInfo[] {
    return this.graph.inputs;
  }

  /** The value infos of the model's outputs, as the file declares them. */
  get outputs(): readonly OnnxValueInfo[] {
    return this.graph.outputs;
  }

  /**
   * Frees the prepared weights at once (native memory, GPU buffers) and
   * destroys a GPU backend the session made; run() then rejects.
   */
  async release(): Promise<void> {
    if (!this.released) {
      this.executor.release();
      for (const o of this.owned) o.dispose();
      this.owned.length = 0;
    }
    this.released = true;
    this.graph.constants.clear();
  }
}
