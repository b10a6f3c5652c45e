/**
 * Direct 2-D convolution of NCHW tensors, without im2col: dense weights on
 * f32-conv2d, pruned ones on f32-spconv2d, int8 blocks on qu8s8-conv2d, any
 * stride (through a polyphase split of the image when strided;
 * kernels/shifted-conv/shifted-conv.h explains the layouts). Float32 images give float32 results
 * (bias and a clamp fused); uint8 images with quantized int8/uint8 weights
 * give exact int32 sums, requantized to uint8/int8 like qgemm: on
 * qu8s8-conv2d's 8-bit dot products (VNNI) for int8 blocks, exact in int32,
 * else on the float kernels as long as every sum stays below 2^24
 * (conv2dIsExact tells).
 */
import { refConv2dSums, type RefConvGeometry } from '../reference/conv2d.js';
import { refMaxPool } from '../reference/maxpool.js';
import { refOutput } from '../reference/quantize.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native, type NativeAddon, type NativeConv2dPlanOptions, type NativeHandle } from '../../native.js';
import { adoptNative, disposeNative, type NativeOwner } from '../../native-lifetime.js';
import { sizeOf, TYPED_ARRAY_OF, type QType, type QuantParams, type Tensor } from '../../tensor.js';
import {
  outputTensor, checkBias, checkBoolean, checkDim, checkInt, checkMade, checkNoOverlap, checkObject, checkQuantParams, checkTensor, checkTensorShape, fail, lockFields, markMade,
  typeFail, type Reads,
} from '../../validate.js';
import { resolveActivation, type PointwiseActivation } from '../../ops/activation.js';
import { refElementwise } from '../reference/elementwise.js';
import { checkVariant } from '../../ops/variant.js';
import { planQuantizedProduct, type MultiplierSource } from '../../ops/quantized-output.js';
import type { QGemmOptions } from './qgemm.js';

/** Integer sums in float32 are exact below 2^24. */
const EXACT_SUM = 2 ** 24;

/** Conv weights laid out once: packConvWeights(). */
export class ConvWeights implements MultiplierSource, NativeOwner {
  /** @internal The addon's handle; null on the reference backend and for empty weights (OC or C = 0). */
  readonly handle: NativeHandle | null;
  /** [OC, C, KH, KW] of the weights. */
  readonly dims: readonly [number, number, number, number];
  /** @internal The weights as float32 (quantized ones minus their zero points), [OC, C*KH*KW]. */
  readonly values: Float32Array;
  readonly sparse: boolean;
  /** Output channels per sparse block (1: CSR). */
  readonly blockRows: number;
  /** Stored weights: nonzeros (with the zeros of stored blocks) when sparse, OC*C*KH*KW when dense. */
  readonly entries: number;
  /** Quantized weights: per-tensor (1) or per-output-channel scales; [1] for float weights. */
  readonly scales: Float32Array;
  readonly quantized: boolean;
  /** The largest sum of |w| over one output channel (what float-kernel exactness depends on). */
  readonly maxRowAbsSum: number;
  /**
   * Whether the weights also have qu8s8-conv2d's [4 x 4] int8 block format
   * (sparse with blockRows 4, integer values in [-128, 127]): uint8 x then
   * runs on 8-bit dot products where the CPU has AVX-512 VNNI, exact in int32.
   */
  readonly int8Blocks: boolean;
  /** @internal */
  multiplierMemo?: MultiplierSource['multiplierMemo'];
  /** @internal The addon's plans of recent calls on these weights (see NativePlans). */
  readonly nativePlans = new NativePlans();

  /** @internal Use packConvWeights(). */
  constructor(dims: readonly [number, number, number, number], values: Float32Array, sparse: boolean, blockRows: number, scales: Float32Array, quantized: boolean) {
    this.dims = dims;
    this.values = values;
    this.sparse = sparse;
    this.blockRows = blockRows;
    this.scales = scales;
    this.quantized = quantized;
    const [oc, c, kh, kw] = dims, taps = c * kh * kw;
    let maxSum = 0;
    for (let o = 0; o < oc; o++) {
      let s = 0;
      for (let k = o * taps; k < (o + 1) * taps; k++) s += Math.abs(values[k]);
      maxSum = Math.max(maxSum, s);
    }
    this.maxRowAbsSum = maxSum;
    this.entries = sparse ? blockDensity(values, oc, blockRows) * oc * taps : values.length;
    // Empty weights give zeros or the bias without a kernel (see conv2d).
    const addon = values.length === 0 ? null : native();
    this.int8Blocks = addon !== null && sparse && blockRows === 4 && fitsInt8Blocks(values);
    this.handle = addon?.packConvWeights({ w: values, outChannels: oc, taps, kernelH: kh, kernelW: kw, sparse, blockRows, maxRowAbsSum: maxSum, int8Blocks: this.int8Blocks }) ?? null;
    markMade(this, ConvWeights);
    lockFields(this, ['multiplierMemo']);
    adoptNative(this);
  }

