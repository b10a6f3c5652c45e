/**
 * Pruning masks: pure functions of weights (weight.ts) that return a
 * Uint8Array of the weight's length, 1 where a weight is kept, 0 where it is
 * pruned; they change no weight (applyMask zeroes a copy, maskParam a
 * trainer param in place).
 *
 * - thresholdMask: |w| < threshold is pruned.
 * - magnitudeMask / globalMagnitudeMasks: the given fraction of the
 *   smallest |w|, per layer or across layers under one threshold.
 * - nmMask: N:M (default 2:4) along the input channels: of every m
 *   consecutive input channels at one output channel and kernel position,
 *   the n largest |w| are kept. That is the group sparq's N:M kernels take:
 *   they group m consecutive columns of W [N, K] (sparse-matrix.ts 'nm'),
 *   and K is the input features of a dense layer, or (kh, kw, c) with c
 *   fastest for a conv on the channels-last operator (conv/nhwc.ts
 *   nhwcRows), so the input channels must be a multiple of m.
 * - blockMask / globalBlockMasks: whole blocks of [rows output channels x
 *   cols input channels] at one kernel position, the smallest by norm
 *   first: [4 x 1] ('float32') is what f32-spconv2d's 4-channel blocks and
 *   the bsr4x1 spmm kernels store (conv2d.ts blockDensity(w, oc, 4)),
 *   [4 x 4] ('int8') what qu8s8-conv2d's int8 blocks store
 *   (blockDensity(w, oc, 4, 4, KH*KW)). Blocks at the edges of a weight
 *   whose channels the block does not divide are smaller, and pruned as
 *   blocks of their own (the kernels store them the same way).
 *
 * A target sparsity counts weights: the units (single weights or blocks)
 * are pruned lowest score first, each that keeps the pruned weights within
 * round(sparsity x weights) (a unit that would pass it is passed over, so
 * that a smaller edge block may still fit), so a block target lands within
 * one block of it. Ties go to the earlier layer, then the earlier unit (row-major over
 * output block, input block, kernel position), so masks are reproducible.
 */
import { checkInt, checkObject, checkOneOf, fail, typeFail } from '../../validate.js';
import { weightAxes, type WeightArray, type WeightAxes } from './weight.js';

/** Named block shapes: the blocks sparq's float and int8 sparse conv kernels run fastest. */
export const BLOCK_SHAPES = { float32: [4, 1], int8: [4, 4] } as const;

/** [output channels, input channels] of a block, or the name of one of BLOCK_SHAPES. */
export type BlockShape = keyof typeof BLOCK_SHAPES | readonly [number, number];

export interface BlockOptions {
  /** Default 'float32' ([4 x 1]). */
  block?: BlockShape;
  /**
   * A block's score (default 'l2'): its L2 norm or L1 norm, scaled for an
   * edge block by its share of a full block's size (sqrt of it for L2), so
   * that an edge block is not pruned first for being small.
   */
  norm?: 'l2' | 'l1';
}

/** Options of the global masks: one threshold across layers, capped per layer. */
export interface GlobalOptions {
  /**
   * The most any one layer is pruned (default 1: no cap). Plain global
   * magnitude can empty a layer whose weights are all small (a large
   * fan-in's initialization); with a cap, such a layer is pruned to the
   * cap and the threshold rises for the others until the total is reached.
   */
  maxLayerSparsity?: number;
}

export interface NmOptions {
  /** Weights kept per group (default 2). */
  n?: number;
  /** Input channels per group (default 4; sparq's N:M kernels take m = 4). */
  m?: number;
}

/** Keeps |w| >= threshold. @throws TypeError/RangeError naming the bad argument. */
export function thresholdMask(weight: WeightArray, threshold: number): Uint8Array {
  weightAxes('weight', weight);
  const limit = checkThreshold('threshold', threshold);
  return Uint8Array.from(weight.data, (v) => (Math.abs(v) >= limit ? 1 : 0));
}

/** Prunes the `sparsity` fraction of `weight` with the smallest |w|. @throws TypeError/RangeError naming the bad argument. */
export function magnitudeMask(weight: WeightArray, sparsity: number): Uint8Array {
  return blockMask(weight, sparsity, { block: [1, 1] });
}

