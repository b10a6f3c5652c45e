/**
 * Network: a DAG of layers over one input (NHWC [N, H, W, C] images or
 * [N, F] features), with Add nodes merging two branches (residuals). Forward
 * runs the nodes in the order they were added (a topological order: a node
 * reads only values made before it), backward in reverse, summing the
 * gradients of a value read by several nodes (an Add's input that also
 * feeds the branch). A Network is itself a Layer, so blocks nest:
 *
 *   sequential([conv(...), relu(), residual([conv(...), batchNorm(...)]), relu(), flatten(), dense(...)], { input: [28, 28, 1] })
 *
 * or, for any DAG, graph((b, x) => b.add(b.apply(layer, x, 'branch'), x)),
 * where a value may be named (in messages, and as its ONNX value on export).
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { OnnxNode } from '../../runtime/onnx/write.js';
import { ScratchArrays, type Tensor } from '../../tensor.js';
import { checkDims, checkTensor, fail, typeFail } from '../../validate.js';
import type { Layer, LayerBuffer, Mode, Param } from './layer.js';
import { accumulate } from './matmul.js';
import { Activation } from './layers/activation.js';
import { checkOptions, needForward, view } from './layers/common.js';
import { MaxPool } from './layers/pool.js';

/** A value of a network being built: the network's input or a node's output. */
export interface NetworkValue {
  readonly id: number;
}

/** A node and the value it computes: `output` by id, and by `name` when the builder was given one. */
type NetworkNode = { readonly output: number; readonly name: string | undefined } & (
  | { readonly kind: 'layer'; readonly layer: Layer; readonly input: number }
  | { readonly kind: 'add'; readonly inputs: readonly [number, number] }
);

export interface NetworkOptions {
  /**
   * The dims of one sample without the batch ([H, W, C] for images, [F] for
   * features): shapes are then checked when the network is built (a
   * RangeError naming the layer that does not fit) and forward checks x.
   * A network nested in another takes its dims from where it is used.
   */
  input?: readonly number[];
}

function isLayer(value: unknown): value is Layer {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && ['outputDims', 'forward', 'backward', 'params', 'toOnnx'].every((m) => typeof v[m] === 'function');
}

/** Records nodes in the order they are added; build() makes the Network. */
export class NetworkBuilder {
  readonly input: NetworkValue = { id: 0 };
  private readonly nodes: NetworkNode[] = [];
  private readonly layers = new Set<Layer>();
  private readonly names = new Set<string>();
  private values = 1;

  /** An optional value name: non-empty and unused in this builder. */
  private checkName(name: unknown): string | undefined {
    if (name === undefined) return undefined;
    if (typeof name !== 'string') typeFail('name', `must be a string, got ${typeof name}`);
    if (name.length === 0) fail('name', 'must not be empty');
    if (this.names.has(name)) fail('name', `'${name}' already names a value of this network`);
    this.names.add(name);
    return name;
  }

  private checkValue(name: string, value: unknown): number {
    const id = (value as NetworkValue | null)?.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.values) typeFail(name, 'must be a value of this builder (its input or what apply/add returned)');
    return id;
  }

  /**
   * The layer's output on `x`, named `name` in messages and as the ONNX
   * value on export (default '<output>_<id>'). Each layer object appears
   * once in a network (its forward keeps what its backward needs).
   */
  apply(layer: Layer, x: NetworkValue, name?: string): NetworkValue {
    if (!isLayer(layer)) typeFail('layer', 'must be a Layer (outputDims, forward, backward, params, toOnnx)');
    if (this.layers.has(layer)) fail('layer', `(${layer.kind}) is already in this network: make one layer object per use`);
    const input = this.checkValue('x', x);
    const named = this.checkName(name);
    this.layers.add(layer);
    this.nodes.push({ kind: 'layer', layer, input, output: this.values, name: named });
    return { id: this.values++ };
  }

  /** a + b, elementwise on equal dims; `name` as apply's. */
  add(a: NetworkValue, b: NetworkValue, name?: string): NetworkValue {
    const inputs: [number, number] = [this.checkValue('a', a), this.checkValue('b', b)];
    this.nodes.push({ kind: 'add', inputs, output: this.values, name: this.checkName(name) });
    return { id: this.values++ };
  }

  /** The network computing `output`; nodes it does not need are left out. */
  build(output: NetworkValue, options?: NetworkOptions): Network {
    const id = this.checkValue('output', output);
    if (id === 0) fail('output', 'must be computed by a node, not the input itself');
    const needed = new Set([id]);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!needed.has(node.output)) continue;
      for (const v of node.kind === 'layer' ? [node.input] : node.inputs) needed.add(v);
    }
    return new Network(this.nodes.filter((n) => needed.has(n.output)), id, this.values, options);
  }
}