  /** Frees the packed weights now, instead of when they are garbage-collected; using them after is a TypeError. */
  dispose(): void {
    disposeNative(this, this.handle);
  }
}

/**
 * The addon's conv2d plans of the last few distinct calls on one ConvWeights.
 * Making a plan reads and checks about 30 option fields in the addon (some
 * 5 us, as much as a small layer at batch 1); a one-shot conv2d call repeated
 * with the same geometry and output stage reuses the plan instead. A plan
 * matches while every field is the same: scalars equal, arrays (bias,
 * multipliers) equal in content, since the plan holds copies of them.
 */
class NativePlans {
  private static readonly SIZE = 4;
  private entries: { fields: NativeConv2dPlanOptions; handle: NativeHandle }[] = [];

  get(addon: NativeAddon, fields: NativeConv2dPlanOptions): NativeHandle {
    const hit = this.entries.findIndex((e) => sameFields(e.fields, fields));
    if (hit >= 0) {
      const [entry] = this.entries.splice(hit, 1);
      this.entries.unshift(entry);
      return entry.handle;
    }
    const handle = addon.planConv2d(fields);
    const kept = { ...fields } as Record<string, unknown>;
    for (const k in kept) if (ArrayBuffer.isView(kept[k])) kept[k] = (kept[k] as Float32Array).slice();
    this.entries.unshift({ fields: kept as unknown as NativeConv2dPlanOptions, handle });
    this.entries.length = Math.min(this.entries.length, NativePlans.SIZE);
    return handle;
  }
}

function sameFields(a: NativeConv2dPlanOptions, b: NativeConv2dPlanOptions): boolean {
  const x = a as unknown as Record<string, unknown>, y = b as unknown as Record<string, unknown>;
  for (const k in x) {
    const u = x[k], v = y[k];
    if (u === v) continue;
    if (!ArrayBuffer.isView(u) || !ArrayBuffer.isView(v)) return false;
    const p = u as Float32Array, q = v as Float32Array;
    if (p.length !== q.length || p.constructor !== q.constructor) return false;
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i] && !(Number.isNaN(p[i]) && Number.isNaN(q[i]))) return false;
  }
  return true;
}

/**
 * Whether weights (zero points taken off) fit qu8s8-conv2d's int8 blocks:
 * every value an integer in [-128, 127]. The one place this is decided: the
 * conv choice offers the int8 path by it, packConvWeights packs the blocks by
 * it, and the addon only asserts it.
 */
export function fitsInt8Blocks(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!(Number.isInteger(values[i]) && values[i] >= -128 && values[i] <= 127)) return false;
  return true;
}

/**
 * The share of weight blocks that hold a nonzero, over `values`
 * [outChannels, channels * positions]: a block is `blockRows` consecutive
 * output channels x `blockChannels` consecutive input channels at one of the
 * `positions` kernel positions (blocks at the edges may be smaller; each
 * counts by its size). blockDensity(w, oc, 1) is the plain density,
 * (w, oc, 4) that of the float kernels' [4 x 1] blocks, (w, oc, 4, 4, KH*KW)
 * that of qu8s8-conv2d's [4 x 4] ones.
 */
export function blockDensity(values: ArrayLike<number>, outChannels: number, blockRows: number, blockChannels = 1, positions = 1): number {
  const cols = values.length / outChannels, channels = cols / positions;
  let stored = 0, slots = 0;
  for (let o0 = 0; o0 < outChannels; o0 += blockRows)
    for (let c0 = 0; c0 < channels; c0 += blockChannels)
      for (let t = 0; t < positions; t++) {
        let any = false, size = 0;
        for (let o = o0; o < Math.min(outChannels, o0 + blockRows); o++)
          for (let c = c0; c < Math.min(channels, c0 + blockChannels); c++, size++) any ||= values[o * cols + c * positions + t] !== 0;
        if (any) stored += size;
        slots += size;
      }
  return slots === 0 ? 0 : stored / slots;
}

