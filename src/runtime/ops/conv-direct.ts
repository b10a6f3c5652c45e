/**
 * The direct path of the conv operators: stride-1, ungrouped 2-D (and 1-D)
 * convolutions run on cpu.conv2d, which reads the NCHW input in place of an
 * im2col copy and writes NCHW output without a transpose, in the format
 * (dense, CSR, blocks, int8 blocks) the costs below pick for the weights.
 * Quantized layers need exact sums (conv2dIsExact, checked against the
 * run's input zero point); a layer that fails it, and every strided or
 * grouped one, takes the im2col path (conv-engine.ts).
 */
import { cpu } from '../../backends/cpu.js';
import { blockDensity, conv2dIsExact, hasInt8ConvKernel, planConv2d, type Conv2dOptions, type Conv2dPlan, type ConvWeights } from '../../kernels/conv2d.js';
import { convGeometry } from '../../kernels/im2col.js';
import { sizeOf, tensor, type QuantParams, type Tensor } from '../../tensor.js';
import type { Allocate } from '../buffers.js';
import type { Value } from '../onnx/model.js';
import { as4d, convOptions, outputDims, type WindowAttributes } from './conv-attributes.js';
import type { ConvWeightSource } from './conv-engine.js';

/**
 * Relative costs of the direct kernels per dense-equivalent FMA, measured
 * with `npm run bench:conv` on the CIFAR CNN's layers (AMD Zen 5, batch 64,
 * BENCHMARKS.md): the CSR kernel makes one image load per FMA (the dense
 * one shares each among 6 channels) and runs at about 1/3.5 of dense speed
 * per stored weight; 4-channel blocks share it among 4 and run at about
 * 1/2. A layer runs on whichever of dense (cost 1), CSR (3.5 x density) and
 * blocks (2 x block density) is cheapest.
 */
export const CSR_COST = 3.5;
export const BLOCK4_COST = 2;
/**
 * int8 weights on uint8 images where the CPU has AVX-512 VNNI: [4 output x
 * 4 input channel] blocks on 8-bit dot products (qu8s8-conv2d). Measured per
 * stored block against the dense float kernel: 0.5 dense (conv2 0.95 vs
 * 1.9 ms), 0.33-0.55 on unstructured 90% pruning (81% of blocks stored),
 * where it also beat CSR on all three CIFAR layers (conv2 0.51 vs 0.68 ms).
 * So dense int8 layers run as all blocks stored, and pruned ones unless
 * their blocks are nearly all stored.
 */
export const INT8_BLOCK_COST = 0.4;

export interface DirectConv {
  weights: ConvWeights;
  /** 'conv-direct', 'conv-direct-csr', 'conv-direct-block4' or 'conv-direct-int8', for profiles. */
  label: string;
  /** Planned calls by input type, dims and quantization; null where the sums would not be exact. */
  plans: Map<string, DirectPlan | null>;
}

/**
 * A planned call, and the fused pool when it runs after the call instead:
 * the kernel pools only windows that fit the conv's output, and a smaller
 * input can leave that output smaller than the window.
 */
interface DirectPlan {
  conv: Conv2dPlan;
  poolAfter?: Conv2dOptions['pool'];
}

const MAX_PLANS = 16;

/** Packs the weights for cpu.conv2d when the layer can run direct (stride 1, one group); else undefined. */
export function prepareDirectConv<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>, groups: number, window: WindowAttributes, trySparse: boolean): DirectConv | undefined {
  if (groups !== 1 || window.strides[0] !== 1 || window.strides[1] !== 1) return undefined;
  const [oc, c] = w.dims;
  const [kh, kw] = window.kernel;
  const quant: QuantParams = !w.scales ? {} : w.scales.length === 1
    ? { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 }
    : { scale: w.scales, zeroPoint: w.zeroPoints ?? new Int32Array(w.scales.length), axis: 0 };
  const format = trySparse ? cheapestFormat(w, kh * kw) : 'dense';
  // int8 blocks come with the float [4 x 1] blocks (the fallback where the 8-bit kernel does not apply).
  const options = format === 'dense' ? {} : { sparse: true, blockRows: format === 'csr' ? 1 : 4 } as const;
  const weights = cpu.packConvWeights(tensor(w.type, [oc, c, kh, kw], w.data, quant) as Tensor<'float32' | 'int8' | 'uint8'>, options);
  return { weights, label: format === 'dense' ? 'conv-direct' : `conv-direct-${format}`, plans: new Map() };
}