/** A built network, itself a Layer. Its scratch holds gradient sums at slot = value id and Add results at valueCount + id. */
export class Network implements Layer {
  readonly kind = 'Network';
  /** One sample's dims (without the batch), when given at build. */
  readonly inputDims: readonly number[] | undefined;
  private readonly scratch = new ScratchArrays();
  private forwardDims: (readonly number[])[] | undefined;
  /** The MaxPool nodes (by index) fused with the ReLU below them: see reluPoolPairs. */
  private readonly reluPools: ReadonlyMap<number, ReluPool>;

  /** @internal Use NetworkBuilder, graph() or sequential(). */
  constructor(
    private readonly nodes: readonly NetworkNode[],
    private readonly output: number,
    private readonly valueCount: number,
    options?: NetworkOptions,
  ) {
    const { input } = checkOptions(options);
    checkUniqueNames(this.params(), this.buffers());
    this.reluPools = reluPoolPairs(nodes);
    this.inputDims = input === undefined ? undefined : checkDims('options.input', input);
    if (this.inputDims) this.outputDims([1, ...this.inputDims]);
  }

  /** Output dims for input dims, each node's checked in turn (the layers' RangeErrors name them). */
  outputDims(input: readonly number[]): number[] {
    return [...this.valueDims(input)[this.output]];
  }