export interface PackConvOptions {
  /** Keep only the nonzero weights and run f32-spconv2d (default false: dense f32-conv2d). */
  sparse?: boolean;
  /**
   * Sparse only: keep taps per block of this many output channels (1, the
   * default, or 4). Blocks of 4 share each image load among 4 channels: the
   * format for block-pruned weights (blockDensity tells how well it fits).
   */
  blockRows?: 1 | 4;
}

/**
 * Packs [OC, C, KH, KW] conv weights once: float32, or int8/uint8 with
 * `scale`/`zeroPoint` per tensor or per output channel (`axis: 0`; scale
 * may be omitted when only int32 sums are wanted).
 * @throws TypeError/RangeError naming the bad argument.
 */
export function packConvWeights(w: Tensor<'float32' | 'int8' | 'uint8'>, options: PackConvOptions = {}): ConvWeights {
  const t = checkTensor('w', w, ['float32', 'int8', 'uint8'], 4);
  checkObject('options', options);
  const sparse = options.sparse === undefined ? false : checkBoolean('options.sparse', options.sparse);
  const blockRows = options.blockRows === undefined ? 1 : checkInt('options.blockRows', options.blockRows, 1, 4);
  if (blockRows !== 1 && blockRows !== 4) fail('options.blockRows', 'must be 1 or 4');
  if (blockRows !== 1 && !sparse) typeFail('options.blockRows', 'needs options.sparse');
  const dims = t.dims as [number, number, number, number];
  if (dims[2] === 0 || dims[3] === 0) fail('w.dims', `[${dims.join(', ')}] have an empty kernel: KH and KW must be >= 1`);
  if (t.type === 'float32') return new ConvWeights(dims, t.data as Float32Array, sparse, blockRows, Float32Array.of(1), false);
  const q = t as Tensor<QType>;
  if (q.axis !== undefined && typeof q.scale === 'number') typeFail('w.scale', 'must be an array when w.axis is set');
  const { scales, zeroPoints, axis } = checkQuantParams('w.', q.scale ?? 1, q.zeroPoint, q.axis, dims, q.type);
  if (axis !== undefined && axis !== 0) typeFail('w.axis', 'must be 0 (per output channel) for conv weights');
  const taps = dims[1] * dims[2] * dims[3];
  // Indexed, not Float32Array.from (which iterates, and iterating throws on an empty array whose buffer was detached).
  const values = new Float32Array(q.data.length);
  for (let i = 0; i < values.length; i++) values[i] = q.data[i] - zeroPoints[zeroPoints.length === 1 ? 0 : Math.floor(i / taps)];
  return new ConvWeights(dims, values, sparse, blockRows, scales, true);
}

export interface Conv2dOptions {
  /** [top, left, bottom, right] (default 0). */
  pads?: readonly [number, number, number, number];
  /** [h, w] (default 1). */
  dilations?: readonly [number, number];
  /** [h, w] (default 1). Above 1: dilations 1, and dense weights or uint8 x on qu8s8-conv2d (the polyphase layout; not f32-spconv2d). */
  strides?: readonly [number, number];
  /** float32 output: per output channel Float32Array; integer output: Int32Array at the accumulator scale. */
  bias?: Float32Array | Int32Array;
  /**
   * Clamp in real units (float32, uint8, int8 output); for float32 output
   * without a pool also 'hardswish', 'hardsigmoid' or { kind, alpha, beta,
   * min, max } (f32-elementwise on each task's output rows, in cache).
   */
  activation?: PointwiseActivation;
  /** uint8 input: 'int32' (default), 'uint8' or 'int8' (need outScale). float32 input: 'float32' only. */
  output?: 'float32' | 'int32' | 'uint8' | 'int8';
  outScale?: number;
  outZeroPoint?: number;
  /** Force one variant by name (tests, benchmarks). */
  variant?: string;
  /**
   * Max-pool the result before it is stored (unpadded windows, floor
   * rounding): the output is then [N, OC, (OH - KH) / SH + 1, (OW - KW) / SW + 1].
   * Same values as cpu.maxPool of the unpooled result, without writing it.
   */
  pool?: { kernelShape: readonly [number, number]; strides?: readonly [number, number] };
  /** Write the [N, OC, OH, OW] result here (reused storage of the output's type; must not overlap x). */
  out?: Float32Array | Int32Array | Uint8Array | Int8Array;
}