type Format = 'dense' | 'csr' | 'block4' | 'int8';

/** The cheapest format by the costs above on the weights' (block) densities (zero: the weight's zero point). */
function cheapestFormat(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, kernelPositions: number): Format {
  const oc = w.dims[0], taps = w.data.length / oc;
  const zero = (i: number) => (w.zeroPoints ? w.zeroPoints[w.zeroPoints.length === 1 ? 0 : Math.floor(i / taps)] : 0);
  const stored = Uint8Array.from(w.data as ArrayLike<number>, (v, i) => (v !== zero(i) ? 1 : 0));
  const costs: Partial<Record<Format, number>> = { dense: 1, csr: CSR_COST * blockDensity(stored, oc, 1), block4: BLOCK4_COST * blockDensity(stored, oc, 4) };
  // The 8-bit kernel takes weights whose values minus zero point fit int8.
  let fitsInt8 = w.type !== 'float32';
  for (let i = 0; fitsInt8 && i < w.data.length; i++) fitsInt8 = w.data[i] - zero(i) >= -128 && w.data[i] - zero(i) <= 127;
  if (fitsInt8 && hasInt8ConvKernel()) costs.int8 = INT8_BLOCK_COST * blockDensity(stored, oc, 4, 4, kernelPositions);
  return (Object.keys(costs) as Format[]).reduce((a, b) => (costs[b]! < costs[a]! ? b : a));
}

/** `y` max-pooled as the fused pool asks (the im2col path's output), or `y` itself. */
export function maxPoolValue(y: Value, pool: Conv2dOptions['pool']): Value {
  if (!pool) return y;
  const type = y.type as 'float32' | 'uint8' | 'int8';
  const r = cpu.maxPool(tensor(type, y.dims, y.data as Float32Array), { kernelShape: pool.kernelShape, strides: pool.strides });
  return { type: y.type, dims: [...r.dims], data: r.data as Value['data'] };
}

/**
 * Runs the convolution of NCHW `xv` (float32, or uint8 with `xQuant`) on
 * cpu.conv2d; undefined when quantized sums would not be exact for this
 * input. The call is planned once per input shape and quantization (a
 * model's inputs rarely change shape), so a run pays no argument checks.
 */
export function runDirectConv(direct: DirectConv, xv: Value, xQuant: QuantParams, window: WindowAttributes, options: Conv2dOptions, allocate: Allocate): Value | undefined {
  const key = `${xv.type} ${xv.dims} ${xQuant.scale} ${xQuant.zeroPoint}`;
  let plan = direct.plans.get(key);
  if (plan === undefined) {
    const [n, c, h, w] = as4d(xv.dims, window);
    if (xv.type === 'uint8' && !conv2dIsExact(direct.weights, (xQuant.zeroPoint as number | undefined) ?? 0)) plan = null;
    else {
      const geometry = convOptions(window, h, w);
      const { outH, outW } = convGeometry([n, c, h, w], geometry);
      const pool = options.pool;
      const poolAfter = pool && (pool.kernelShape[0] > outH || pool.kernelShape[1] > outW) ? pool : undefined;
      const { pads, dilations } = geometry;
      const conv = planConv2d({ type: xv.type as 'float32' | 'uint8', dims: [n, c, h, w], ...xQuant }, direct.weights, { ...options, pool: poolAfter ? undefined : pool, pads, dilations });
      plan = { conv, poolAfter };
    }
    // A model runs one or a few shapes; a bound keeps a shape-changing caller from growing it.
    if (direct.plans.size >= MAX_PLANS) direct.plans.clear();
    direct.plans.set(key, plan);
  }
  if (plan === null) return undefined;
  const { conv, poolAfter } = plan;
  const y = allocate(conv.type as 'float32', sizeOf(conv.dims));
  conv.run(xv.data as Float32Array | Uint8Array, y);
  const [n, oc, oh, ow] = conv.dims;
  return maxPoolValue({ type: conv.type as Value['type'], dims: outputDims(window, n, oc, oh, ow), data: y as Value['data'] }, poolAfter);
}