  private valueDims(input: readonly number[]): (readonly number[])[] {
    const dims: (readonly number[])[] = [input];
    for (const node of this.nodes) {
      if (node.kind === 'layer') {
        dims[node.output] = node.layer.outputDims(dims[node.input]);
        continue;
      }
      const [a, b] = node.inputs.map((v) => dims[v]);
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) fail(addName(node), `needs inputs of equal dims, got [${a.join(', ')}] and [${b.join(', ')}]`);
      dims[node.output] = a;
    }
    return dims;
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    checkTensor('x', x, ['float32']);
    if (this.inputDims && (x.dims.length !== this.inputDims.length + 1 || this.inputDims.some((d, i) => x.dims[i + 1] !== d)))
      fail('x.dims', `must be [N, ${this.inputDims.join(', ')}] (the network's input), got [${x.dims.join(', ')}]`);
    const values: Tensor<'float32'>[] = [x];
    for (const node of this.nodes) {
      if (node.kind === 'layer') {
        values[node.output] = node.layer.forward(values[node.input], mode);
        continue;
      }
      const [a, b] = node.inputs.map((v) => values[v]);
      if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i]))
        fail(addName(node), `needs inputs of equal dims, got [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
      values[node.output] = cpu.add(a, b, { out: this.scratch.get(this.valueCount + node.output, 'float32', a.data.length) });
    }
    this.forwardDims = mode === 'train' ? values.map((v) => v.dims) : undefined;
    return values[this.output];
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'>;
  /** needInputGrad false: the nodes reading the network's input are told so, and the result is undefined. */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined;
  backward(dy: Tensor<'float32'>, needInputGrad = true): Tensor<'float32'> | undefined {
    const dims = needForward(this.forwardDims, 'Network');
    const grads: (Tensor<'float32'> | undefined)[] = new Array(this.valueCount);
    const owned: boolean[] = new Array(this.valueCount).fill(false);
    // A value read by several nodes sums their gradients in a buffer of its own; one read once passes its gradient on as it is.
    const contribute = (v: number, g: Tensor<'float32'>): void => {
      const current = grads[v];
      if (current === undefined) {
        grads[v] = g;
        return;
      }
      if (!owned[v]) {
        const sum = this.scratch.get(v, 'float32', current.data.length);
        sum.set(current.data);
        grads[v] = view(sum, current.dims);
        owned[v] = true;
      }
      accumulate(grads[v]!.data, g.data);
    };
    contribute(this.output, dy);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const g = grads[node.output];
      if (g === undefined) continue;
      const fused = this.reluPools.get(i);
      // The fused ReLU's output gets no gradient, so the loop passes over it.
      if (fused && unwrapped(fused)) contribute(fused.reluInput, fused.pool.backwardThroughRelu(g));
      else if (node.kind === 'layer') {
        const dx = node.layer.backward(g, needInputGrad || node.input !== 0);
        if (dx) contribute(node.input, dx);
      } else for (const v of node.inputs) if (needInputGrad || v !== 0) contribute(v, g);
    }
    if (!needInputGrad) return undefined;
    return grads[0] ?? view(new Float32Array(dims[0].reduce((a, d) => a * d, 1)), dims[0]);
  }

  /** Every layer's params in node order, each once (layers may share one: an imported initializer two nodes read). */
  params(): Param[] {
    return [...new Set(this.nodes.flatMap((n) => (n.kind === 'layer' ? n.layer.params() : [])))];
  }

  buffers(): LayerBuffer[] {
    return [...new Set(this.nodes.flatMap((n) => (n.kind === 'layer' ? n.layer.buffers?.() ?? [] : [])))];
  }

  /** The layers in node order (nested networks as they are). */
  layers(): Layer[] {
    return this.nodes.flatMap((n) => (n.kind === 'layer' ? [n.layer] : []));
  }

  /** The nodes of every layer and Add; values inside keep their names, or are named '<output>_<id>' (unique where output names are). */
  toOnnx(input: string, output: string): OnnxNode[] {
    const names = new Map(this.nodes.map((n) => [n.output, n.name]));
    const name = (v: number) => (v === 0 ? input : v === this.output ? output : names.get(v) ?? `${output}_${v}`);
    return this.nodes.flatMap((n) =>
      n.kind === 'layer' ? n.layer.toOnnx(name(n.input), name(n.output)) : [{ opType: 'Add', inputs: n.inputs.map(name), outputs: [name(n.output)] }],
    );
  }
}

/** A MaxPool over a ReLU's output, the value the ReLU reads, and both layers' backward methods when the network was built. */
interface ReluPool {
  readonly pool: MaxPool;
  readonly relu: Activation;
  readonly reluInput: number;
  readonly built: readonly [Layer['backward'], Layer['backward']];
}

/**
 * Whether the pair's backward methods are still those the network was built
 * with: qat() replaces them afterwards with ones that fake-quantize around
 * the layers, and those must run (the fused path would skip them).
 */
function unwrapped({ relu, pool, built }: ReluPool): boolean {
  return relu.backward === built[0] && pool.backward === built[1];
}

/**
 * ReLU -> MaxPool pairs whose ReLU output nothing else reads, by the pool's
 * node index (the pool's output leads to the network's, so the ReLU's is
 * not it). Backward takes the pool's
 * backwardThroughRelu as the gradient of the ReLU's input: the same bits
 * as the pool's backward and then the ReLU's, without the ReLU's pass over
 * the image (on the seed CNN's conv outputs, half the time of the two).
 */
function reluPoolPairs(nodes: readonly NetworkNode[]): Map<number, ReluPool> {
  const readers = new Map<number, number>();
  for (const n of nodes) for (const v of n.kind === 'layer' ? [n.input] : n.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  const relus = new Map<number, { relu: Activation; input: number }>();
  for (const n of nodes)
    if (n.kind === 'layer' && n.layer instanceof Activation && n.layer.kind === 'Relu' && readers.get(n.output) === 1) relus.set(n.output, { relu: n.layer, input: n.input });
  const pairs = new Map<number, ReluPool>();
  nodes.forEach((n, i) => {
    if (n.kind !== 'layer' || !(n.layer instanceof MaxPool)) return;
    const below = relus.get(n.input);
    if (below) pairs.set(i, { pool: n.layer, relu: below.relu, reluInput: below.input, built: [below.relu.backward, n.layer.backward] });
  });
  return pairs;
}

/** An Add node in messages: by its value's name, else its id. */
function addName(node: NetworkNode): string {
  return node.name === undefined ? `Add (value ${node.output})` : `Add '${node.name}'`;
}

/** Params and buffers must have distinct names: they become ONNX initializers by name. */
function checkUniqueNames(params: Param[], buffers: LayerBuffer[]): void {
  const seen = new Set<string>();
  for (const p of [...params, ...buffers]) {
    if (seen.has(p.name)) fail('layers', `share the param name '${p.name}': give each layer its own options.name`);
    seen.add(p.name);
  }
}

function checkLayers(name: string, layers: unknown): Layer[] {
  if (!Array.isArray(layers)) typeFail(name, 'must be an array of layers');
  if (layers.length === 0) fail(name, 'must hold at least one layer');
  return layers as Layer[];
}

/**
 * A network built by `build` on a NetworkBuilder from the input value, returning the output value.
 * @throws TypeError/RangeError naming the bad argument or the layer whose shapes do not fit.
 */
export function graph(build: (b: NetworkBuilder, input: NetworkValue) => NetworkValue, options?: NetworkOptions): Network {
  if (typeof build !== 'function') typeFail('build', 'must be a function (builder, input) => output');
  const b = new NetworkBuilder();
  return b.build(build(b, b.input), options);
}

/** The layers one after another. */
export function sequential(layers: readonly Layer[], options?: NetworkOptions): Network {
  const list = checkLayers('layers', layers);
  return graph((b, x) => list.reduce((v, layer, i) => (isLayer(layer) ? b.apply(layer, v) : typeFail(`layers[${i}]`, 'must be a Layer')), x), options);
}

/**
 * A residual block: body(x) + x, or body(x) + shortcut(x) with
 * options.shortcut (a projection where the body changes the shape).
 */
export function residual(body: readonly Layer[], options?: { shortcut?: readonly Layer[] }): Network {
  const list = checkLayers('body', body);
  const { shortcut } = checkOptions(options);
  const projection = shortcut === undefined ? [] : checkLayers('options.shortcut', shortcut);
  return graph((b, x) => b.add(list.reduce((v, l) => b.apply(l, v), x), projection.reduce((v, l) => b.apply(l, v), x)));
}

