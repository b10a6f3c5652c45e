/**
 * Per-layer pruning sensitivity: how much test accuracy a model loses when
 * one weight layer alone is pruned one-shot (no fine-tuning) to each of a
 * few sparsities, the table people read to choose per-layer sparsities
 * (Han et al. 2015's sensitivity scan; Distiller's sensitivity analysis).
 * pruneSensitivity() measures it in sparq's session, chooseSparsities()
 * picks per-layer sparsities from it, formatSensitivity() prints it.
 */
import { encodeOnnxModel, type OnnxGraph } from '../../runtime/onnx/write.js';
import { checkInt, checkObject, fail, typeFail } from '../../validate.js';
import { checkDataset, dataset, type Dataset } from '../data/dataset.js';
import { checkGraph } from '../quantize-qdq.js';
import { top1Accuracy } from '../report/accuracy.js';
import { markdownTable, percent } from '../report/format.js';
import { exportOnnx, importOnnx } from '../train/onnx.js';
import { weightLayers, type WeightLayer } from './graph.js';
import { applyMask, checkMask, checkSparsity, magnitudeMask } from './masks.js';
import type { WeightArray } from './weight.js';

/** Weights a layer needs to be scanned by default: smaller ones hold too little of a model to be worth pruning. */
export const MIN_SENSITIVITY_WEIGHTS = 1024;
/** The overall sparsity reached counts as the target within this slack (sums of products of sizes and sparsities round). */
const EPSILON = 1e-9;

export interface SensitivityOptions {
  /**
   * The weight initializers to scan, by name ('conv2.weight'). Default:
   * every float Conv, Gemm and MatMul weight of at least
   * MIN_SENSITIVITY_WEIGHTS values, except depthwise convs' (which sparq
   * runs dense, as pruneGraph leaves them).
   */
  params?: readonly string[];
  /** The sparsities to prune each layer to, increasing, each in [0, 1) (default [0.5, 0.7, 0.8, 0.9, 0.95]). */
  sparsities?: readonly number[];
  /** The mask of a weight at a sparsity (default magnitudeMask; blocks: (w, s) => blockMask(w, s)). */
  mask?: (weight: WeightArray, sparsity: number) => Uint8Array;
  /** Measure on the first `images` images of the data (default all). */
  images?: number;
  /** Threads of sparq's session (default: the session's default, all cores). */
  threads?: number;
}

export interface LayerSensitivity {
  /** The weight initializer's name. */
  param: string;
  /** The node reading it. */
  node: string;
  /** Its number of weights. */
  size: number;
  /** Top-1 accuracy with this layer alone pruned to each of the result's sparsities. */
  accuracy: number[];
}

export interface SensitivityResult {
  /** Images the accuracies are over. */
  images: number;
  /** Top-1 accuracy of the unpruned model. */
  baseline: number;
  sparsities: number[];
  layers: LayerSensitivity[];
}

export interface ChooseOptions {
  /** The most top-1 accuracy each layer may lose one-shot, in points (1 = 1% of the images). */
  maxDrop: number;
  /** An overall sparsity of the table's layers to reach, in [0, 1] (see chooseSparsities). */
  target?: number;
}

export interface SparsityChoice {
  /** Per layer of the table, in its order: the chosen sparsity (0: left dense) and its one-shot drop in points. */
  layers: { param: string; sparsity: number; drop: number }[];
  /** The chosen sparsities' overall sparsity: pruned weights over all weights of the table's layers. */
  sparsity: number;
}

const OPTIONS = ['params', 'sparsities', 'mask', 'images', 'threads'];

/**
 * For each layer of `graph` (an OnnxGraph, or the bytes of a model the
 * trainer imports, as importOnnx takes them) and each sparsity, prunes that
 * layer alone by `options.mask` and measures top-1 accuracy on `data` (NHWC
 * images; the model takes one NCHW image input and gives logits first) in
 * sparq's session. Costs one session and one pass over the images per layer
 * and sparsity, plus one for the baseline.
 * @throws TypeError/RangeError naming the bad argument; the session's errors for a model it cannot run.
 */