/** Whether this CPU runs one of qu8s8-conv2d's SIMD kernels (not its portable one). */
export function hasInt8ConvKernel(): boolean {
  const variants = native()?.qu8s8Conv2dVariants ?? [];
  return variants.some((v) => v.supported && v.isa !== 'scalar');
}

/**
 * The kernel family conv2d runs for `x` of this type on these weights (the
 * addon only asserts this choice): qu8s8-conv2d for uint8 x on int8 blocks
 * when one of its variants is named or, by default, where the CPU has a SIMD
 * one; else the float kernel of the weights' format.
 * @throws RangeError when a qu8s8-conv2d variant is named for other x or weights.
 */
export function convFamily(xType: 'float32' | 'uint8', w: ConvWeights, variant: string | null): NativeConv2dPlanOptions['family'] {
  const int8Named = variant?.startsWith('qu8s8-conv2d') ?? false;
  const int8 = xType === 'uint8' && w.int8Blocks;
  // Variants name native kernels: without packed weights (reference backend, empty weights) nothing is named.
  if (int8Named && !int8 && w.handle !== null)
    throw new RangeError('qu8s8-conv2d variants need uint8 x and weights packed with blockRows 4, integers in [-128, 127] (options.variant)');
  if (int8 && (int8Named || (variant === null && hasInt8ConvKernel()))) return 'qu8s8-conv2d';
  return w.sparse ? 'f32-spconv2d' : 'f32-conv2d';
}

/**
 * Whether conv2d's integer sums are exact for these weights and uint8 input
 * with this zero point, on the family `variant` (default: the best) runs:
 * qu8s8-conv2d is exact in int32; the float kernels below 2^24.
 */
export function conv2dIsExact(w: ConvWeights, xZeroPoint: number, variant: string | null = null): boolean {
  return convFamily('uint8', w, variant) === 'qu8s8-conv2d' || w.maxRowAbsSum * Math.max(xZeroPoint, 255 - xZeroPoint) < EXACT_SUM;
}

function pair(name: string, value: unknown, min: number): [number, number] {
  if (value === undefined) return [1, 1];
  if (!Array.isArray(value) || value.length !== 2) typeFail(name, 'must be an array of 2 numbers');
  return [checkInt(`${name}[0]`, value[0], min, 2 ** 31), checkInt(`${name}[1]`, value[1], min, 2 ** 31)];
}

function geometry(x: Pick<Tensor, 'dims'>, w: ConvWeights, options: Conv2dOptions): RefConvGeometry & { strideH: number; strideW: number; padBottom: number; padRight: number } {
  const [batch, channels, height, width] = x.dims;
  const [outChannels, wc, kernelH, kernelW] = w.dims;
  if (wc !== channels) fail('w', `expects ${wc} input channels, x has ${channels}`);
  const [dilationH, dilationW] = pair('options.dilations', options.dilations, 1);
  const [strideH, strideW] = pair('options.strides', options.strides, 1);
  if (strideH * strideW > 1) {
    if (dilationH * dilationW > 1) fail('options.dilations', 'must be 1 with options.strides above 1');
  }
  let pads = [0, 0, 0, 0];
  if (options.pads !== undefined) {
    if (!Array.isArray(options.pads) || options.pads.length !== 4) typeFail('options.pads', 'must be an array of 4 numbers [top, left, bottom, right]');
    pads = options.pads.map((p, i) => checkDim(`options.pads[${i}]`, p));
  }
  const extentH = height + pads[0] + pads[2] - dilationH * (kernelH - 1);
  const extentW = width + pads[1] + pads[3] - dilationW * (kernelW - 1);
  const outH = Math.floor((extentH - 1) / strideH) + 1, outW = Math.floor((extentW - 1) / strideW) + 1;
  if (extentH < 1 || extentW < 1) fail('w', `(dilated ${dilationH * (kernelH - 1) + 1}x${dilationW * (kernelW - 1) + 1}) is larger than the padded input`);
  return { batch, channels, height, width, outChannels, kernelH, kernelW, dilationH, dilationW, strideH, strideW, padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3], outH, outW };
}

interface PoolGeometry {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  outH: number;
  outW: number;
}

