/**
 * The direct path of the conv operators: stride-1, ungrouped 2-D (and 1-D)
 * convolutions run on cpu.conv2d, which reads the NCHW input in place of an
 * im2col copy and writes NCHW output without a transpose, in the format
 * (dense, CSR, blocks, int8 blocks) the cost model picks for the weights
 * (backends/cpu/conv/choice.ts), when it finds one cheaper than im2col + GEMM on the
 * kernel variants this CPU runs. Quantized layers need exact sums
 * (conv2dIsExact, checked against the run's input zero point); a layer that
 * fails it, and every strided or grouped one, takes the im2col path
 * (conv-engine.ts).
 */
import { cpu } from '../../backends/cpu/backend.js';
import { blockDensity, conv2dIsExact, hasInt8ConvKernel, planConv2d, type Conv2dOptions, type Conv2dPlan, type ConvWeights } from '../../backends/cpu/conv2d.js';
import { convGeometry } from '../../backends/cpu/im2col.js';
import { sizeOf, tensor, type QuantParams, type Tensor } from '../../tensor.js';
import type { Allocate } from '../buffers.js';
import type { Value } from '../onnx/model.js';
import { as4d, convOptions, outputDims, type WindowAttributes } from './conv-attributes.js';
import type { ConvWeightSource } from './conv-engine.js';
import { chooseConvPath, type ConvCandidate } from '../../backends/cpu/conv/choice.js';
import type { ConvPath, ConvShape } from '../../backends/cpu/conv/costs.js';

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

/**
 * Packs the weights for cpu.conv2d when the layer can run direct (stride 1,
 * one group) and the cost model (backends/cpu/conv/choice.ts) finds a direct format
 * cheaper than im2col + GEMM on the variants this CPU runs; else undefined
 * (the caller takes the im2col path). Sparse formats only when `trySparse`.
 */
export function prepareDirectConv<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>, groups: number, window: WindowAttributes, trySparse: boolean): DirectConv | undefined {
  if (groups !== 1 || window.strides[0] !== 1 || window.strides[1] !== 1) return undefined;
  const { path } = chooseConvPath(convShape(w, window), convCandidates(w, window, trySparse));
  return path === 'im2col' || path === 'im2col-int8' ? undefined : packDirectConv(w, window, path);
}

/** The cost model's view of a layer with weights `w`. */
export function convShape(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, window: WindowAttributes): ConvShape {
  const [oc, c] = w.dims;
  return { outChannels: oc, channels: c, kernelPositions: window.kernel[0] * window.kernel[1], uint8Input: w.type !== 'float32' };
}

/**
 * The paths a stride-1 ungrouped layer can take, with the stored fraction of
 * its weights in each format (zero: the weight's zero point): im2col and the
 * dense direct kernel always, CSR and [4 x 1] blocks when `trySparse`, and
 * int8 blocks for integer weights whose values minus zero point fit int8
 * where qu8s8-conv2d runs SIMD code (the addon runs its scalar variant for
 * no call: the float kernels take those layers).
 */
export function convCandidates(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, window: WindowAttributes, trySparse: boolean): ConvCandidate[] {
  const quantized = w.type !== 'float32';
  const candidates: ConvCandidate[] = [{ path: 'direct', density: 1 }, { path: quantized ? 'im2col-int8' : 'im2col', density: 1 }];
  if (!trySparse) return candidates;
  const oc = w.dims[0], taps = w.data.length / oc;
  const zero = (i: number) => (w.zeroPoints ? w.zeroPoints[w.zeroPoints.length === 1 ? 0 : Math.floor(i / taps)] : 0);
  const stored = Uint8Array.from(w.data as ArrayLike<number>, (v, i) => (v !== zero(i) ? 1 : 0));
  candidates.push({ path: 'direct-csr', density: blockDensity(stored, oc, 1) }, { path: 'direct-block4', density: blockDensity(stored, oc, 4) });
  let fitsInt8 = quantized;
  for (let i = 0; fitsInt8 && i < w.data.length; i++) fitsInt8 = w.data[i] - zero(i) >= -128 && w.data[i] - zero(i) <= 127;
  if (fitsInt8 && hasInt8ConvKernel()) candidates.push({ path: 'direct-int8', density: blockDensity(stored, oc, 4, 4, window.kernel[0] * window.kernel[1]) });
  return candidates;
}

/** Packs `w` for cpu.conv2d in the format of a direct `path` (the choice above, or a calibration's forced one). */
export function packDirectConv<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>, window: WindowAttributes, path: Exclude<ConvPath, 'im2col' | 'im2col-int8'>): DirectConv {
  const [oc, c] = w.dims;
  const [kh, kw] = window.kernel;
  const quant: QuantParams = !w.scales ? {} : w.scales.length === 1
    ? { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 }
    : { scale: w.scales, zeroPoint: w.zeroPoints ?? new Int32Array(w.scales.length), axis: 0 };
  // int8 blocks come with the float [4 x 1] blocks (the fallback where the 8-bit kernel does not apply).
  const options = path === 'direct' ? {} : { sparse: true, blockRows: path === 'direct-csr' ? 1 : 4 } as const;
  const weights = cpu.packConvWeights(tensor(w.type, [oc, c, kh, kw], w.data, quant) as Tensor<'float32' | 'int8' | 'uint8'>, options);
  return { weights, label: `conv-${path}`, plans: new Map() };
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
