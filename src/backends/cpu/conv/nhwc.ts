/**
 * The channels-last convolution operator: x [N, H, W, C] -> y [N, OH, OW, OC]
 * for the NHWC layout (runtime/passes/nhwc-layout.ts). In NHWC a pixel's
 * channels are one contiguous row, so a group-1 conv is one GEMM over all
 * the pixels of the batch:
 *
 *   1x1, stride 1, unpadded:  x as it lies [N*H*W, C] x W' [C, OC]
 *   any other window:         im2col rows [N*OH*OW, KH*KW*C] x W' [KH*KW*C, OC]
 *
 * and the GEMM's [pixels, OC] result IS the NHWC output: no transposes.
 * Dense float32 windows skip the im2col rows: planConv2dNhwc runs the same
 * product on the input as it lies, one window row (KW*C contiguous floats)
 * per GEMM microkernel call (f32-conv2d-nhwc, the "shifted GEMM").
 * Dense int8 layers of any other window skip the im2col matrix: planQconv2dNhwc
 * (qu8s8-conv2d-nhwc) gathers the rows of a few pixels at a time into a
 * cache-resident buffer for the same GEMM microkernels (planWindowedQconv).
 * Pruned weights run the same product on a sparse kernel when it is modelled
 * faster than dense for W [OC, KH*KW*C] (chooseNhwcLayout): float32 on planSpmmNhwc (the f32-spmm kernels on panels
 * of pixels transposed in cache), int8 without zero points on planQSpmmNhwc
 * (qu8s8-spmm's channels-last kernels: the rows read and written in place, the requantized output stage) (label <kind>-nhwc-<layout>,
 * e.g. conv-nhwc-bsr4x1, qconv-nhwc-1x1-bsr1x4).
 * The im2col (x32-im2col's NHWC entry points, planned per shape) copies each
 * tap's C channels as one run, into a rows buffer every NHWC conv shares.
 * W' is the ONNX weight [OC, C, KH, KW] reordered once to rows (kh, kw, c),
 * c fastest, the order of the im2col rows. Float32 runs planGemm (bias and
 * clamp fused, HardSwish / HardSigmoid in place after); uint8 runs planQGemm
 * with the requantized output stage of the NCHW operator (per-channel weight
 * scales, int32 bias, x zero point), so both layouts give the same bytes.
 */
import { tensor, type QType, type QuantParams, type Tensor } from '../../../tensor.js';
import { SparseMatrix } from '../../../sparse/sparse-matrix.js';
import { native } from '../../../native.js';
import type { ResolvedActivation } from '../../../ops/activation.js';
import { convGeometry } from '../../../ops/im2col.js';
import { activate } from '../elementwise.js';
import { DEFAULT_CROSSOVER } from '../crossover-table.js';
import { chooseLayout, defaultCrossover, LAYOUTS, storedDensities, type SparseLayout } from '../crossover.js';
import { costForIsa, runningIsa } from '../isa-level.js';
import { planConv2dNhwc } from '../conv2d-nhwc.js';
import { planMaxPoolNhwc } from '../maxpool.js';
import { planGemm } from '../gemm.js';
import { LINEAR_LAYOUTS } from '../linear.js';
import { planSpmmNhwc } from '../spmm-nhwc.js';
import { planQSpmmNhwc } from '../qspmm-nhwc.js';
import { packSparseWeights, type PackedSparseWeights } from '../qspmm.js';
import { planIm2colNhwc } from '../im2col.js';
import { packWeights, type PackedWeights } from '../pack.js';
import { planQGemm } from '../qgemm.js';
import { planQconv2dNhwc } from '../qconv2d-nhwc.js';
import { transpose } from '../transpose.js';
import type { ConvLayer } from './operator.js';
import { isDepthwise, type ConvRunGeometry, type ConvWeightSource } from './layer.js';
import { prepareDepthwiseNhwc } from './depthwise-nhwc.js';
import { prepareQDepthwiseNhwc } from './depthwise-nhwc-int8.js';
import { chooseNhwcInt8 } from './choice.js';
import { qspmmNhwcDensity } from './costs.js';