export async function pruneSensitivity(graph: OnnxGraph | Uint8Array, data: Dataset, options: SensitivityOptions = {}): Promise<SensitivityResult> {
  const model = graph instanceof Uint8Array ? exportOnnx(importOnnx(graph)) : graph;
  checkGraph(model);
  checkDataset('data', data);
  checkObject('options', options);
  for (const key of Object.keys(options)) if (!OPTIONS.includes(key)) fail(`options.${key}`, `is not an option (options: ${OPTIONS.join(', ')})`);
  const sparsities = checkSparsities('options.sparsities', options.sparsities ?? [0.5, 0.7, 0.8, 0.9, 0.95]);
  const mask = options.mask ?? magnitudeMask;
  if (typeof mask !== 'function') typeFail('options.mask', 'must be a function (weight, sparsity) => mask');
  const [n, h, w, c] = data.dims;
  const images = checkInt('options.images', options.images ?? n, 1, n);
  const threads = options.threads === undefined ? undefined : checkInt('options.threads', options.threads, 1, 256);
  const layers = scannedLayers(model, options.params);
  const measured = images === n ? data : dataset(data.images.subarray(0, images * h * w * c), data.labels.subarray(0, images), [images, h, w, c]);
  const accuracyOf = (g: OnnxGraph) => top1Accuracy(encodeOnnxModel(g), measured, { threads });

  const baseline = await accuracyOf(model);
  const result: LayerSensitivity[] = [];
  for (const layer of layers) {
    const accuracies: number[] = [];
    for (const sparsity of sparsities) {
      const kept = checkMask(`options.mask(${layer.tensor.name}, ${sparsity})`, mask(layer.weight, sparsity), layer.weight.data.length);
      const pruned = { ...layer.tensor, data: applyMask(layer.weight.data, kept) };
      accuracies.push(await accuracyOf({ ...model, initializers: model.initializers!.map((t) => (t === layer.tensor ? pruned : t)) }));
    }
    result.push({ param: layer.tensor.name, node: layer.node, size: layer.weight.data.length, accuracy: accuracies });
  }
  return { images, baseline, sparsities: [...sparsities], layers: result };
}

/** The layers options.params names (each checked to be a prunable weight), or the default ones. */
function scannedLayers(graph: OnnxGraph, params: unknown): WeightLayer[] {
  const choice = { skipFirst: false, skipLast: false };
  if (params === undefined) return weightLayers(graph, { ...choice, depthwise: false }).filter((l) => l.skip === undefined && l.weight.data.length >= MIN_SENSITIVITY_WEIGHTS);
  const layers = weightLayers(graph, { ...choice, depthwise: true });
  if (!Array.isArray(params)) typeFail('options.params', 'must be an array of weight initializer names');
  return params.map((name: unknown, i) => {
    if (typeof name !== 'string') typeFail(`options.params[${i}]`, 'must be a string');
    const layer = layers.find((l) => l.tensor.name === name);
    if (layer === undefined) fail(`options.params[${i}]`, `"${name}" is not the weight of a Conv, Gemm or MatMul (weights: ${layers.map((l) => l.tensor.name).join(', ')})`);
    if (layer.skip !== undefined) fail(`options.params[${i}]`, `"${name}" cannot be pruned: ${layer.skip}`);
    if (params.indexOf(name) !== i) fail(`options.params[${i}]`, `"${name}" is named twice`);
    return layer;
  });
}

/** `value` as increasing sparsities, each in [0, 1). */
function checkSparsities(name: string, value: unknown): number[] {
  if (!Array.isArray(value)) typeFail(name, 'must be an array of sparsities');
  if (value.length === 0) fail(name, 'must hold at least one sparsity');
  value.forEach((s, i) => {
    checkSparsity(`${name}[${i}]`, s);
    if (i > 0 && !(s > value[i - 1])) fail(`${name}[${i}]`, `must be above ${name}[${i - 1}] = ${value[i - 1]} (increasing sparsities)`);
  });
  return value as number[];
}

/** Throws unless `value` (named `name`) is a pruneSensitivity() result. */
function checkResult(name: string, value: unknown): SensitivityResult {
  checkObject(name, value);
  const r = value as SensitivityResult;
  checkInt(`${name}.images`, r.images, 1, Number.MAX_SAFE_INTEGER);
  if (typeof r.baseline !== 'number' || !(r.baseline >= 0 && r.baseline <= 1)) fail(`${name}.baseline`, 'must be an accuracy in [0, 1]');
  checkSparsities(`${name}.sparsities`, r.sparsities);
  if (!Array.isArray(r.layers)) typeFail(`${name}.layers`, 'must be an array');
  r.layers.forEach((l: unknown, i) => {
    const at = `${name}.layers[${i}]`;
    checkObject(at, l);
    const { param, size, accuracy: acc } = l as LayerSensitivity;
    if (typeof param !== 'string') typeFail(`${at}.param`, 'must be a string');
    checkInt(`${at}.size`, size, 1, Number.MAX_SAFE_INTEGER);
    if (!Array.isArray(acc) || acc.length !== r.sparsities.length) typeFail(`${at}.accuracy`, `must be an array of ${r.sparsities.length} accuracies, one per sparsity`);
    acc.forEach((a, j) => {
      if (typeof a !== 'number' || !(a >= 0 && a <= 1)) fail(`${at}.accuracy[${j}]`, 'must be an accuracy in [0, 1]');
    });
  });
  return r;
}