/**
 * Prunes the `sparsity` fraction of all the weights together with the
 * smallest |w|: one threshold across them (plain global magnitude, no
 * per-layer scaling), so a layer of small weights (a large fan-in's
 * initialization) can lose all of them unless options.maxLayerSparsity
 * caps it: 90% of the CIFAR fixture's conv2, conv3 and fc1 leaves fc1 empty.
 * @throws TypeError/RangeError naming the bad argument, and RangeError when the cap cannot reach the sparsity.
 */
export function globalMagnitudeMasks(weights: readonly WeightArray[], sparsity: number, options: GlobalOptions = {}): Uint8Array[] {
  checkObject('options', options);
  return globalBlockMasks(weights, sparsity, { maxLayerSparsity: options.maxLayerSparsity, block: [1, 1] });
}

/** Prunes the `sparsity` fraction of `weight` in blocks, the lowest-norm blocks first. @throws TypeError/RangeError naming the bad argument. */
export function blockMask(weight: WeightArray, sparsity: number, options: BlockOptions = {}): Uint8Array {
  return blockMasks([weight], [weightAxes('weight', weight)], sparsity, options, 1)[0];
}

/**
 * Prunes the `sparsity` fraction of all the weights together in blocks, the
 * lowest-norm blocks of any of them first.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function globalBlockMasks(weights: readonly WeightArray[], sparsity: number, options: BlockOptions & GlobalOptions = {}): Uint8Array[] {
  if (!Array.isArray(weights)) typeFail('weights', 'must be an array of weights');
  const axes = weights.map((w, i) => weightAxes(`weights[${i}]`, w));
  checkObject('options', options);
  return blockMasks(weights, axes, sparsity, options, checkMaxLayerSparsity(options.maxLayerSparsity, sparsity));
}

/** options.maxLayerSparsity in (0, 1], at least the target sparsity (a lower cap could not reach it). */
export function checkMaxLayerSparsity(value: unknown, sparsity: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number') typeFail('options.maxLayerSparsity', `must be a number, got ${typeof value}`);
  if (!(value > 0 && value <= 1)) fail('options.maxLayerSparsity', `must be in (0, 1], got ${value}`);
  if (typeof sparsity === 'number' && value < sparsity) fail('options.maxLayerSparsity', `is ${value}, below the sparsity ${sparsity} it must reach`);
  return value;
}

function blockMasks(weights: readonly WeightArray[], axes: readonly WeightAxes[], sparsity: number, options: BlockOptions, cap: number): Uint8Array[] {
  const target = checkSparsity('sparsity', sparsity);
  const { shape, norm } = checkBlockOptions(options);
  const layers = weights.map((w, i) => blocksOf(axes[i], shape, w.data, norm));
  const pruned = cappedLowestUnits(layers, weights.map((w) => w.data.length), target, cap);
  return layers.map((blocks, i) => {
    const mask = new Uint8Array(weights[i].data.length).fill(1);
    for (let u = 0; u < blocks.count; u++) if (pruned[i][u]) visitBlock(blocks, u, (at) => { mask[at] = 0; });
    return mask;
  });
}

/**
 * N:M along the input channels: of every `m` consecutive input channels at
 * one output channel and kernel position, keeps the `n` largest |w| (ties:
 * the lower channel).
 * @throws TypeError/RangeError naming the bad argument, among them input channels that m does not divide.
 */
export function nmMask(weight: WeightArray, options: NmOptions = {}): Uint8Array {
  const axes = weightAxes('weight', weight);
  checkObject('options', options);
  const n = checkInt('options.n', options.n ?? 2, 1, 255);
  const m = checkInt('options.m', options.m ?? 4, n, 255);
  if (axes.inputs % m !== 0)
    fail('weight.dims', `have ${axes.inputs} input channels, not a multiple of options.m = ${m}: N:M groups run along the input channels and sparq's kernels take whole groups`);
  const data = weight.data;
  const mask = new Uint8Array(data.length);
  const group = new Array<number>(m);
  for (let o = 0; o < axes.outputs; o++)
    for (let t = 0; t < axes.positions; t++)
      for (let c0 = 0; c0 < axes.inputs; c0 += m) {
        for (let j = 0; j < m; j++) group[j] = axes.at(o, c0 + j, t);
        const order = [...group].sort((a, b) => Math.abs(data[b]) - Math.abs(data[a]) || a - b);
        for (let j = 0; j < n; j++) mask[order[j]] = 1;
      }
  return mask;
}