function poolGeometry(pool: Conv2dOptions['pool'], convH: number, convW: number): PoolGeometry | undefined {
  if (pool === undefined) return undefined;
  checkObject('options.pool', pool);
  const [kernelH, kernelW] = pair('options.pool.kernelShape', pool.kernelShape ?? typeFail('options.pool.kernelShape', 'is required'), 1);
  const [strideH, strideW] = pair('options.pool.strides', pool.strides, 1);
  if (kernelH > convH || kernelW > convW) fail('options.pool.kernelShape', `[${kernelH}, ${kernelW}] is larger than the convolution's ${convH}x${convW} output`);
  return { kernelH, kernelW, strideH, strideW, outH: Math.floor((convH - kernelH) / strideH) + 1, outW: Math.floor((convW - kernelW) / strideW) + 1 };
}

/** The reference result: `unpooled` [N*OC planes of convH x convW] max-pooled by `p` into y, or copied. */
function refPooled(unpooled: Float32Array | Int32Array | Uint8Array | Int8Array, y: Float32Array | Int32Array | Uint8Array | Int8Array,
  planes: number, convH: number, convW: number, p: PoolGeometry | undefined): void {
  if (!p) return y.set(unpooled);
  refMaxPool(unpooled as Float32Array, y as Float32Array, { planes, height: convH, width: convW, kernelH: p.kernelH, kernelW: p.kernelW, strideH: p.strideH, strideW: p.strideW, padTop: 0, padLeft: 0, outH: p.outH, outW: p.outW });
}

/** What a tensor is without its data: the part of x a plan depends on. */
export type TensorShape<T extends 'float32' | 'uint8'> = Omit<Tensor<T>, 'data'>;

/**
 * A conv2d call validated once for inputs of one shape and quantization:
 * run() only checks the arrays' lengths, so a runtime calling the same layer
 * on same-shaped inputs pays the argument checks once (at batch 1 they cost
 * as much as the layer).
 */
export interface Conv2dPlan {
  /** The result's dims, type and quantization. */
  readonly dims: readonly number[];
  readonly type: 'float32' | 'int32' | QType;
  readonly quant: QuantParams | undefined;
  /** Runs on `x` (x's type, the planned shape) into `y` (the result's type and size). */
  run(x: Float32Array | Uint8Array, y: Float32Array | Int32Array | Uint8Array | Int8Array): void;
}

/** What one conv2d call passes the addon besides the plan's shapes and the arrays: the kernel family and the output stage. */
type NativeStage = Pick<NativeConv2dPlanOptions, 'family' | 'xZeroPoint' | 'output' | 'bias' | 'min' | 'max' | 'intBias' | 'multipliers' | 'zeroPoint' | 'outMin' | 'outMax' | 'postActivation' | 'postAlpha' | 'postBeta'>;

interface Conv2dSetup extends Conv2dPlan {
  /** The arrays besides x the call reads (weights, bias), which y must not overlap. */
  reads: Reads;
  /** Null for empty weights (see CpuCall.native). */
  native: ((addon: NativeAddon, x: Float32Array | Uint8Array, y: Float32Array | Int32Array | Uint8Array | Int8Array, async: boolean) => Promise<void> | undefined) | null;
  reference(x: Float32Array | Uint8Array, y: Float32Array | Int32Array | Uint8Array | Int8Array): void;
}

