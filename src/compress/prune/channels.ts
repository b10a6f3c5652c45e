/**
 * Channel (filter) pruning, a structure change: whole output channels of a
 * Conv go (the smallest by the L1 or L2 norm of their weights), and so does
 * everything that reads them, along the chain from the conv's output to the
 * next layer that sums over channels:
 * - the conv's weight rows and bias entries;
 * - per-channel ops on the way: BatchNormalization's four parameters, and
 *   ops that keep channels apart (activations, pools, Identity, Dropout);
 * - a depthwise conv on the way (one channel per group): its weight rows,
 *   bias entries and group count, and the chain goes on from its output;
 * - the end: the next Conv's input channels, or a Flatten (axis 1) into a
 *   Gemm or MatMul, whose input features c * H * W .. (c + 1) * H * W - 1
 *   go for channel c (ONNX's Flatten of NCHW).
 * A conv is left whole, with the reason in its report entry, unless the
 * chain is provably a single path: every value on it read by exactly one
 * node and none a graph output (a branch or a residual Add would need the
 * same channels gone from the other operand), every parameter a float32
 * initializer read by that node alone, nothing else on the way. Scores are
 * taken from the weights as given (input channels another cut removes
 * included).
 */
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../runtime/onnx/write.js';
import { checkInt, checkObject, checkOneOf, fail, typeFail } from '../../validate.js';
import { checkGraph } from '../quantize-qdq.js';

export interface PruneChannelsOptions {
  /** The fraction of each conv's output channels to remove, in [0, 1): round(ratio x channels), one channel always kept (see `multiple`). */
  ratio: number;
  /** A channel's score: the L1 (default) or L2 norm of its weights. */
  norm?: 'l1' | 'l2';
  /**
   * Kept channels rounded up to a multiple of this (default 1): 4 keeps the
   * next layer's input channels in whole N:M groups and [4 x 4] int8 blocks,
   * and this layer's outputs in whole [4 x 1] blocks.
   */
  multiple?: number;
  /** The Conv nodes to prune, by name (default: every Conv). */
  nodes?: readonly string[];
}

export interface PrunedChannels {
  node: string;
  weight: string;
  /** Output channels before. */
  channels: number;
  /** The channels removed (indices before), ascending; empty where refused. */
  removed: number[];
  /** Why the conv was left whole. */
  refused?: string;
}

/** Ops that act on each channel apart and keep the channel count, so the chain runs through them. */
const CHANNELWISE = new Set(['Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Identity', 'Dropout']);

/** One axis of one initializer to shrink: entry i goes where `removed` holds floor(i / span). */
interface Cut {
  tensor: string;
  axis: number;
  removed: ReadonlySet<number>;
  span: number;
}

/** What removing a conv's channels changes: initializer cuts, depthwise group counts, and the values whose shapes change. */
interface Plan {
  cuts: Cut[];
  groups: Map<OnnxNode, number>;
  values: string[];
}

interface Context {
  init: Map<string, OnnxTensor>;
  /** Node inputs reading each name. */
  readers: Map<string, { node: OnnxNode; index: number }[]>;
  outputs: Set<string>;
}

/**
 * Removes `options.ratio` of the output channels of each chosen Conv and
 * shrinks what reads them (see the header); returns the new graph (the input
 * is not touched) and a report entry per chosen conv, in graph order.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function pruneChannels(graph: OnnxGraph, options: PruneChannelsOptions): { graph: OnnxGraph; layers: PrunedChannels[] } {
  checkGraph(graph);
  checkObject('options', options);
  const ratio = options.ratio;
  if (typeof ratio !== 'number') typeFail('options.ratio', `must be a number, got ${typeof ratio}`);
  if (!(ratio >= 0 && ratio < 1)) fail('options.ratio', `must be in [0, 1), got ${ratio}`);
  const norm = checkOneOf('options.norm', options.norm ?? 'l1', ['l1', 'l2'] as const);
  const multiple = options.multiple === undefined ? 1 : checkInt('options.multiple', options.multiple, 1, 2 ** 16);
  const convs = chosenConvs(graph, options.nodes);
  const ctx: Context = { init: new Map((graph.initializers ?? []).map((t) => [t.name, t])), readers: new Map(), outputs: new Set(graph.outputs.map((o) => o.name)) };
  for (const node of graph.nodes)
    node.inputs.forEach((name, index) => { if (name !== '') ctx.readers.set(name, [...(ctx.readers.get(name) ?? []), { node, index }]); });
  const plans: Plan[] = [];
  const layers = convs.map((conv): PrunedChannels => {
    const weight = ctx.init.get(conv.inputs[1]);
    const entry: PrunedChannels = { node: nodeName(conv), weight: conv.inputs[1], channels: weight?.dims[0] ?? 0, removed: [] };
    const why = sourceRefusal(ctx, conv, weight);
    if (why !== undefined) return { ...entry, refused: why };
    const kept = Math.min(entry.channels, Math.ceil(Math.max(1, entry.channels - Math.round(ratio * entry.channels)) / multiple) * multiple);
    const removed = weakestChannels(weight!, entry.channels - kept, norm);
    if (removed.length === 0) return entry;
    const plan = planChain(ctx, conv, new Set(removed), entry.channels);
    if (typeof plan === 'string') return { ...entry, refused: plan };
    plans.push(plan);
    return { ...entry, removed };
  });
  const cuts = plans.flatMap((p) => p.cuts);
  const groups = new Map(plans.flatMap((p) => [...p.groups]));
  const changed = new Set(plans.flatMap((p) => p.values));
  const initializers = (graph.initializers ?? []).map((t) => {
    const mine = cuts.filter((c) => c.tensor === t.name);
    return mine.length === 0 ? t : shrink(t, mine);
  });
  const nodes = graph.nodes.map((n) => (groups.has(n) ? { ...n, attributes: { ...n.attributes, group: groups.get(n)! } } : n));
  const valueInfo = graph.valueInfo?.filter((v) => !changed.has(v.name));
  return { graph: { ...graph, nodes, initializers, ...(valueInfo ? { valueInfo } : {}) }, layers };
}

function nodeName(node: OnnxNode): string {
  return node.name ?? node.outputs[0];
}

/** The Conv nodes `names` picks (default: all), in graph order. */
function chosenConvs(graph: OnnxGraph, names: unknown): OnnxNode[] {
  const convs = graph.nodes.filter((n) => n.opType === 'Conv');
  if (names === undefined) return convs;
  if (!Array.isArray(names)) typeFail('options.nodes', 'must be an array of Conv node names');
  names.forEach((name, i) => {
    if (typeof name !== 'string') typeFail(`options.nodes[${i}]`, `must be a string, got ${typeof name}`);
    if (!convs.some((n) => nodeName(n) === name)) fail(`options.nodes[${i}]`, `"${name}" is not a Conv node of the graph`);
  });
  return convs.filter((n) => names.includes(nodeName(n)));
}