/**
 * Per-layer sparsities from a pruneSensitivity() table. A layer's one-shot
 * drop at a sparsity is baseline - accuracy, in points. A layer may go up
 * its sparsities, lowest first, as long as each one it passes is within
 * options.maxDrop (a blip under the budget above a sparsity that broke it
 * is not taken); 0 (dense) where the lowest is already over.
 * - Without options.target, every layer takes the highest sparsity it may.
 * - With options.target, the layers start dense and take steps (one layer
 *   to its next sparsity within maxDrop) cheapest first, a step's cost
 *   being the drop it adds per weight it prunes (ties: the earlier layer),
 *   until the overall sparsity reaches the target. Where maxDrop stops
 *   every layer first, the result is the no-target choice and its
 *   sparsity stays under the target: the caller sees it there.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function chooseSparsities(result: SensitivityResult, options: ChooseOptions): SparsityChoice {
  const { baseline, sparsities, layers } = checkResult('result', result);
  checkObject('options', options);
  const { maxDrop, target } = options;
  if (typeof maxDrop !== 'number') typeFail('options.maxDrop', 'must be a number of accuracy points');
  if (!(maxDrop >= 0 && Number.isFinite(maxDrop))) fail('options.maxDrop', `must be a finite number >= 0, got ${maxDrop}`);
  if (target !== undefined) {
    if (typeof target !== 'number') typeFail('options.target', 'must be a number');
    if (!(target >= 0 && target <= 1)) fail('options.target', `must be in [0, 1], got ${target}`);
  }
  // Rounded to 1e-6 point, far below one image of any test set, so that 0.9 - 0.89 is 1 point and not 1.0000000000000009.
  const drop = (l: LayerSensitivity, rung: number) => (rung < 0 ? 0 : Math.round(1e8 * (baseline - l.accuracy[rung])) / 1e6);
  // Per layer, the index of the highest sparsity it may take (-1: none), and the rung it is at.
  const top = layers.map((l) => {
    let rung = -1;
    while (rung + 1 < sparsities.length && drop(l, rung + 1) <= maxDrop) rung++;
    return rung;
  });
  // With a target, layers start dense: below their first sparsity, or at it where it is 0 (a step there would prune nothing).
  const rungs = target === undefined ? [...top] : top.map((t) => (t >= 0 && sparsities[0] === 0 ? 0 : -1));
  const sparsity = (i: number) => (rungs[i] < 0 ? 0 : sparsities[rungs[i]]);
  const total = layers.reduce((a, l) => a + l.size, 0);
  const overall = () => (total === 0 ? 0 : layers.reduce((a, l, i) => a + l.size * sparsity(i), 0) / total);
  if (target !== undefined)
    while (overall() < target - EPSILON) {
      let best = -1, bestCost = Infinity;
      layers.forEach((l, i) => {
        if (rungs[i] >= top[i]) return;
        const cost = (drop(l, rungs[i] + 1) - drop(l, rungs[i])) / (l.size * (sparsities[rungs[i] + 1] - sparsity(i)));
        if (cost < bestCost) [best, bestCost] = [i, cost];
      });
      if (best < 0) break;
      rungs[best]++;
    }
  return { layers: layers.map((l, i) => ({ param: l.param, sparsity: sparsity(i), drop: drop(l, rungs[i]) })), sparsity: overall() };
}

const points = (x: number) => `${x > 0 ? '-' : '+'}${Math.abs(x).toFixed(2)}`;

/**
 * The table as markdown: one row per layer, one column per sparsity with
 * the accuracy and its change from the baseline in points, and where
 * `choice` is given a column of its sparsities ('—' for a layer it leaves
 * out, as a choice over some of the table's layers does) and its overall sparsity.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function formatSensitivity(result: SensitivityResult, choice?: SparsityChoice): string {
  const { images, baseline, sparsities, layers } = checkResult('result', result);
  if (choice !== undefined) {
    checkObject('choice', choice);
    if (!Array.isArray(choice.layers) || typeof choice.sparsity !== 'number') typeFail('choice', "must be chooseSparsities()'s result");
  }
  const chosen = (param: string) => {
    const c = choice!.layers.find((x) => x?.param === param);
    return c === undefined ? '—' : percent(c.sparsity);
  };
  const header = ['layer (weights)', ...sparsities.map((s) => `${percent(s)} sparse`), ...(choice ? ['chosen'] : [])];
  const rows = layers.map((l) => [
    `${l.param} (${l.size})`,
    ...l.accuracy.map((a) => `${percent(a)} (${points(100 * (baseline - a))})`),
    ...(choice ? [chosen(l.param)] : []),
  ]);
  const title = `Top-1 accuracy with one layer pruned one-shot (points against the unpruned ${percent(baseline)}, ${images} images)`;
  const footer = choice ? `\n\nchosen: ${percent(choice.sparsity)} of these layers' weights pruned\n` : '\n';
  return `${title}\n\n${markdownTable(header, rows)}${footer}`;
}