/** A copy of `data` with zeros where `mask` is 0. @throws TypeError/RangeError naming the bad argument. */
export function applyMask(data: Float32Array, mask: Uint8Array): Float32Array {
  if (!(data instanceof Float32Array)) typeFail('data', 'must be a Float32Array');
  checkMask('mask', mask, data.length);
  return data.map((v, i) => (mask[i] === 0 ? 0 : v));
}

/** Throws unless `mask` is a Uint8Array of `length` entries. */
export function checkMask(name: string, mask: unknown, length: number): Uint8Array {
  if (!(mask instanceof Uint8Array)) typeFail(name, 'must be a Uint8Array (1 = kept, 0 = pruned)');
  if (mask.length !== length) fail(name, `must have ${length} entries (one per weight), got ${mask.length}`);
  return mask;
}

/** A target sparsity: a number in [0, 1). */
export function checkSparsity(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!(value >= 0 && value < 1)) fail(name, `must be in [0, 1), got ${value}`);
  return value;
}

/** A magnitude threshold: a finite number >= 0. */
export function checkThreshold(name: string, value: unknown): number {
  if (typeof value !== 'number') typeFail(name, `must be a number, got ${typeof value}`);
  if (!(value >= 0 && Number.isFinite(value))) fail(name, `must be a finite number >= 0, got ${value}`);
  return value;
}

/** BlockOptions checked: the block shape as [rows, cols] and the norm. */
export function checkBlockOptions(options: unknown): { shape: readonly [number, number]; norm: 'l2' | 'l1' } {
  checkObject('options', options);
  const o = options as BlockOptions;
  const norm = checkOneOf('options.norm', o.norm ?? 'l2', ['l2', 'l1'] as const);
  const block = o.block ?? 'float32';
  if (typeof block === 'string') return { shape: BLOCK_SHAPES[checkOneOf('options.block', block, Object.keys(BLOCK_SHAPES) as (keyof typeof BLOCK_SHAPES)[])], norm };
  if (!Array.isArray(block) || block.length !== 2) typeFail('options.block', `must be ${Object.keys(BLOCK_SHAPES).map((k) => `'${k}'`).join(', ')} or [output channels, input channels]`);
  return { shape: [checkInt('options.block[0]', block[0], 1, 2 ** 16), checkInt('options.block[1]', block[1], 1, 2 ** 16)], norm };
}

/** A weight's blocks: unit u is (output block, input block, kernel position) in that nesting order, with its score and size. */
interface Blocks {
  readonly axes: WeightAxes;
  readonly shape: readonly [number, number];
  readonly inputBlocks: number;
  readonly count: number;
  readonly scores: Float64Array;
  readonly sizes: Uint32Array;
}

function visitBlock(b: Blocks, u: number, f: (at: number) => void): void {
  const { axes, shape: [br, bc] } = b;
  const t = u % axes.positions, c0 = (Math.floor(u / axes.positions) % b.inputBlocks) * bc, o0 = Math.floor(u / (axes.positions * b.inputBlocks)) * br;
  for (let o = o0; o < Math.min(axes.outputs, o0 + br); o++)
    for (let c = c0; c < Math.min(axes.inputs, c0 + bc); c++) f(axes.at(o, c, t));
}

