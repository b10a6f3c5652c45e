/**
 * The CIFAR-10 CNN's three conv layers (3x3, no padding, bias, ReLU, and
 * the 2x2 max pool after conv1 and conv2, fused on sparq's side as its
 * runtime runs them) on cpu.conv2d, against onnxruntime's Conv + Relu (+
 * MaxPool): float32 dense and 90% pruned in [4 output x 4 input channel]
 * blocks (the blocks qu8s8-conv2d stores, and [4 x 1] blocks for
 * f32-spconv2d); then the same weights quantized to int8 on uint8 images
 * against QLinearConv (+ MaxPool). Ops count the dense convolution, so a
 * pruned layer's rate is an effective one.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { convFamily } from '../../backends/cpu/conv2d.js';
import { applyMask, blockMask } from '../../compress/prune/masks.js';
import { mulberry32 } from '../../random.js';
import { tensor } from '../../tensor.js';
import type { Ort } from '../../runtime/compare/ort.js';
import { convGraph, ortSession, qconvGraph } from '../ort-graphs.js';
import { dispatchedVariant, filled, releasing, type KernelCase } from './kernel-case.js';

export interface ConvLayer {
  name: string;
  channels: number;
  /** Input height and width. */
  size: number;
  outChannels: number;
  pooled: boolean;
}

export const CIFAR_CONV_LAYERS: readonly ConvLayer[] = [
  { name: 'conv1', channels: 3, size: 32, outChannels: 32, pooled: true },
  { name: 'conv2', channels: 32, size: 15, outChannels: 64, pooled: true },
  { name: 'conv3', channels: 64, size: 6, outChannels: 64, pooled: false },
];

/** uint8 images at 1/255 around 128, uint8 output from 0 (ReLU). */
const Q = { xScale: 1 / 255, xZeroPoint: 128, yScale: 0.05, yZeroPoint: 0 };
const POOL = { kernelShape: [2, 2], strides: [2, 2] } as const;

interface ConvData {
  layer: ConvLayer;
  batch: number;
  w: Float32Array;
  /** w is pruned: packed sparse. */
  pruned: boolean;
  bias: Float32Array;
  /** Images in [0, 1). */
  x: Float32Array;
  variant: string | undefined;
}

/** Both sides of the float32 layer: sparq's conv2d with bias, ReLU and pool fused, onnxruntime's Conv + Relu (+ MaxPool). */
async function fp32Sides({ layer, batch, w, pruned, bias, x, variant }: ConvData, threads: number, ort: Ort | null) {
  const { channels: c, size: h, outChannels: oc, pooled } = layer;
  const packed = cpu.packConvWeights(tensor('float32', [oc, c, 3, 3], w), pruned ? { sparse: true, blockRows: 4 } : {});
  const input = tensor('float32', [batch, c, h, h], x);
  const options = { bias, activation: 'relu' as const, pool: pooled ? POOL : undefined, variant };
  const out = cpu.conv2d(input, packed, options).data as Float32Array;
  const session = ort && (await ortSession(ort, convGraph(batch, c, h, oc, pooled, w, bias), threads));
  const feeds = ort && { x: new ort.Tensor('float32', x, [batch, c, h, h]) };
  return { packed, sparq: () => cpu.conv2d(input, packed, { ...options, out }), session, ort: session && (() => session.run(feeds!)) };
}

/**
 * Both sides of the int8 layer: the weights quantized symmetric per tensor and
 * packed as int8 blocks (sparse, 4 rows) whatever their sparsity, the layout
 * qu8s8-conv2d runs; uint8 images; uint8 output from 0 (the ReLU).
 */
async function int8Sides({ layer, batch, w, x, variant }: ConvData, threads: number, ort: Ort | null) {
  const { channels: c, size: h, outChannels: oc, pooled } = layer;
  const wScale = Math.max(...Array.from(w, Math.abs)) / 127;
  const wq = Int8Array.from(w, (v) => Math.round(v / wScale));
  const xq = Uint8Array.from(x, (v) => Math.min(255, Math.round(v / Q.xScale)));
  const packed = cpu.packConvWeights(tensor('int8', [oc, c, 3, 3], wq, { scale: wScale }), { sparse: true, blockRows: 4 });
  const input = tensor('uint8', [batch, c, h, h], xq, { scale: Q.xScale, zeroPoint: Q.xZeroPoint });
  const options = { output: 'uint8' as const, outScale: Q.yScale, outZeroPoint: Q.yZeroPoint, pool: pooled ? POOL : undefined, variant };
  const out = cpu.conv2d(input, packed, options).data as Uint8Array;
  const session = ort && (await ortSession(ort, qconvGraph(batch, c, h, oc, pooled, wq, { ...Q, wScale }), threads));
  const feeds = ort && { x: new ort.Tensor('uint8', xq, [batch, c, h, h]) };
  return { packed, sparq: () => cpu.conv2d(input, packed, { ...options, out }), session, ort: session && (() => session.run(feeds!)) };
}

export function convCase(layer: ConvLayer, batch: number, precision: 'fp32' | 'int8', sparsity: 0 | 0.9): KernelCase {
  const { channels: c, size: h, outChannels: oc } = layer;
  return {
    group: 'conv', kernel: `conv 3x3 ${precision}`, family: null, backend: 'cpu', shape: `${layer.name} ${h}x${h}x${c} -> ${oc} b${batch}`, sparsity,
    ops: 2 * oc * c * 9 * batch * (h - 2) ** 2, unit: precision === 'fp32' ? 'GFLOP/s' : 'GOP/s', baseline: precision === 'fp32' ? 'Conv' : 'QLinearConv',
    async setup({ threads, ort, variant }) {
      const random = mulberry32(h * 31 + c);
      const dense = filled(new Float32Array(oc * c * 9), random, (r) => (r - 0.5) * 0.6);
      const w = sparsity === 0 ? dense : applyMask(dense, blockMask({ dims: [oc, c, 3, 3], data: dense }, sparsity, { block: 'int8' }));
      const bias = filled(new Float32Array(oc), random, (r) => (r - 0.5) * 0.2);
      const x = filled(new Float32Array(batch * c * h * h), random, (r) => r);
      const data = { layer, batch, w, pruned: sparsity > 0, bias, x, variant };
      const sides = precision === 'fp32' ? await fp32Sides(data, threads, ort) : await int8Sides(data, threads, ort);
      const family = convFamily(precision === 'fp32' ? 'float32' : 'uint8', sides.packed, variant ?? null);
      return { sparq: sides.sparq, ort: sides.ort, variant: variant ?? dispatchedVariant(family), family, release: releasing(sides.session, sides.packed) };
    },
  };
}
