/**
 * Pruning an OnnxGraph: the weights of its Conv, Gemm and MatMul nodes
 * get zeros by one of masks.ts's methods,
 * and a new graph (the input is not touched) comes back with a report per
 * layer. Which layers are left alone, and why:
 * - the first layer (skipFirst, default true): an image's few input
 *   channels give it few weights, each of which every later layer depends
 *   on, and 3 channels make no whole N:M group or [4 x 4] block;
 * - the last one, the classifier (skipLast, default true): few weights,
 *   and each class score rests on its own row;
 * - depthwise convs (depthwise, default false): 9 weights per channel and
 *   no input channels to group or block, and sparq runs them on dense
 *   kernels only, so their zeros cost accuracy and buy no speed;
 * - a weight read by more than one node, or that is not a float32
 *   initializer; and for N:M, a layer whose input channels m does not divide.
 */
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../runtime/onnx/write.js';
import { checkBoolean, checkInt, checkObject, checkOneOf, fail } from '../../validate.js';
import { checkGraph } from '../quantize-qdq.js';
import { applyMask, blockMask, checkBlockOptions, checkMaxLayerSparsity, checkSparsity, checkThreshold, globalBlockMasks, nmMask, thresholdMask, type BlockShape } from './masks.js';
import { weightAxes, type WeightArray } from './weight.js';

export type PruneMethod = 'threshold' | 'magnitude' | 'nm' | 'block';

export interface PruneGraphOptions {
  method: PruneMethod;
  /** 'threshold': |w| below it is pruned. */
  threshold?: number;
  /** 'magnitude' and 'block': the fraction of weights to prune, in [0, 1). */
  sparsity?: number;
  /** 'magnitude' and 'block': the sparsity per layer (default) or across the pruned layers, under one threshold. */
  scope?: 'layer' | 'global';
  /** scope 'global': the most any one layer is pruned (default 1), as globalBlockMasks takes it. */
  maxLayerSparsity?: number;
  /** 'nm': keep n of every m input channels (default 2:4). */
  n?: number;
  m?: number;
  /** 'block': the block shape (default 'float32', [4 x 1]; 'int8' is [4 x 4]) and norm (default 'l2'), as blockMask takes them. */
  block?: BlockShape;
  norm?: 'l2' | 'l1';
  /** Leave the first weight layer dense (default true). */
  skipFirst?: boolean;
  /** Leave the last weight layer, the classifier, dense (default true). */
  skipLast?: boolean;
  /** Prune depthwise convs too (default false). */
  depthwise?: boolean;
}

export interface PrunedLayer {
  /** The node's name (its first output's where it has none). */
  node: string;
  weight: string;
  dims: number[];
  /** 'threshold', 'magnitude', 'global magnitude', '2:4', 'block 4x1', 'global block 4x4', ...; 'skipped' for a layer left alone. */
  kind: string;
  /** The weight's fraction of zeros after pruning. */
  sparsity: number;
  /** Why a skipped layer was left alone. */
  reason?: string;
}

/** The options each method reads, beside the layer choice. */
const METHOD_OPTIONS: Record<PruneMethod, readonly string[]> = {
  threshold: ['threshold'],
  magnitude: ['sparsity', 'scope', 'maxLayerSparsity'],
  nm: ['n', 'm'],
  block: ['sparsity', 'scope', 'maxLayerSparsity', 'block', 'norm'],
};
const LAYER_OPTIONS = ['method', 'skipFirst', 'skipLast', 'depthwise'];

/** A weight layer of the graph: its node, weight initializer and layout, or why it is skipped. */
export interface WeightLayer {
  node: string;
  tensor: OnnxTensor;
  weight: WeightArray;
  skip?: string;
}

/**
 * Prunes the weights of `graph`'s Conv, Gemm and MatMul nodes (see the
 * header for the ones it leaves) by `options.method`, and returns the new
 * graph, whose pruned initializers are new tensors with zeros in them, and
 * the report per weight layer in graph order.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function pruneGraph(graph: OnnxGraph, options: PruneGraphOptions): { graph: OnnxGraph; layers: PrunedLayer[] } {
  checkGraph(graph);
  checkObject('options', options);
  const method = checkOneOf('options.method', options.method, Object.keys(METHOD_OPTIONS) as PruneMethod[]);
  for (const [key, value] of Object.entries(options))
    if (value !== undefined && !LAYER_OPTIONS.includes(key) && !METHOD_OPTIONS[method].includes(key)) fail(`options.${key}`, `does not apply to method '${method}' (its options: ${METHOD_OPTIONS[method].join(', ')})`);
  const prune = pruner(options, method);
  const layers = weightLayers(graph, {
    skipFirst: options.skipFirst === undefined ? true : checkBoolean('options.skipFirst', options.skipFirst),
    skipLast: options.skipLast === undefined ? true : checkBoolean('options.skipLast', options.skipLast),
    depthwise: options.depthwise === undefined ? false : checkBoolean('options.depthwise', options.depthwise),
  });
  for (const l of layers) l.skip ??= prune.skip(l.weight);
  const pruned = layers.filter((l) => l.skip === undefined);
  const masks = prune.masks(pruned.map((l) => l.weight));
  const replaced = new Map(pruned.map((l, i) => [l.tensor.name, { ...l.tensor, data: applyMask(l.weight.data, masks[i]) }]));
  const report = layers.map((l): PrunedLayer => {
    const data = (replaced.get(l.tensor.name)?.data ?? l.weight.data) as Float32Array;
    const entry: PrunedLayer = { node: l.node, weight: l.tensor.name, dims: [...l.tensor.dims], kind: l.skip === undefined ? prune.kind : 'skipped', sparsity: zeroFraction(data) };
    if (l.skip !== undefined) entry.reason = l.skip;
    return entry;
  });
  const initializers = (graph.initializers ?? []).map((t) => replaced.get(t.name) ?? t);
  return { graph: { ...graph, initializers }, layers: report };
}

/** The method's masks for the layers it prunes, the kind it reports, and the layers it cannot prune. */
interface Pruner {
  kind: string;
  skip(w: WeightArray): string | undefined;
  masks(weights: WeightArray[]): Uint8Array[];
}

