/**
 * The direct path: ungrouped convolutions on cpu.conv2d, which reads the
 * NCHW input in place of an im2col copy (a pointwise conv where it lies; a
 * strided one from its phase planes, one pass over the input) and writes
 * NCHW output without a transpose, with the weights packed once in the
 * format the choice picked (dense, CSR, [4 x 1] blocks, int8 blocks; strided
 * layers dense or int8 blocks). Quantized sums must be exact (conv2dIsExact, against
 * each input's zero point), and strided layers undilated; the operator runs
 * the im2col path where they are not.
 */
import { sizeOf, tensor, type QuantParams, type Tensor } from '../../../tensor.js';
import { conv2dIsExact, packConvWeights, planConv2d, type Conv2dOptions, type Conv2dPlan, type ConvWeights } from '../conv2d.js';
import { convGeometry } from '../../../ops/im2col.js';
import { maxPool } from '../maxpool.js';
import { maxPoolGeometry } from '../../../ops/maxpool.js';
import type { ConvPath } from './costs.js';
import { unpooledAllocate, type ConvAllocate, type ConvRunGeometry, type ConvValue, type ConvWeightSource } from './layer.js';

export type DirectPath = Exclude<ConvPath, 'im2col' | 'im2col-int8'>;

export interface DirectConv {
  weights: ConvWeights;
  /** 'conv-direct', 'conv-direct-csr', 'conv-direct-block4' or 'conv-direct-int8', for profiles. */
  label: string;
  /** Planned calls by input type, dims and quantization; null where the sums would not be exact, or the window strided and dilated. */
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

/** Packs `w` [OC, C, KH, KW] for cpu.conv2d in the format of a direct `path`. */
export function packDirectConv<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>, kernel: readonly [number, number], path: DirectPath): DirectConv {
  const [oc, c] = w.dims;
  const [kh, kw] = kernel;
  const quant: QuantParams = !w.scales ? {} : w.scales.length === 1
    ? { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 }
    : { scale: w.scales, zeroPoint: w.zeroPoints ?? new Int32Array(w.scales.length), axis: 0 };
  // int8 blocks come with the float [4 x 1] blocks (the fallback where the 8-bit kernel does not apply).
  const options = path === 'direct' ? {} : { sparse: true, blockRows: path === 'direct-csr' ? 1 : 4 } as const;
  const weights = packConvWeights(tensor(w.type, [oc, c, kh, kw], w.data, quant) as Tensor<'float32' | 'int8' | 'uint8'>, options);
  return { weights, label: `conv-${path}`, plans: new Map() };
}

/** `y` max-pooled as the fused pool asks, into storage from `allocate`, or `y` itself (which came from unpooledAllocate). */
export function maxPooled(y: ConvValue, pool: Conv2dOptions['pool'], allocate: ConvAllocate): ConvValue {
  if (!pool) return y;
  const type = y.type as 'float32' | 'uint8' | 'int8';
  const { outH, outW } = maxPoolGeometry(y.dims, pool);
  const dims = [y.dims[0], y.dims[1], outH, outW];
  const out = allocate(type, sizeOf(dims)) as Float32Array | Uint8Array | Int8Array;
  maxPool(tensor(type, y.dims, y.data as Float32Array), { kernelShape: pool.kernelShape, strides: pool.strides, out });
  return { type: y.type, dims, data: out as ConvValue['data'] };
}

/**
 * Runs the convolution of NCHW `x` (float32, or uint8 with `xQuant`) on
 * cpu.conv2d; undefined when quantized sums would not be exact for this
 * input (or the window is strided and dilated). The call is planned once per input shape and quantization (a
 * model's inputs rarely change shape), so a run pays no argument checks.
 */
export function runDirectConv(direct: DirectConv, x: ConvValue<'float32' | 'uint8'>, xQuant: QuantParams, geometry: ConvRunGeometry,
  options: Conv2dOptions, allocate: ConvAllocate): ConvValue | undefined {
  const key = `${x.type} ${x.dims} ${xQuant.scale} ${xQuant.zeroPoint}`;
  let plan = direct.plans.get(key);
  if (plan === undefined) {
    const { pads, dilations, strides } = geometry;
    const strided = strides !== undefined && (strides[0] !== 1 || strides[1] !== 1);
    if (x.type === 'uint8' && !conv2dIsExact(direct.weights, (xQuant.zeroPoint as number | undefined) ?? 0)) plan = null;
    else if (strided && dilations !== undefined && (dilations[0] !== 1 || dilations[1] !== 1)) plan = null;
    else {
      const { outH, outW } = convGeometry(x.dims, geometry);
      const pool = options.pool;
      const poolAfter = pool && (pool.kernelShape[0] > outH || pool.kernelShape[1] > outW) ? pool : undefined;
      const conv = planConv2d({ type: x.type, dims: x.dims, ...xQuant }, direct.weights, { ...options, pool: poolAfter ? undefined : pool, pads, dilations, strides });
      plan = { conv, poolAfter };
    }
    // A model runs one or a few shapes; a bound keeps a shape-changing caller from growing it.
    if (direct.plans.size >= MAX_PLANS) direct.plans.clear();
    direct.plans.set(key, plan);
  }
  if (plan === null) return undefined;
  const { conv, poolAfter } = plan;
  const y = unpooledAllocate(poolAfter, allocate)(conv.type, sizeOf(conv.dims));
  conv.run(x.data, y);
  return maxPooled({ type: conv.type, dims: conv.dims, data: y } as ConvValue, poolAfter, allocate);
}