/** One input shape and quantization's call, checked once: run() takes only the arrays. */
export interface NhwcConvPlan {
  readonly type: 'float32' | QType;
  /** [N, OH, OW, OC]. */
  readonly dims: readonly [number, number, number, number];
  /** y (of `type`, dims' size) from x [N, H, W, C]; y must not overlap x. */
  run(x: Float32Array | Uint8Array, y: Float32Array | Uint8Array | Int8Array): void;
}

export interface NhwcConvOperator {
  /** For profiles: 'conv-nhwc-1x1', 'qconv-nhwc', ... */
  readonly label: string;
  /** The call for x of `xDims` [N, H, W, C] (uint8: quantized by `xQuant`), in `geometry` (the window resolved for x's H and W). */
  plan(xDims: readonly [number, number, number, number], xQuant: QuantParams, geometry: ConvRunGeometry): NhwcConvPlan;
}

/** Whether the window reads each pixel's channels as they lie: 1x1, stride 1, no padding. */
function isPointwise(kernel: readonly [number, number], geometry: ConvRunGeometry): boolean {
  const [sh, sw] = geometry.strides ?? [1, 1];
  return kernel[0] === 1 && kernel[1] === 1 && sh === 1 && sw === 1 && geometry.pads.every((p) => p === 0);
}

/** W' [KH*KW*C, OC] of ONNX weights [OC, C, KH, KW] (rows (kh, kw, c), c fastest: nhwcRows transposed), packed with the weights' quantization per column. */
function packNhwcWeights<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>): PackedWeights {
  const [oc, c, kh, kw] = w.dims;
  const rows = nhwcRows({ dims: w.dims, data: w.data as Float32Array | Int8Array | Uint8Array });
  const quant: QuantParams = !w.scales ? {} : w.scales.length > 1
    ? { scale: w.scales, zeroPoint: w.zeroPoints, axis: 1 }
    : { scale: w.scales[0], zeroPoint: w.zeroPoints?.[0] ?? 0 };
  const columns = transpose(tensor(w.type, [oc, kh * kw * c], rows as Tensor<T>['data']));
  return packWeights(tensor(w.type, columns.dims, columns.data, quant) as Tensor<'float32' | 'int8' | 'uint8'>);
}

/** W [OC, KH*KW*C] of weights [OC, C, KH, KW], columns (kh, kw, c) as the NHWC rows are: the sparse kernels' operand. */
function nhwcRows<A extends Float32Array | Int8Array | Uint8Array>(w: { dims: readonly number[]; data: A }): A {
  const [oc, c, kh, kw] = w.dims;
  const taps = kh * kw, k = taps * c;
  const rows = new (w.data.constructor as new (n: number) => A)(w.data.length);
  for (let o = 0; o < oc; o++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) rows[o * k + t * c + ch] = w.data[(o * c + ch) * taps + t];
  return rows;
}

/** The pixels the sparse kernels see per call (f32-spmm-nhwc.cc's panel): the crossover's batched row. */
const NHWC_PANEL_PIXELS = 64;

/** ns per multiply-add of the planned GEMM on NHWC rows (float32: ~80 G FMA/s at AVX-512; int8 ~200 G op/s at VNNI). */
export const NHWC_GEMM_NS = {
  float32: { scalar: 1, avx2: 0.025, avx512: 0.0125 },
  int8: { scalar: 1, avx2: 0.03, avx512: 0.01, avx512vnni: 0.005 },
};
/** ns per value copied into or out of a float sparse kernel's pixel panel (transposes). */
export const NHWC_PANEL_NS = { float32: 0.3 };

/**
 * The sparse layout for W [OC, K] of `type`, or 'dense', with its time relative to the dense GEMM's.
 * int8: the calibrated NHWC costs (choice.ts chooseNhwcInt8: qu8s8-spmm's channels-last kernels against the dense GEMM on
 * the fraction of 4-channel groups their 8-channel blocks store, every layout's packing), run as bsr1x4 (csr where K is not a
 * multiple of 4).
 * float32: linear()'s rule, the batched crossover row of the variants and threads running now (density / crossover density).
 * A window other than 1x1 (`taps` > 1) also pays what the dense shifted GEMM does not copy: the sparse kernel's panels, each
 * pixel's K inputs and OC outputs copied once more (NHWC_PANEL_NS, over the GEMM's K x OC multiply-adds at NHWC_GEMM_NS); it
 * runs sparse only where that sum is under dense. linear()'s crossovers were measured without panels: alone they put 2:4
 * weights (bsr4x1 stores ~94% of them, crossover 1 at AVX-512 on one thread) on a kernel 1.5x slower than dense on a 3x3
 * window (the CIFAR CNN's 32 -> 64 conv; the sum models 1.4x).
 */