function blocksOf(axes: WeightAxes, shape: readonly [number, number], data: Float32Array, norm: 'l2' | 'l1'): Blocks {
  const inputBlocks = Math.ceil(axes.inputs / shape[1]);
  const count = Math.ceil(axes.outputs / shape[0]) * inputBlocks * axes.positions;
  const blocks: Blocks = { axes, shape, inputBlocks, count, scores: new Float64Array(count), sizes: new Uint32Array(count) };
  const full = shape[0] * shape[1];
  for (let u = 0; u < count; u++) {
    let sum = 0, size = 0;
    visitBlock(blocks, u, (at) => { sum += norm === 'l2' ? data[at] * data[at] : Math.abs(data[at]); size++; });
    blocks.sizes[u] = size;
    blocks.scores[u] = norm === 'l2' ? Math.sqrt((sum * full) / size) : (sum * full) / size;
  }
  return blocks;
}

/**
 * lowestUnits over all layers for the `target` fraction of their weights,
 * with no layer pruned past `cap`. A layer over the cap at one threshold is
 * over it at any higher one, and capping layers only raises the threshold
 * the others need, so each round fixes every layer over the cap at its own
 * lowest units and re-selects the rest; at most one round per layer.
 */
function cappedLowestUnits(layers: readonly Blocks[], sizes: readonly number[], target: number, cap: number): Uint8Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const pruned: Uint8Array[] = new Array(layers.length);
  const free = layers.map((_, i) => i);
  let remaining = Math.round(target * total);
  for (;;) {
    const picked = lowestUnits(free.map((i) => layers[i]), remaining);
    const over = free.filter((i, j) => prunedWeights(layers[i], picked[j]) > Math.round(cap * sizes[i]));
    if (over.length === 0) {
      free.forEach((i, j) => { pruned[i] = picked[j]; });
      return pruned;
    }
    for (const i of over) {
      pruned[i] = lowestUnits([layers[i]], Math.round(cap * sizes[i]))[0];
      remaining -= prunedWeights(layers[i], pruned[i]);
      free.splice(free.indexOf(i), 1);
    }
  }
}

function prunedWeights(blocks: Blocks, pruned: Uint8Array): number {
  let n = 0;
  for (let u = 0; u < blocks.count; u++) if (pruned[u]) n += blocks.sizes[u];
  return n;
}

/**
 * Per layer, which units to prune: the lowest scores of all layers first
 * (ties: the earlier layer, then the earlier unit), each that keeps the
 * pruned weights within `target`.
 */
function lowestUnits(layers: readonly Blocks[], target: number): Uint8Array[] {
  const total = layers.reduce((a, l) => a + l.count, 0);
  const scores = new Float64Array(total), layerOf = new Uint32Array(total), unitOf = new Uint32Array(total);
  let at = 0;
  layers.forEach((l, i) => {
    scores.set(l.scores, at);
    layerOf.fill(i, at, at + l.count);
    for (let u = 0; u < l.count; u++) unitOf[at + u] = u;
    at += l.count;
  });
  const pruned = layers.map((l) => new Uint8Array(l.count));
  const size = total === 0 ? 1 : layers[layerOf[0]].sizes[unitOf[0]];
  if (layers.every((l) => l.sizes.every((s) => s === size))) {
    // Units of one size (no edge blocks): the first floor(target / size) in (score, index) order, found with a plain numeric
    // sort of the scores (a comparator sort of millions of weights takes seconds): every unit below the last one's score,
    // and the earliest at it.
    const count = Math.min(total, Math.floor(target / size));
    if (count === 0) return pruned;
    const cutoff = Float64Array.from(scores).sort()[count - 1];
    let atCutoff = count;
    for (let u = 0; u < total; u++) if (scores[u] < cutoff) atCutoff--;
    for (let u = 0; u < total; u++) if (scores[u] < cutoff || (scores[u] === cutoff && atCutoff-- > 0)) pruned[layerOf[u]][unitOf[u]] = 1;
    return pruned;
  }
  // Units are numbered layer by layer, so the index breaks ties by layer, then unit.
  const order = Uint32Array.from({ length: total }, (_, u) => u).sort((a, b) => scores[a] - scores[b] || a - b);
  let done = 0;
  for (const u of order) {
    if (done === target) break;
    const size = layers[layerOf[u]].sizes[unitOf[u]];
    if (done + size > target) continue;
    pruned[layerOf[u]][unitOf[u]] = 1;
    done += size;
  }
  return pruned;
}