function pruner(options: PruneGraphOptions, method: PruneMethod): Pruner {
  const none = () => undefined;
  if (method === 'threshold') {
    const threshold = checkThreshold('options.threshold', options.threshold);
    return { kind: 'threshold', skip: none, masks: (ws) => ws.map((w) => thresholdMask(w, threshold)) };
  }
  if (method === 'nm') {
    const n = checkInt('options.n', options.n ?? 2, 1, 255), m = checkInt('options.m', options.m ?? 4, n, 255);
    const skip = (w: WeightArray) => (inputChannels(w) % m === 0 ? undefined : `${inputChannels(w)} input channels, not a multiple of m = ${m}`);
    return { kind: `${n}:${m}`, skip, masks: (ws) => ws.map((w) => nmMask(w, { n, m })) };
  }
  const sparsity = checkSparsity('options.sparsity', options.sparsity);
  const scope = checkOneOf('options.scope', options.scope ?? 'layer', ['layer', 'global'] as const);
  if (scope === 'layer' && options.maxLayerSparsity !== undefined) fail('options.maxLayerSparsity', "applies to scope 'global' only (per layer, every layer gets the sparsity)");
  const maxLayerSparsity = checkMaxLayerSparsity(options.maxLayerSparsity, sparsity);
  const blocks = method === 'block' ? { block: options.block, norm: options.norm } : { block: [1, 1] as const };
  const { shape } = checkBlockOptions(blocks);
  const kind = `${scope === 'global' ? 'global ' : ''}${method === 'block' ? `block ${shape[0]}x${shape[1]}` : 'magnitude'}`;
  const masks = scope === 'global' ? (ws: WeightArray[]) => globalBlockMasks(ws, sparsity, { ...blocks, maxLayerSparsity }) : (ws: WeightArray[]) => ws.map((w) => blockMask(w, sparsity, blocks));
  return { kind, skip: none, masks };
}

function inputChannels(w: WeightArray): number {
  return w.inputMajor ? w.dims[0] : w.dims[1];
}

function zeroFraction(data: Float32Array): number {
  let zeros = 0;
  for (const v of data) if (v === 0) zeros++;
  return data.length === 0 ? 0 : zeros / data.length;
}

function nodeName(node: OnnxNode): string {
  return node.name ?? node.outputs[0];
}

/**
 * The nodes with a weight initializer (Conv and Gemm input 1, MatMul input 1
 * when it is a constant), in graph order, each with why it is skipped if it is.
 */
export function weightLayers(graph: OnnxGraph, choice: { skipFirst: boolean; skipLast: boolean; depthwise: boolean }): WeightLayer[] {
  const init = new Map((graph.initializers ?? []).map((t) => [t.name, t]));
  const reads = new Map<string, number>();
  for (const n of graph.nodes) for (const name of n.inputs) reads.set(name, (reads.get(name) ?? 0) + 1);
  const layers: WeightLayer[] = [];
  for (const node of graph.nodes) {
    if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul') continue;
    const tensor = init.get(node.inputs[1]);
    if (tensor === undefined) continue;
    const transB = node.attributes?.transB ?? 0;
    const inputMajor = node.opType === 'MatMul' || (node.opType === 'Gemm' && transB === 0);
    const weight: WeightArray = { dims: tensor.dims, data: tensor.data as Float32Array, inputMajor };
    const layer: WeightLayer = { node: nodeName(node), tensor, weight };
    const group = node.attributes?.group ?? 1;
    if (tensor.type !== 'float' || !(tensor.data instanceof Float32Array)) layer.skip = `weight of type ${tensor.type}, not float32`;
    else if (node.opType === 'Conv' ? tensor.dims.length < 3 : tensor.dims.length !== 2) layer.skip = `weight of dims [${tensor.dims.join(', ')}]`;
    else if (reads.get(tensor.name)! > 1) layer.skip = `weight read by ${reads.get(tensor.name)} nodes`;
    else if (node.opType === 'Conv' && group !== 1 && tensor.dims[1] === 1 && !choice.depthwise) layer.skip = 'depthwise (options.depthwise)';
    // The masks check the weights they prune again; this names the initializer in the error.
    if (layer.skip === undefined) weightAxes(`graph initializer "${tensor.name}"`, weight);
    layers.push(layer);
  }
  if (choice.skipFirst && layers.length > 0) layers[0].skip ??= 'first layer (options.skipFirst)';
  if (choice.skipLast && layers.length > 1) layers[layers.length - 1].skip ??= 'classifier, the last layer (options.skipLast)';
  return layers;
}