function chooseNhwcLayout(type: 'float32' | 'int8', rows: Float32Array | Int8Array, oc: number, taps: number): { layout: SparseLayout | 'dense'; relative: number } {
  const k = rows.length / oc;
  if (type === 'int8') {
    const { path, relative } = chooseNhwcInt8(k, oc, qspmmNhwcDensity(rows, oc, k));
    return path === 'dense' ? { layout: 'dense', relative } : { layout: k % 4 === 0 ? 'bsr1x4' : 'csr', relative };
  }
  const crossover = defaultCrossover(DEFAULT_CROSSOVER, type, NHWC_PANEL_PIXELS, native()?.getThreads() ?? 1);
  const densities = storedDensities(rows, oc, k, LINEAR_LAYOUTS[type]);
  const layout = chooseLayout(densities, crossover);
  if (layout === 'dense') return { layout, relative: 1 };
  const relative = densities[layout]! / crossover[layout]!;
  const panels = taps === 1 ? 0 : ((k + oc) * NHWC_PANEL_NS.float32) / (k * oc * costForIsa(NHWC_GEMM_NS.float32, runningIsa('f32-gemm'))!);
  return relative + panels < 1 ? { layout, relative } : { layout: 'dense', relative: 1 };
}

/** The layout the operator runs `w` on with layer.sparse set ('dense' where it could not run sparse), and its time relative to dense (the layout pass's estimate). */
export function nhwcSparseChoice(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>): { layout: SparseLayout | 'dense'; relative: number } {
  if (w.type === 'uint8' || w.zeroPoints?.some((z) => z !== 0)) return { layout: 'dense', relative: 1 };
  return chooseNhwcLayout(w.type, nhwcRows({ dims: w.dims, data: w.data as Float32Array | Int8Array }), w.dims[0], w.dims[2] * w.dims[3]);
}

/**
 * The im2col rows of the conv being run. The runtime runs one node at a
 * time on its thread, so every NHWC conv shares one buffer per element
 * type, grown to the largest: a buffer per node and input shape would hold
 * hundreds of MiB in a ResNet at batch 16.
 */
let floatRows = new Float32Array(0);
let byteRows = new Uint8Array(0);

function rowsBuffer(type: 'float32' | 'uint8', length: number): Float32Array | Uint8Array {
  if (type === 'uint8') {
    if (byteRows.length < length) byteRows = new Uint8Array(length);
    return byteRows.subarray(0, length);
  }
  if (floatRows.length < length) floatRows = new Float32Array(length);
  return floatRows.subarray(0, length);
}

/** One GEMM of the pixels' rows a [rows, K] against W' into y [rows, OC]. */
type RowsProduct = (a: Float32Array | Uint8Array, y: Float32Array | Uint8Array | Int8Array) => void;

/**
 * Packs a layer's weights for NHWC once. Expects a layer the caller
 * validated (2-D; bias and quantization sized to the weights) with a
 * float32 or requantized (uint8/int8) result.
 * @throws RangeError for int32 sums or a grouped layer (but a depthwise one).
 */
export function prepareConvNhwc<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>): NhwcConvOperator {
  if (layer.output === 'int32') throw new RangeError('layer.output: int32 sums (ConvInteger) run NCHW only');
  if (layer.group !== 1 && !isDepthwise(layer.weights.dims, layer.group)) throw new RangeError(`layer.group: ${layer.group} groups do not run NHWC (group 1 only)`);
  // Depthwise layers (isDepthwise) branch off here, to the channels-last depthwise kernels.
  const op = layer.group === 1 ? prepareGemmConvNhwc(layer)
    : layer.output === 'float32' ? prepareDepthwiseNhwc(layer as ConvLayer<'float32'>) : prepareQDepthwiseNhwc(layer);
  return layer.pool ? pooledNhwc(op, layer.pool) : op;
}