/** Why `conv` cannot lose output channels by itself, or undefined. */
function sourceRefusal(ctx: Context, conv: OnnxNode, weight: OnnxTensor | undefined): string | undefined {
  if (weight === undefined || !(weight.data instanceof Float32Array) || weight.dims.length < 3) return `weight "${conv.inputs[1]}" is not a float32 conv weight initializer`;
  const group = conv.attributes?.group ?? 1;
  if (group !== 1) return `grouped conv (${group} groups): its output channels are tied to its input channels`;
  return ownParam(ctx, conv.inputs[1], weight.dims[0]) ?? (conv.inputs[2] ? ownParam(ctx, conv.inputs[2], weight.dims[0]) : undefined);
}

/** Why `name` is not a float32 initializer of `channels` along axis 0 read by one node alone, or undefined. */
function ownParam(ctx: Context, name: string, channels: number): string | undefined {
  const t = ctx.init.get(name);
  if (t === undefined || !(t.data instanceof Float32Array)) return `"${name}" is not a float32 initializer`;
  if (t.dims[0] !== channels) return `"${name}" has dims [${t.dims.join(', ')}], not ${channels} channels first`;
  const readers = ctx.readers.get(name)?.length ?? 0;
  return readers === 1 ? undefined : `"${name}" is read by ${readers} nodes`;
}