/** Validates a call for x (already checked: type and dims) and returns its plan with the native and reference runs. */
function conv2dSetup(x: TensorShape<'float32' | 'uint8'>, w: ConvWeights, options: Conv2dOptions = {}): Conv2dSetup {
  checkMade('w', w, ConvWeights, 'packConvWeights()');
  checkObject('options', options);
  const g = geometry(x, w, options);
  const pool = poolGeometry(options.pool, g.outH, g.outW);
  const dims = [g.batch, g.outChannels, pool?.outH ?? g.outH, pool?.outW ?? g.outW];
  const planes = g.batch * g.outChannels;
  const xSize = g.batch * g.channels * g.height * g.width, ySize = sizeOf(dims);
  const variant = checkVariant(options);
  // The addon call of `stage`: planned at its first run (the addon reads and checks the ~30 fields
  // once; a runtime's Conv2dPlan then runs it per input, one-shot calls find it in w.nativePlans),
  // then run on the arrays alone.
  const nativeRun = (stage: NativeStage): NonNullable<Conv2dSetup['native']> => {
    let planned: NativeHandle | undefined;
    return (addon, xData, yData, async) => {
      planned ??= w.nativePlans.get(addon, {
        family: stage.family, variant, weights: w.handle!, xType: x.type, xZeroPoint: stage.xZeroPoint,
        batch: g.batch, channels: g.channels, height: g.height, width: g.width, kernelH: g.kernelH, kernelW: g.kernelW,
        dilationH: g.dilationH, dilationW: g.dilationW, strideH: g.strideH, strideW: g.strideW, padTop: g.padTop, padLeft: g.padLeft, padBottom: g.padBottom, padRight: g.padRight,
        output: stage.output, bias: stage.bias, min: stage.min, max: stage.max, intBias: stage.intBias, multipliers: stage.multipliers,
        zeroPoint: stage.zeroPoint, outMin: stage.outMin, outMax: stage.outMax,
        poolKernelH: pool?.kernelH ?? 0, poolKernelW: pool?.kernelW ?? 0, poolStrideH: pool?.strideH ?? 1, poolStrideW: pool?.strideW ?? 1,
        postActivation: stage.postActivation, postAlpha: stage.postAlpha, postBeta: stage.postBeta,
      });
      return addon.runConv2dPlan(planned, xData, yData, async);
    };
  };
  // options.bias is checked by the time anything reads this.
  const reads: Reads = { w: w.values, 'options.bias': options.bias };
  const plan = (type: Conv2dPlan['type'], quant: QuantParams | undefined, runNative: NonNullable<Conv2dSetup['native']>, runReference: Conv2dSetup['reference']): Conv2dSetup => ({
    dims, type, quant, reads, native: w.handle && runNative, reference: runReference,
    run(xData, yData) {
      if (xData.length !== xSize || !(xData instanceof (x.type === 'float32' ? Float32Array : Uint8Array))) fail('x', `must be ${x.type} with ${xSize} values, as planned`);
      if (yData.length !== ySize || !(yData instanceof TYPED_ARRAY_OF[type])) fail('y', `must be ${type} with ${ySize} values`);
      checkNoOverlap('y', yData, { x: xData, ...reads });
      if (ySize === 0) return;
      const addon = w.handle && native();
      if (addon) runNative(addon, xData, yData, false);
      else runReference(xData, yData);
    },
  });
  if (x.type === 'float32') {
    if (w.quantized) typeFail('w', 'is quantized; float32 x needs float32 weights');
    if ((options.output ?? 'float32') !== 'float32') typeFail('options.output', "must be 'float32' for float32 x");
    const bias = checkBias(options.bias, 'float32', g.outChannels);
    const act = resolveActivation('options.activation', options.activation);
    const post = act.kind === 'clamp' ? undefined : act;
    if (post && pool) typeFail('options.activation', `'${post.kind}' is not applied with a fused pool`);
    // With a post-op the tiles store conv + bias, and the post-op clamps after its activation.
    const [min, max] = post ? [-Infinity, Infinity] : [act.min, act.max];
    return plan('float32', undefined,
      nativeRun({
        family: convFamily('float32', w, variant), xZeroPoint: 0, output: 'float32', bias: bias ?? null, min: act.min, max: act.max,
        intBias: null, multipliers: null, zeroPoint: 0, outMin: 0, outMax: 0, postActivation: post?.kind as 'hardswish' | 'hardsigmoid' | undefined,
        postAlpha: act.alpha, postBeta: act.beta,
      }),
      (xData, yData) => {
        const sums = refConv2dSums(g, xData as Float32Array, 0, w.values);
        const plane = g.outH * g.outW;
        const conv = Float32Array.from(sums, (s, i) => Math.min(Math.max(s + (bias ? bias[Math.floor(i / plane) % g.outChannels] : 0), min), max));
        if (post) refElementwise('none', conv, null, conv, 1, conv.length, 0, post);
        refPooled(conv, yData as Float32Array, planes, g.outH, g.outW, pool);
      });
  }
  if (!w.quantized) typeFail('w', 'must be quantized (int8/uint8) for uint8 x');
  if (resolveActivation('options.activation', options.activation).kind !== 'clamp') typeFail('options.activation', 'HardSwish/HardSigmoid need float32 x and output');
  if (options.output === 'float32') typeFail('options.output', "must be 'int32', 'uint8' or 'int8' for uint8 x");
  const q = planQuantizedProduct('x', x as Omit<Tensor<'uint8'>, 'data'>, w, options as QGemmOptions, g.outChannels, 1);
  if (!conv2dIsExact(w, q.aZeroPoint, variant)) fail('w', 'has an output channel whose sums can reach 2^24 with this x zero point; conv2d would not be exact (use im2col + qgemm)');
  const family = convFamily('uint8', w, variant);
  const quant = q.quant?.scale === undefined ? undefined
    : { scale: q.quant.scale, zeroPoint: q.quant.zeroPoint, axis: typeof q.quant.scale === 'number' ? undefined : 1 };
  // Per-tensor multipliers are spread over the channels (the kernel reads one per channel).
  const mult = q.mult === null ? null : q.mult.length === g.outChannels ? q.mult.slice() : new Float32Array(g.outChannels).fill(q.mult[0]);
  return plan(q.output as 'int32' | QType, quant,
    nativeRun({
      family, xZeroPoint: q.aZeroPoint, output: q.output, bias: null, min: 0, max: 0, intBias: q.bias ?? null, multipliers: mult,
      zeroPoint: q.outZeroPoint, outMin: q.output === 'int32' ? 0 : q.outMin, outMax: q.output === 'int32' ? 0 : q.outMax,
    }),
    (xData, yData) => {
      const sums = refConv2dSums(g, xData as Uint8Array, q.aZeroPoint, w.values);
      const plane = g.outH * g.outW;
      const stage = { multipliers: mult ?? Float32Array.of(1), bias: q.bias, zeroPoints: Int32Array.of(q.outZeroPoint), outMin: q.outMin, outMax: q.outMax, fmin: -Infinity, fmax: Infinity };
      const conv = new (yData.constructor as Int32ArrayConstructor)(sums.length);
      for (let i = 0; i < sums.length; i++) {
        const c = Math.floor(i / plane) % g.outChannels;
        conv[i] = q.output === 'int32' ? (sums[i] + (q.bias ? q.bias[c] : 0)) | 0 : refOutput(sums[i], c, stage, false);
      }
      refPooled(conv, yData as Int32Array, planes, g.outH, g.outW, pool);
    });
}