/**
 * The conv's unpooled NHWC results, one buffer per element type shared by
 * every pooled NHWC conv (the runtime runs one node at a time on its
 * thread), grown to the largest: written by the conv, read by its pool.
 */
const unpooled: Record<'float32' | QType, Float32Array | Uint8Array | Int8Array> = { float32: new Float32Array(0), uint8: new Uint8Array(0), int8: new Int8Array(0) };
const ARRAYS = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array };

function unpooledBuffer(type: 'float32' | QType, length: number): Float32Array | Uint8Array | Int8Array {
  if (unpooled[type].length < length) unpooled[type] = new ARRAYS[type](length);
  return unpooled[type].subarray(0, length);
}

/**
 * A layer with a fused max pool (runtime/passes/fuse-maxpool.ts): the conv's
 * NHWC result into a scratch that stays in cache, then the channels-last
 * pool (f32-maxpool-nhwc, planned with the conv) into y. The NCHW
 * operator's values: it pools before requantizing, and requantization is
 * monotonic, so the max commutes with it; the fused clamp likewise.
 */
function pooledNhwc(op: NhwcConvOperator, pool: NonNullable<ConvLayer<'float32'>['pool']>): NhwcConvOperator {
  return {
    label: op.label,
    plan(xDims, xQuant, geometry) {
      const conv = op.plan(xDims, xQuant, geometry);
      const size = conv.dims.reduce((a, b) => a * b, 1);
      const pooled = planMaxPoolNhwc({ type: conv.type, dims: conv.dims }, { kernelShape: pool.kernelShape, strides: pool.strides });
      return {
        type: conv.type,
        dims: pooled.dims,
        run(x, y) {
          const t = unpooledBuffer(conv.type, size);
          conv.run(x, t);
          pooled.run(t, y);
        },
      };
    },
  };
}

/** A group-1 layer as one GEMM over the batch's pixels: on the image as it lies (pointwise) or on its NHWC im2col rows. */
function prepareGemmConvNhwc<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>): NhwcConvOperator {
  const { weights: w, output } = layer;
  const [oc, c, kh, kw] = w.dims;
  const kernel = [kh, kw] as const;
  const float = output === 'float32';
  const sparse = layer.sparse ? sparseNhwcWeights(w) : undefined;
  const packed = sparse ? undefined : packNhwcWeights(w);
  const kind = float ? 'conv' : 'qconv';
  const xType = float ? 'float32' : 'uint8';
  const product = (rows: number, k: number, xQuant: QuantParams): RowsProduct => {
    if (float) {
      const options = { bias: layer.bias as Float32Array | undefined, activation: layer.activation };
      const a = { type: 'float32', dims: [rows, k] } as const;
      const run = sparse?.type === 'float32' ? planSpmmNhwc(sparse.weights, a, options).run : planGemm(a, packed!, options).run;
      const post = layer.postActivation;
      return (x, y) => runFloat(run, x as Float32Array, y as Float32Array, post);
    }
    const a = { type: 'uint8', dims: [rows, k], scale: xQuant.scale, zeroPoint: xQuant.zeroPoint } as const;
    const stage = { output: output as QType, outScale: layer.outScale, outZeroPoint: layer.outZeroPoint, bias: layer.bias as Int32Array | undefined, activation: layer.activation };
    const qgemm = sparse?.type === 'int8' ? planQSpmmNhwc(sparse.weights, a, stage) : planQGemm(a, packed!, stage);
    return (a, y) => qgemm.run(a as Uint8Array, y as Uint8Array | Int8Array);
  };
  return {
    label: `${kind}-nhwc${kh === 1 && kw === 1 ? '-1x1' : ''}${sparse ? `-${sparse.layout}` : ''}`,
    plan(xDims, xQuant, geometry) {
      const [n, h, width] = xDims;
      const { outH, outW } = convGeometry([n, c, h, width], geometry);
      const type = output as 'float32' | QType;
      const dims = [n, outH, outW, oc] as const;
      const rows = n * outH * outW;
      if (isPointwise(kernel, geometry)) return { type, dims, run: product(rows, c, xQuant) };
      if (float && packed) return { type, dims, run: shiftedConv(layer as ConvLayer<'float32'>, packed, xDims, geometry) };
      if (!float && !sparse) return { type, dims, run: planWindowedQconv(layer as ConvLayer<QType>, packed!, xDims, xQuant, geometry) };
      const im2col = planIm2colNhwc({ type: xType, dims: xDims, ...xQuant }, geometry);
      const k = kh * kw * c;
      const gemm = product(rows, k, xQuant);
      return {
        type, dims,
        run(x, y) {
          const col = rowsBuffer(xType, rows * k);
          im2col.run(x, col);
          gemm(col, y);
        },
      };
    },
  };
}

