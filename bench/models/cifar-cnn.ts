/**
 * The CIFAR-10 CNN of the runtime issue as ONNX, built in code (no model
 * files can be downloaded): Conv32-Pool-Conv64-Pool-Conv64-Flatten-Dense64-
 * Dense10 with ReLUs, on 3x32x32 (or 1x28x28 for Fashion-MNIST), the way
 * PyTorch exports it (Conv with bias, MaxPool 2x2, Flatten, Gemm with
 * transB = 1, dynamic batch). Weights are seeded He-uniform; `prune` zeroes
 * the smallest |w| of every conv/dense weight but the last layer's.
 */
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../src/runtime/onnx/write.js';

export interface CnnOptions {
  /** [channels, height, width] of one image (default [3, 32, 32]). */
  image?: readonly [number, number, number];
  /** Fraction of weights set to zero in every layer but the classifier (default 0). */
  prune?: number;
  /**
   * Prune [4 output x 4 input channel] blocks at one kernel position
   * together, by their L2 norms (4), or each weight by its magnitude (1, the
   * default): the block sparse conv kernels want the former.
   */
  pruneBlock?: 1 | 4;
  seed?: number;
  opset?: number;
}

/** Deterministic uniform values in [-1, 1) (xorshift32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Zeroes the `fraction` of entries with the smallest magnitudes. */
export function pruneSmallest(w: Float32Array, fraction: number): Float32Array {
  if (fraction <= 0) return w;
  const sorted = Float32Array.from(w, Math.abs).sort();
  const threshold = sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  return w.map((v) => (Math.abs(v) <= threshold ? 0 : v));
}

/**
 * Zeroes the `fraction` of blocks of w [rows, channels * positions] with the
 * smallest L2 norms, a block being `block` consecutive rows x `block`
 * consecutive channels at one of the `positions` kernel positions (column
 * c * positions + t): the [4 output x 4 input channel] blocks of
 * qu8s8-conv2d, which are also [4 x 1] blocks for the float kernels. Blocks
 * at the edges may be smaller. block 1 prunes single weights.
 */
export function pruneBlocks(w: Float32Array, rows: number, block: number, fraction: number, positions = 1): Float32Array {
  if (fraction <= 0 || block === 1) return pruneSmallest(w, fraction);
  const cols = w.length / rows, channels = cols / positions;
  const members = (r0: number, c0: number, t: number): number[] => {
    const at: number[] = [];
    for (let r = r0; r < Math.min(rows, r0 + block); r++)
      for (let c = c0; c < Math.min(channels, c0 + block); c++) at.push(r * cols + c * positions + t);
    return at;
  };
  const blocks: { norm: number; at: number[] }[] = [];
  for (let r0 = 0; r0 < rows; r0 += block)
    for (let c0 = 0; c0 < channels; c0 += block)
      for (let t = 0; t < positions; t++) {
        const at = members(r0, c0, t);
        blocks.push({ norm: at.reduce((s, i) => s + w[i] ** 2, 0), at });
      }
  blocks.sort((a, b) => a.norm - b.norm);
  const out = Float32Array.from(w);
  for (const { at } of blocks.slice(0, Math.round(fraction * blocks.length))) for (const i of at) out[i] = 0;
  return out;
}

/** Layer shapes: output channels / units of each layer, and the spatial size after the conv stack. */
function spatialAfterStack(h: number): number {
  const conv = (x: number) => x - 2;
  const pool = (x: number) => Math.floor(x / 2);
  return conv(pool(conv(pool(conv(h)))));
}

export function cifarCnn(options: CnnOptions = {}): OnnxGraph {
  const [c, h, w] = options.image ?? [3, 32, 32];
  const random = seededRandom(options.seed ?? 1);
  const prune = options.prune ?? 0;
  const initializers: OnnxTensor[] = [];
  const weight = (name: string, dims: number[], fanIn: number, pruned: boolean) => {
    const bound = Math.sqrt(6 / fanIn);
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * bound);
    const positions = dims.slice(2).reduce((a, b) => a * b, 1);
    initializers.push({ name, type: 'float', dims, data: pruned ? pruneBlocks(data, dims[0], options.pruneBlock ?? 1, prune, positions) : data });
  };
  const bias = (name: string, n: number) => initializers.push({ name, type: 'float', dims: [n], data: Float32Array.from({ length: n }, () => random() * 0.1) });
  const nodes: OnnxNode[] = [];
  let x = 'input';
  const convs: [string, number, number][] = [['conv1', c, 32], ['conv2', 32, 64], ['conv3', 64, 64]];
  convs.forEach(([name, cin, cout], i) => {
    weight(`${name}.weight`, [cout, cin, 3, 3], cin * 9, true);
    bias(`${name}.bias`, cout);
    nodes.push({ opType: 'Conv', name, inputs: [x, `${name}.weight`, `${name}.bias`], outputs: [`${name}.out`], attributes: { kernel_shape: [3, 3], pads: [0, 0, 0, 0], strides: [1, 1] } });
    nodes.push({ opType: 'Relu', name: `${name}.relu`, inputs: [`${name}.out`], outputs: [`${name}.act`] });
    x = `${name}.act`;
    if (i < 2) {
      nodes.push({ opType: 'MaxPool', name: `pool${i + 1}`, inputs: [x], outputs: [`pool${i + 1}.out`], attributes: { kernel_shape: [2, 2], strides: [2, 2] } });
      x = `pool${i + 1}.out`;
    }
  });
  const s = spatialAfterStack(h);
  if (spatialAfterStack(w) !== s) throw new RangeError('options.image must be square');
  nodes.push({ opType: 'Flatten', name: 'flatten', inputs: [x], outputs: ['flat'], attributes: { axis: 1 } });
  const features = 64 * s * s;
  weight('fc1.weight', [64, features], features, true);
  bias('fc1.bias', 64);
  weight('fc2.weight', [10, 64], 64, false);
  bias('fc2.bias', 10);
  nodes.push({ opType: 'Gemm', name: 'fc1', inputs: ['flat', 'fc1.weight', 'fc1.bias'], outputs: ['fc1.out'], attributes: { transB: 1 } });
  nodes.push({ opType: 'Relu', name: 'fc1.relu', inputs: ['fc1.out'], outputs: ['fc1.act'] });
  nodes.push({ opType: 'Gemm', name: 'fc2', inputs: ['fc1.act', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: { transB: 1 } });
  return {
    name: 'cifar-cnn',
    nodes,
    initializers,
    inputs: [{ name: 'input', type: 'float', dims: ['batch', c, h, w] }],
    outputs: [{ name: 'logits', type: 'float', dims: ['batch', 10] }],
    opset: options.opset ?? 13,
  };
}

/** A batch of seeded images in [0, 1), NCHW. */
export function randomImages(batch: number, image: readonly [number, number, number] = [3, 32, 32], seed = 7): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: batch * image[0] * image[1] * image[2] }, () => (random() + 1) / 2);
}