/** The `count` channels with the lowest norms (ties: the lower index), ascending. */
function weakestChannels(weight: OnnxTensor, count: number, norm: 'l1' | 'l2'): number[] {
  const channels = weight.dims[0], per = weight.data.length / channels;
  const data = weight.data as Float32Array;
  const scores = Array.from({ length: channels }, (_, o) => {
    let s = 0;
    for (let i = o * per; i < (o + 1) * per; i++) s += norm === 'l1' ? Math.abs(data[i]) : data[i] * data[i];
    return s;
  });
  const order = scores.map((_, o) => o).sort((a, b) => scores[a] - scores[b] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

/** The one node reading `value`, or why there is not exactly one. */
function soleReader(ctx: Context, value: string): { node: OnnxNode; index: number } | string {
  if (ctx.outputs.has(value)) return `"${value}" is a graph output`;
  const readers = ctx.readers.get(value) ?? [];
  if (readers.length !== 1) return readers.length === 0 ? `"${value}" is read by no node` : `"${value}" is read by ${readers.length} nodes (a branch or a residual connection)`;
  return readers[0];
}

/** Whether any output of `node` but its first is used. */
function extraOutputsUsed(ctx: Context, node: OnnxNode): boolean {
  return node.outputs.slice(1).some((o) => o !== '' && (ctx.readers.has(o) || ctx.outputs.has(o)));
}

/** The cuts that remove `removed` of `conv`'s `channels` outputs along its chain, or why the chain is not provably safe. */
function planChain(ctx: Context, conv: OnnxNode, removed: ReadonlySet<number>, channels: number): Plan | string {
  const plan: Plan = { cuts: [], groups: new Map(), values: [] };
  const cut = (tensor: string, axis: number, span = 1) => plan.cuts.push({ tensor, axis, removed, span });
  cut(conv.inputs[1], 0);
  if (conv.inputs[2]) cut(conv.inputs[2], 0);
  for (let value = conv.outputs[0]; ;) {
    plan.values.push(value);
    const reader = soleReader(ctx, value);
    if (typeof reader === 'string') return reader;
    const { node, index } = reader;
    const at = `${node.opType} "${nodeName(node)}"`;
    if (index !== 0) return `"${value}" is input ${index} of ${at}`;
    if (extraOutputsUsed(ctx, node)) return `${at} has a second output in use`;
    if (CHANNELWISE.has(node.opType)) {
      value = node.outputs[0];
      continue;
    }
    if (node.opType === 'BatchNormalization') {
      for (const p of node.inputs.slice(1, 5)) {
        const why = ownParam(ctx, p, channels);
        if (why !== undefined) return `${at}: ${why}`;
        cut(p, 0);
      }
      value = node.outputs[0];
      continue;
    }
    if (node.opType === 'Conv') {
      const group = node.attributes?.group ?? 1;
      const w = ctx.init.get(node.inputs[1]);
      if (w === undefined || w.dims.length < 3) return `${at} has no conv weight initializer`;
      const why = ownParam(ctx, node.inputs[1], w.dims[0]);
      if (why !== undefined) return `${at}: ${why}`;
      if (group === 1) {
        if (w.dims[1] !== channels) return `${at} reads ${w.dims[1]} channels, not ${channels}`;
        cut(node.inputs[1], 1);
        return plan;
      }
      if (group !== channels || w.dims[0] !== channels || w.dims[1] !== 1) return `${at} is grouped (${group} groups) but not depthwise with one output per channel`;
      const biasWhy = node.inputs[2] ? ownParam(ctx, node.inputs[2], channels) : undefined;
      if (biasWhy !== undefined) return `${at}: ${biasWhy}`;
      cut(node.inputs[1], 0);
      if (node.inputs[2]) cut(node.inputs[2], 0);
      plan.groups.set(node, channels - removed.size);
      value = node.outputs[0];
      continue;
    }
    if (node.opType === 'Flatten') return flattenEnd(ctx, node, plan, channels, cut);
    return node.opType === 'Add' || node.opType === 'Sum'
      ? `${at} adds "${value}" to another value (a residual connection), whose channels would have to go too`
      : `${at} is not an op whose channels pruneChannels can follow`;
  }
}

/** The chain's end at a Flatten (axis 1) into a Gemm or MatMul: c's H*W input features go. */
function flattenEnd(ctx: Context, flatten: OnnxNode, plan: Plan, channels: number, cut: (tensor: string, axis: number, span: number) => void): Plan | string {
  const at = `Flatten "${nodeName(flatten)}"`;
  if ((flatten.attributes?.axis ?? 1) !== 1) return `${at} has axis ${String(flatten.attributes?.axis)}, not 1`;
  const flat = flatten.outputs[0];
  plan.values.push(flat);
  const reader = soleReader(ctx, flat);
  if (typeof reader === 'string') return reader;
  const { node, index } = reader;
  const dense = `${node.opType} "${nodeName(node)}"`;
  if ((node.opType !== 'Gemm' && node.opType !== 'MatMul') || index !== 0) return `${at} feeds ${dense} (input ${index}), not a Gemm or MatMul's input`;
  if (node.opType === 'Gemm' && (node.attributes?.transA ?? 0) !== 0) return `${dense} has transA`;
  const w = ctx.init.get(node.inputs[1]);
  if (w === undefined || w.dims.length !== 2) return `${dense} has no 2-D weight initializer`;
  const transB = node.opType === 'Gemm' && (node.attributes?.transB ?? 0) !== 0;
  const features = transB ? w.dims[1] : w.dims[0];
  const why = ownParam(ctx, node.inputs[1], w.dims[0]);
  if (why !== undefined) return `${dense}: ${why}`;
  if (features % channels !== 0) return `${dense} takes ${features} features, not a multiple of the ${channels} channels`;
  cut(node.inputs[1], transB ? 1 : 0, features / channels);
  return plan;
}

/** `t` without the entries the cuts remove, along each cut's axis. */
function shrink(t: OnnxTensor, cuts: readonly Cut[]): OnnxTensor {
  const keep = t.dims.map((d, axis) => {
    const mine = cuts.filter((c) => c.axis === axis);
    return Array.from({ length: d }, (_, i) => i).filter((i) => mine.every((c) => !c.removed.has(Math.floor(i / c.span))));
  });
  const dims = keep.map((k) => k.length);
  const strides = t.dims.map((_, a) => t.dims.slice(a + 1).reduce((x, y) => x * y, 1));
  const data = t.data as Float32Array;
  const out = new Float32Array(dims.reduce((x, y) => x * y, 1));
  const index = dims.map(() => 0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let a = 0; a < dims.length; a++) from += keep[a][index[a]] * strides[a];
    out[o] = data[from];
    for (let a = dims.length - 1; a >= 0 && ++index[a] === dims[a]; a--) index[a] = 0;
  }
  return { ...t, dims, data: out };
}