/**
 * A dense int8 conv of any other window on qu8s8-conv2d-nhwc: each tile of
 * output pixels gathers its windows into a cache-resident buffer for the
 * qu8s8-gemm microkernels, where im2col rows + planQGemm wrote and read back
 * KH*KW copies of the image; the same bytes.
 */
function planWindowedQconv(layer: ConvLayer<QType>, packed: PackedWeights, xDims: readonly [number, number, number, number], xQuant: QuantParams,
  geometry: ConvRunGeometry): (x: Float32Array | Uint8Array, y: Float32Array | Uint8Array | Int8Array) => void {
  const stage = { output: layer.output as QType, outScale: layer.outScale, outZeroPoint: layer.outZeroPoint, bias: layer.bias as Int32Array | undefined, activation: layer.activation };
  const conv = planQconv2dNhwc({ type: 'uint8', dims: xDims, ...xQuant }, packed, { ...geometry, ...stage });
  return (x, y) => conv.run(x as Uint8Array, y as Uint8Array | Int8Array);
}

/**
 * The weights as the sparse kernels take them, [OC, KH*KW*C], when
 * chooseNhwcLayout finds a sparse layout faster than dense: float32 ones for
 * planSpmmNhwc; int8 ones without zero points (a pruned weight must mean 0),
 * packed with their scales for planQSpmmNhwc. Else undefined (dense GEMM).
 */
function sparseNhwcWeights(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>): SparseNhwcWeights | undefined {
  const { layout } = nhwcSparseChoice(w);
  if (w.type === 'uint8' || layout === 'dense') return undefined;
  const type = w.type;
  const rows = nhwcRows({ dims: w.dims, data: w.data as Float32Array | Int8Array });
  const oc = w.dims[0];
  const quant: QuantParams = !w.scales ? {} : w.scales.length === 1 ? { scale: w.scales[0] } : { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: 0 };
  const weights = SparseMatrix.fromDense(tensor(type, [oc, rows.length / oc], rows, quant) as Tensor<'float32' | 'int8'>, { ...LAYOUTS[layout] });
  return type === 'float32'
    ? { layout, type, weights: weights as SparseMatrix<'float32'> }
    : { layout, type, weights: packSparseWeights(weights as SparseMatrix<'int8'>) };
}

type SparseNhwcWeights =
  | { layout: SparseLayout; type: 'float32'; weights: SparseMatrix<'float32'> }
  | { layout: SparseLayout; type: 'int8'; weights: PackedSparseWeights };

/** A dense float32 window on the shifted GEMM (planConv2dNhwc: the input read in place, no im2col rows), then the post-activation. */
function shiftedConv(layer: ConvLayer<'float32'>, packed: PackedWeights, xDims: readonly [number, number, number, number], geometry: ConvRunGeometry): RowsProduct {
  const { kernelShape, strides, pads, dilations } = geometry;
  const conv = planConv2dNhwc({ type: 'float32', dims: xDims }, packed, { kernelShape, strides, pads, dilations, bias: layer.bias as Float32Array | undefined, activation: layer.activation });
  const post = layer.postActivation;
  return (x, y) => runFloat(conv.run, x as Float32Array, y as Float32Array, post);
}

/** The float product, then the HardSwish / HardSigmoid post-activation in place (gemm and spmm fuse only a clamp). */
function runFloat(gemm: (a: Float32Array, out: Float32Array) => void, a: Float32Array, y: Float32Array, post: ResolvedActivation | undefined): void {
  gemm(a, y);
  if (post) activate({ type: 'float32', dims: [y.length], data: y }, post, { out: y });
}