/**
 * Validates a conv2d call for inputs like `x` (dims, type and quantization;
 * no data needed) once, for many runs.
 * @throws TypeError/RangeError naming the bad argument, as conv2d does.
 */
export function planConv2d(x: TensorShape<'float32' | 'uint8'>, w: ConvWeights, options: Conv2dOptions = {}): Conv2dPlan {
  const { native: _native, reference: _reference, reads: _reads, ...plan } = conv2dSetup(checkTensorShape('x', x, ['float32', 'uint8'], 4), w, { ...options, out: undefined });
  return plan;
}

function conv2dCall(xIn: Tensor<'float32' | 'uint8'>, w: ConvWeights, options: Conv2dOptions = {}): CpuCall<Tensor> {
  const x = checkTensor('x', xIn, ['float32', 'uint8'], 4);
  const setup = conv2dSetup(x, w, options);
  const y = outputTensor(options.out, { 'x.data': x.data, ...setup.reads }, setup.type, setup.dims, setup.quant);
  const run = setup.native;
  return {
    result: y,
    empty: y.data.length === 0,
    native: run && ((addon, async) => run(addon, x.data, y.data as Float32Array, async)),
    reference: () => setup.reference(x.data, y.data as Float32Array),
  };
}

/**
 * Stride-1 2-D convolution of NCHW `x` on the calling thread.
 * @param x float32 [N, C, H, W], or uint8 with `scale` (unless int32 output) and `zeroPoint`
 * @param w packConvWeights() of [OC, C, KH, KW] weights (float32 for float32 x, int8/uint8 for uint8 x)
 * @returns [N, OC, OH, OW] with OH = H + padTop + padBottom - dilationH * (KH - 1) (likewise OW)
 * @throws TypeError/RangeError naming the bad argument.
 */
export function conv2d(x: Tensor<'float32' | 'uint8'>, w: ConvWeights, options?: Conv2dOptions): Tensor {
  return runSync(conv2dCall(x, w, options));
}

/** conv2d() on a libuv worker thread. */
export async function conv2dAsync(x: Tensor<'float32' | 'uint8'>, w: ConvWeights, options?: Conv2dOptions): Promise<Tensor> {
  return runAsync(conv2dCall(x, w, options));
}
