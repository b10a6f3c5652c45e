/**
 * The typed surface of the native addon, declared in one place, and its
 * loader. Loading tries, in order: an explicit path (SPARQ_NATIVE_PATH or
 * `loadNative(path)`), build/Release, prebuilds/<platform>-<arch>/. If none
 * loads, sparq answers every kernel with its pure-TypeScript reference
 * backend and warns once, so `import 'sparq'` never throws; set
 * SPARQ_REQUIRE_NATIVE=1 to make a missing addon an error instead, or
 * SPARQ_DISABLE_NATIVE=1 to use the reference backend on purpose. An explicit
 * path that fails to load is always an error (the first kernel call throws).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque handle to packed weights owned by the addon. */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeVariant {
  name: string;
  isa: string;
  supported: boolean;
}

export type Async = boolean;
export type IsaLimit = 'scalar' | 'avx2' | 'avx512' | 'avx512vnni' | 'neon' | 'neondot' | 'none';
type Bytes = Uint8Array | Int8Array;

/**
 * What every kernel call's options object holds besides its own fields:
 * `variant` names one of the family's variants (null: the best this CPU
 * allows), `async` runs it on the libuv pool and returns a Promise.
 */
interface KernelCall {
  variant: string | null;
  async: Async;
}

/** The output stage of the quantized products (qu8s8Gemm, qu8s8Spmm). */
interface QOutputFields {
  output: 'int32' | 'uint8' | 'int8' | 'float32';
  c: Int32Array | Bytes | Float32Array;
  ldc: number;
  bias: Int32Array | null;
  /** 1 or one per output channel. */
  multiplier: Float32Array | null;
  outZeroPoint: number;
  outMin: number;
  outMax: number;
  fmin: number;
  fmax: number;
}

/** [outer, channels, inner]: each (outer, channel) row of inner elements shares a channel's parameters. */
interface RowLayout {
  outer: number;
  channels: number;
  inner: number;
}

/** The dense operands and epilogue of f32Spmm and f32SpmmNm. */
interface SpmmDenseFields {
  x: Float32Array;
  k: number;
  m: number;
  ldx: number;
  y: Float32Array;
  ldy: number;
  bias: Float32Array | null;
  min: number;
  max: number;
}

export interface F32GemmCall extends KernelCall {
  weights: NativeHandle; a: Float32Array; m: number; lda: number; c: Float32Array; ldc: number;
  bias: Float32Array | null; min: number; max: number;
}
export interface Qu8s8GemmCall extends KernelCall, QOutputFields {
  weights: NativeHandle; a: Uint8Array; m: number; lda: number; aZeroPoint: number;
}
export interface QuantizeCall extends KernelCall, RowLayout {
  x: Float32Array; y: Bytes; scales: Float32Array; zeroPoints: Int32Array;
}
export interface DequantizeCall extends KernelCall, RowLayout {
  x: Bytes; y: Float32Array; scales: Float32Array; zeroPoints: Int32Array;
}
export interface RequantizeCall extends KernelCall, RowLayout {
  acc: Int32Array; y: Bytes | Float32Array; multipliers: Float32Array; bias: Int32Array | null; zeroPoints: Int32Array;
  outMin: number; outMax: number; fmin: number; fmax: number;
}
export interface MinmaxCall extends KernelCall, RowLayout {
  x: Float32Array; min: Float32Array; max: Float32Array;
}
/** csr (blockRows 1) or bsr with [blockRows, 1] blocks (indptr over block rows, blockRows values per block). */
export interface F32SpmmCall extends KernelCall, SpmmDenseFields {
  rows: number; blockRows: number; indptr: Int32Array; indices: Int32Array; values: Float32Array;
}
/** N:M: n of every groupSize columns; positions and values are [rows, k / groupSize * n]. */
export interface F32SpmmNmCall extends KernelCall, SpmmDenseFields {
  rows: number; n: number; groupSize: number; positions: Uint8Array; values: Float32Array;
}
/** Channels-last: y [pixels, rows] (row stride ldy) = x [pixels, k] (row stride ldx) x W^T; no arrays (runPlan gives them). */
interface SpmmNhwcFields {
  k: number; pixels: number; ldx: number; ldy: number; bias: Float32Array | null; min: number; max: number;
}
export type F32SpmmNhwcPlanCall = Omit<F32SpmmCall, keyof SpmmDenseFields | 'async'> & SpmmNhwcFields;
export type F32SpmmNmNhwcPlanCall = Omit<F32SpmmNmCall, keyof SpmmDenseFields | 'async'> & SpmmNhwcFields;
/** x [k, m], c [rows, m]. */
export interface Qu8s8SpmmCall extends KernelCall, QOutputFields {
  weights: NativeHandle; x: Uint8Array; m: number; ldx: number; aZeroPoint: number;
}
/** dst [cols, rows] = src [rows, cols]^T; src and dst the same kind of 4- or 1-byte typed array. */
export interface TransposeCall extends KernelCall {
  src: Float32Array | Int32Array | Uint8Array | Int8Array; dst: Float32Array | Int32Array | Uint8Array | Int8Array;
  rows: number; cols: number;
}
/** col [groups][batch * outH * outW][channelsPerGroup * kernelH * kernelW]. */
export interface Im2colCall extends KernelCall {
  x: Float32Array | Uint8Array; col: Float32Array | Uint8Array; batch: number; groups: number; channelsPerGroup: number;
  height: number; width: number; kernelH: number; kernelW: number; strideH: number; strideW: number;
  dilationH: number; dilationW: number; padTop: number; padLeft: number; outH: number; outW: number; padValue: number;
}
/**
 * y [planes, outH, outW] = max over each window of x [planes, height, width]; x and y the same kind of array.
 * `variant` picks the float32 kernel of 2x2 stride-2 unpadded windows; other shapes and byte planes run the portable one.
 */
export interface MaxPoolCall extends KernelCall {
  x: Float32Array | Uint8Array | Int8Array; y: Float32Array | Uint8Array | Int8Array; planes: number; height: number;
  width: number; kernelH: number; kernelW: number; strideH: number; strideW: number; padTop: number; padLeft: number;
  outH: number; outW: number;
}
/** y [images, outH, outW, channels] = max over each window of x [images, height, width, channels] (channels last); x and y the same kind of array. */
export interface MaxPoolNhwcCall extends KernelCall {
  x: Float32Array | Uint8Array | Int8Array; y: Float32Array | Uint8Array | Int8Array; images: number; height: number;
  width: number; channels: number; kernelH: number; kernelW: number; strideH: number; strideW: number; padTop: number;
  padLeft: number; outH: number; outW: number;
}
/**
 * The gradient of a 2x2 stride-2 unpadded max pool (kernels/f32-maxpool-grad-nhwc): dx [images, height, width, channels]
 * from x, the pool's output y and its gradient dy [images, height / 2, width / 2, channels]; height and width >= 2.
 */
export interface MaxPoolGradNhwcCall extends KernelCall {
  x: Float32Array; y: Float32Array; dy: Float32Array; dx: Float32Array; images: number; height: number; width: number;
  channels: number; positiveOnly: boolean;
}
export interface Qu8s8Dwconv2dCall extends KernelCall, QOutputFields {
  x: Uint8Array; w: Int8Array; batch: number; channels: number; channelMultiplier: number; height: number; width: number; kernelH: number;
  kernelW: number; strideH: number; strideW: number; dilationH: number; dilationW: number; padTop: number;
  padLeft: number; outH: number; outW: number; xZeroPoint: number;
}
/** Channels-last Qu8s8Dwconv2dCall: x [batch, height, width, channels], w int8 or uint8 less wZeroPoint (1 or OC values), c [batch * outH * outW, OC], ldc = OC. */
export interface Qu8s8Dwconv2dNhwcCall extends Omit<Qu8s8Dwconv2dCall, 'w'> {
  w: Bytes; wZeroPoint: Int32Array;
}

/**
 * Group-1 conv of NHWC images on the qu8s8-gemm microkernels: x [batch, height, width, channels], weights packQ8Weights of
 * W' [kernelH * kernelW * channels, OC] (rows (kh, kw, c), c fastest), c [batch * outH * outW][OC] at row stride ldc.
 */
export interface Qu8s8Conv2dNhwcCall extends KernelCall, QOutputFields {
  weights: NativeHandle; x: Uint8Array; batch: number; channels: number; height: number; width: number; kernelH: number; kernelW: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number; padTop: number; padLeft: number; outH: number; outW: number;
  xZeroPoint: number;
}

/**
 * Depthwise (groupChannels 1) or grouped convolution, OC = channels / groupChannels * multiplier: x [batch, channels,
 * height, width], w [OC, groupChannels, kernelH, kernelW], bias [OC] or null, y [batch, OC, outH, outW] = clamp(conv + bias, min, max).
 */
export interface Dwconv2dCall extends KernelCall {
  x: Float32Array; w: Float32Array; bias: Float32Array | null; y: Float32Array; batch: number; channels: number; groupChannels: number;
  multiplier: number; height: number; width: number; kernelH: number; kernelW: number; strideH: number; strideW: number;
  dilationH: number; dilationW: number; padTop: number; padLeft: number; outH: number; outW: number; min: number; max: number;
}
/**
 * Depthwise convolution of NHWC images, OC = channels * multiplier: x [batch, height, width, channels], w [OC, 1, kernelH,
 * kernelW] (packed into the plan), bias [OC] or null, y [batch, outH, outW, OC] = clamp(post(conv + bias), min, max).
 */
export interface Dwconv2dNhwcCall extends KernelCall {
  x: Float32Array; w: Float32Array; bias: Float32Array | null; y: Float32Array; batch: number; channels: number; multiplier: number;
  height: number; width: number; kernelH: number; kernelW: number; strideH: number; strideW: number; dilationH: number;
  dilationW: number; padTop: number; padLeft: number; outH: number; outW: number;
  /** Fused before the clamp: HardSigmoid (alpha, beta) or HardSwish. */
  post: 'none' | 'hardsigmoid' | 'hardswish'; alpha: number; beta: number; min: number; max: number;
}
/**
 * Group-1 convolution of NHWC images on packed GEMM weights W [kernelH * kernelW * channels, OC] (rows (kh, kw, c)):
 * x [batch, height, width, channels], bias [OC] or null, y [batch, outH, outW, OC] = clamp(conv + bias, min, max).
 */
export interface F32Conv2dNhwcPlanCall {
  variant: string | null; weights: NativeHandle; batch: number; channels: number; height: number; width: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number; dilationH: number; dilationW: number;
  padTop: number; padLeft: number; outH: number; outW: number; bias: Float32Array | null; min: number; max: number;
  /** x [batch, channels, height, width] and the weights' rows (c, kh, kw); else x NHWC and rows (kh, kw, c). */
  channelsFirst: boolean;
}
/**
 * rows x inner floats: y = act(x) (op 'none'), or act(x op b) ('rsub' is
 * b - x) with b the same size (bRows 0) or one value per row, row r reading
 * b[r % bRows]. y may be x.
 */
export interface ElementwiseCall extends KernelCall {
  op: 'none' | 'add' | 'sub' | 'rsub' | 'mul';
  x: Float32Array; b: Float32Array | null; y: Float32Array; rows: number; inner: number; bRows: number;
  /** b holds bRows rows of `inner` values, each read by rows / bRows consecutive rows of x (else bRows single values). */
  bColumns: boolean;
  activation: 'clamp' | 'hardsigmoid' | 'hardswish'; alpha: number; beta: number; min: number; max: number;
}
/** x is [planes, plane, columns]: y[p, c] = the mean of x[p, :, c] (columns 1: NCHW planes; NHWC images: planes N, columns C). */
export interface GlobalAveragePoolCall extends KernelCall {
  x: Float32Array; y: Float32Array; planes: number; plane: number; columns: number;
}

/**
 * rows x inner bytes: y = Q(clamp(DQ(x) op DQ(b), min, max)) ('rsub' is b - x), x, b and y all uint8 or all int8,
 * b the same size ('same'), one byte per row, row r reading b[r % bCount] ('row'), or bCount vectors of inner
 * bytes, row r reading vector (r / bRepeat) % bCount ('column'). y may be x.
 */
export interface Qx8BinaryCall extends KernelCall {
  op: 'add' | 'sub' | 'rsub' | 'mul';
  x: Bytes; b: Bytes; y: Bytes; rows: number; inner: number; broadcast: 'same' | 'row' | 'column'; bCount: number; bRepeat: number;
  xScale: number; xZeroPoint: number; bScale: number; bZeroPoint: number; yScale: number; yZeroPoint: number; min: number; max: number;
}
/** y[i] = table[x[i] as a byte] (256 bytes). */
export interface Qx8LookupCall extends KernelCall {
  x: Bytes; table: Bytes; y: Bytes;
}
/** y[n, c] = Q(the float mean of DQ(x) over plane (n, c)); x [images, channels, plane] or, channelsLast, [images, plane, channels]. */
export interface Qx8GlobalAveragePoolCall extends KernelCall {
  x: Bytes; y: Bytes; images: number; channels: number; plane: number; channelsLast: boolean;
  xScale: number; xZeroPoint: number; yScale: number; yZeroPoint: number;
}

type KernelResult = Promise<void> | undefined;

/** A call's fields but its two arrays and `async`: what a plan function reads once. */
type Planned<C, Arrays extends keyof C> = Omit<C, Arrays | 'async'>;

export interface NativeAddon {
  cpuInfo(): {
    avx2Fma: boolean; avx512: boolean; avx512Vnni: boolean; amxInt8: boolean;
    neon: boolean; neonDot: boolean; i8mm: boolean; isaLimit: IsaLimit; best: string;
  };
  setIsaLimit(limit: IsaLimit): void;
  /** Frees what a handle holds now (idempotent); using it after is a TypeError. */
  disposeHandle(handle: NativeHandle): void;
  /** Native memory that live handles hold, process-wide. */
  heldBytes(): number;
  getThreads(): number;
  setThreads(n: number): void;
  /** The bytes from buffer's start to its first address that is a multiple of alignment (a power of two <= 4096). */
  alignmentGap(buffer: ArrayBuffer, alignment: number): number;

  // Each family's variants, best first: <family>Variants, NATIVE_FAMILIES maps family names to them.
  f32GemmVariants: NativeVariant[];
  packF32Weights(call: { b: Float32Array; k: number; n: number; ldb: number }): NativeHandle;
  f32Gemm(call: F32GemmCall): KernelResult;
  /** f32Gemm checked once: runPlan(plan, a, c). */
  planF32Gemm(call: Planned<F32GemmCall, 'a' | 'c'>): NativeHandle;

  /** needsNarrow: the variant is exact only for weights in [-64, 64] (PackedWeights.narrow). */
  qu8s8GemmVariants: (NativeVariant & { needsNarrow: boolean })[];
  packQ8Weights(call: { b: Bytes; k: number; n: number; ldb: number; zeroPoints: Bytes | null }): NativeHandle;
  q8WeightsInfo(weights: NativeHandle): { k: number; n: number; narrow: boolean };
  qu8s8Gemm(call: Qu8s8GemmCall): KernelResult;
  /** qu8s8Gemm checked once: runPlan(plan, a, c). */
  planQu8s8Gemm(call: Planned<Qu8s8GemmCall, 'a' | 'c'>): NativeHandle;

  f32Qx8QuantizeVariants: NativeVariant[];
  qx8F32DequantizeVariants: NativeVariant[];
  qs32Qx8RequantizeVariants: NativeVariant[];
  f32MinmaxVariants: NativeVariant[];
  quantize(call: QuantizeCall): KernelResult;
  dequantize(call: DequantizeCall): KernelResult;
  requantize(call: RequantizeCall): KernelResult;
  minmax(call: MinmaxCall): KernelResult;
  /** quantize checked once, for y of `yType`: runPlan(plan, x, y). channelsLast: y is [outer, inner, channels]. */
  planQuantize(call: Planned<QuantizeCall, 'x' | 'y'> & { yType: 'uint8' | 'int8'; channelsLast: boolean }): NativeHandle;
  /** dequantize checked once, for x of `xType`: runPlan(plan, x, y). */
  planDequantize(call: Planned<DequantizeCall, 'x' | 'y'> & { xType: 'uint8' | 'int8' }): NativeHandle;
  /**
   * Runs a plan from planF32Gemm, planF32SpmmNhwc, planQu8s8Gemm, planQu8s8Spmm, planQu8s8SpmmNhwc, planQuantize, planDequantize, planQu8s8Dwconv2dNhwc, planQu8s8Conv2dNhwc,
   * planF32Dwconv2dNhwc, planF32Conv2dNhwc, planF32Elementwise, planGlobalAveragePool, planMaxPoolNhwc, planTranspose or planCol2imNhwc on the calling thread: x and y (and b, for a
   * binary elementwise plan) of the planned types and at least the planned lengths. The plan holds its weights
   * weakly (a TypeError once they are disposed).
   */
  runPlan(plan: NativeHandle, x: Float32Array | Bytes, y: Float32Array | Int32Array | Bytes, b?: Float32Array | Bytes): void;

  f32SpmmVariants: NativeVariant[];
  f32Spmm(call: F32SpmmCall): KernelResult;
  f32SpmmNm(call: F32SpmmNmCall): KernelResult;
  /** f32Spmm on channels-last activations, its weights copied into the plan: runPlan(plan, x [pixels, k], y [pixels, rows]). */
  planF32SpmmNhwc(call: F32SpmmNhwcPlanCall): NativeHandle;
  /** The same for N:M weights. */
  planF32SpmmNmNhwc(call: F32SpmmNmNhwcPlanCall): NativeHandle;

  qu8s8SpmmVariants: NativeVariant[];
  /** Sparse int8 weights as per-row entries (group k/4, 4 weights as one little-endian int32 word). */
  packQ8Sparse(call: { rows: number; k: number; indptr: Int32Array; groups: Int32Array; words: Int32Array }): NativeHandle;
  qu8s8Spmm(call: Qu8s8SpmmCall): KernelResult;
  /** qu8s8Spmm checked once: runPlan(plan, x, c). */
  planQu8s8Spmm(call: Planned<Qu8s8SpmmCall, 'x' | 'c'>): NativeHandle;
  /** qu8s8Spmm on channels-last activations checked once: runPlan(plan, x [pixels, k], c [pixels, rows]). */
  planQu8s8SpmmNhwc(call: Omit<Planned<Qu8s8SpmmCall, 'x' | 'c'>, 'm'> & { pixels: number }): NativeHandle;

  x32TransposeVariants: NativeVariant[];
  transpose(call: TransposeCall): KernelResult;
  /** transpose checked once for `batches` [rows, cols] matrices of `type`, one after another: runPlan(plan, x, y). */
  planTranspose(call: Planned<TransposeCall, 'src' | 'dst'> & { type: 'float32' | 'int32' | 'uint8' | 'int8'; batches: number }): NativeHandle;

  x32Im2colVariants: NativeVariant[];
  im2col(call: Im2colCall): KernelResult;
  /**
   * im2col of NHWC images [batch, height, width, channels] into rows [batch * outH * outW][kernelH * kernelW * channels]
   * ((kh, kw, c), c fastest), checked once: runPlan(plan, x, col), both of `type`.
   */
  planIm2colNhwc(call: Omit<Im2colCall, 'x' | 'col' | 'async' | 'groups' | 'channelsPerGroup'> & { type: 'float32' | 'uint8'; channels: number }): NativeHandle;

  f32Col2imVariants: NativeVariant[];
  /**
   * col2im, planIm2colNhwc's float32 adjoint, checked once: runPlan(plan, col, image) zeroes image [batch, height, width,
   * channels] and adds each row of col [batch * outH * outW][kernelH * kernelW * channels] into the pixels its taps read.
   */
  planCol2imNhwc(call: Omit<Im2colCall, 'x' | 'col' | 'async' | 'groups' | 'channelsPerGroup' | 'padValue'> & { channels: number }): NativeHandle;

  f32Conv2dVariants: NativeVariant[];
  f32SpConv2dVariants: NativeVariant[];
  qu8s8Conv2dVariants: NativeVariant[];
  /** Conv weights [outChannels, taps] packed for f32-conv2d (dense) or f32-spconv2d (sparse). */
  packConvWeights(options: NativePackConvOptions): NativeHandle;


  /**
   * A stride-1 NCHW convolution (kernels/shifted-conv/shifted-conv.h) with every field read and
   * checked once; integer output needs uint8 x. The plan holds its weights weakly.
   */
  planConv2d(options: NativeConv2dPlanOptions): NativeHandle;
  /** Runs a plan on x into y, each of the planned type and size. */
  runConv2dPlan(plan: NativeHandle, x: Float32Array | Uint8Array, y: Float32Array | Int32Array | Uint8Array | Int8Array, async: Async): Promise<void> | undefined;

  f32MaxpoolVariants: NativeVariant[];
  maxPool(call: MaxPoolCall): KernelResult;
  f32MaxpoolNhwcVariants: NativeVariant[];
  maxPoolNhwc(call: MaxPoolNhwcCall): KernelResult;
  /** maxPoolNhwc checked once for arrays of `type`: runPlan(plan, x, y). */
  planMaxPoolNhwc(call: Planned<MaxPoolNhwcCall, 'x' | 'y'> & { type: 'float32' | 'uint8' | 'int8' }): NativeHandle;
  f32MaxpoolGradNhwcVariants: NativeVariant[];
  maxPoolGradNhwc(call: MaxPoolGradNhwcCall): KernelResult;

  f32Dwconv2dVariants: NativeVariant[];
  f32Dwconv2d(call: Dwconv2dCall): KernelResult;
  f32Dwconv2dNhwcVariants: NativeVariant[];
  /** f32-dwconv2d-nhwc checked and its weights packed once: runPlan(plan, x, y). */
  planF32Dwconv2dNhwc(call: Planned<Dwconv2dNhwcCall, 'x' | 'y'>): NativeHandle;
  /** f32-conv2d-nhwc (shifted GEMM on the f32-gemm microkernels, no im2col) checked once: runPlan(plan, x, y). */
  planF32Conv2dNhwc(call: F32Conv2dNhwcPlanCall): NativeHandle;
  f32ElementwiseVariants: NativeVariant[];
  elementwise(call: ElementwiseCall): KernelResult;
  globalAveragePool(call: GlobalAveragePoolCall): KernelResult;
  /** elementwise checked once: runPlan(plan, x, y), or runPlan(plan, x, y, b) for a binary op. */
  planF32Elementwise(call: Planned<ElementwiseCall, 'x' | 'b' | 'y'>): NativeHandle;
  /** globalAveragePool checked once: runPlan(plan, x, y). */
  planGlobalAveragePool(call: Planned<GlobalAveragePoolCall, 'x' | 'y'>): NativeHandle;
  qx8ElementwiseVariants: NativeVariant[];
  qx8Binary(call: Qx8BinaryCall): KernelResult;
  qx8Lookup(call: Qx8LookupCall): KernelResult;
  qx8GlobalAveragePool(call: Qx8GlobalAveragePoolCall): KernelResult;
  /** qx8Binary checked once, for x, b and y of `type`: runPlan(plan, x, y, b). */
  planQx8Binary(call: Planned<Qx8BinaryCall, 'x' | 'b' | 'y'> & { type: 'uint8' | 'int8' }): NativeHandle;
  /** qx8Lookup checked once, the table copied, for n values of x of `xType`: runPlan(plan, x, y) (y of the table's type). */
  planQx8Lookup(call: Omit<Qx8LookupCall, 'x' | 'y' | 'async'> & { n: number; xType: 'uint8' | 'int8' }): NativeHandle;
  /** qx8GlobalAveragePool checked once: runPlan(plan, x, y). */
  planQx8GlobalAveragePool(call: Planned<Qx8GlobalAveragePoolCall, 'x' | 'y'> & { xType: 'uint8' | 'int8'; yType: 'uint8' | 'int8' }): NativeHandle;
  qu8s8Dwconv2dVariants: NativeVariant[];
  /** Depthwise conv of uint8 NCHW x with int8 w [channels * channelMultiplier, kernelH, kernelW]; c is [batch * OC, outH * outW], ldc = outH * outW. */
  qu8s8Dwconv2d(call: Qu8s8Dwconv2dCall): KernelResult;
  qu8s8Dwconv2dNhwcVariants: NativeVariant[];
  /** qu8s8-dwconv2d-nhwc planned, its weights packed into the plan: runPlan(plan, x, c). */
  planQu8s8Dwconv2dNhwc(call: Planned<Qu8s8Dwconv2dNhwcCall, 'x' | 'c'>): NativeHandle;
  /** qu8s8-conv2d-nhwc planned (its gather buffers owned by the plan, its weights held weakly): runPlan(plan, x, c). */
  planQu8s8Conv2dNhwc(call: Planned<Qu8s8Conv2dNhwcCall, 'x' | 'c'>): NativeHandle;
}

/**
 * Every kernel family (its folder under kernels/) and the addon's list of
 * its variants: the one name tests, benches and cpu.info() use for it.
 */
export const NATIVE_FAMILIES = {
  'f32-gemm': 'f32GemmVariants',
  'qu8s8-gemm': 'qu8s8GemmVariants',
  'f32-qx8-quantize': 'f32Qx8QuantizeVariants',
  'qx8-f32-dequantize': 'qx8F32DequantizeVariants',
  'qs32-qx8-requantize': 'qs32Qx8RequantizeVariants',
  'f32-minmax': 'f32MinmaxVariants',
  'f32-spmm': 'f32SpmmVariants',
  'qu8s8-spmm': 'qu8s8SpmmVariants',
  'f32-conv2d': 'f32Conv2dVariants',
  'f32-spconv2d': 'f32SpConv2dVariants',
  'qu8s8-conv2d': 'qu8s8Conv2dVariants',
  'qu8s8-dwconv2d': 'qu8s8Dwconv2dVariants',
  'qu8s8-dwconv2d-nhwc': 'qu8s8Dwconv2dNhwcVariants',
  'f32-maxpool': 'f32MaxpoolVariants',
  'f32-maxpool-nhwc': 'f32MaxpoolNhwcVariants',
  'f32-maxpool-grad-nhwc': 'f32MaxpoolGradNhwcVariants',
  'f32-dwconv2d': 'f32Dwconv2dVariants',
  'f32-dwconv2d-nhwc': 'f32Dwconv2dNhwcVariants',
  'f32-elementwise': 'f32ElementwiseVariants',
  'qx8-elementwise': 'qx8ElementwiseVariants',
  'x32-im2col': 'x32Im2colVariants',
  'f32-col2im': 'f32Col2imVariants',
  'x32-transpose': 'x32TransposeVariants',
} as const satisfies Record<string, keyof NativeAddon>;

export type NativeFamily = keyof typeof NATIVE_FAMILIES;

/** The addon's variants of one family, best first. */
export function familyVariants(addon: NativeAddon, family: NativeFamily): NativeVariant[] {
  return addon[NATIVE_FAMILIES[family]];
}

/** packConvWeights's fields: w [outChannels, taps] with taps = C * kernelH * kernelW. */
export interface NativePackConvOptions {
  w: Float32Array;
  outChannels: number;
  taps: number;
  kernelH: number;
  kernelW: number;
  sparse: boolean;
  /** Output channels per sparse block: 1 or 4 (4 also packs qu8s8-conv2d's int8 blocks where the values fit). */
  blockRows: number;
  /** The largest sum of |w| over one output channel (the addon checks it bounds every channel, and asserts exactness with it). */
  maxRowAbsSum: number;
  /** Also pack qu8s8-conv2d's [4 x 4] int8 blocks (sparse, blockRows 4, and fitsInt8Blocks: the addon asserts both). */
  int8Blocks: boolean;
}

/** planConv2d's fields: the family and its exactness are the caller's choice, which the addon only asserts. */
export interface NativeConv2dPlanOptions {
  family: 'f32-conv2d' | 'f32-spconv2d' | 'qu8s8-conv2d';
  /** One of the family's variants, or null for its best. */
  variant: string | null;
  weights: NativeHandle;
  xType: 'float32' | 'uint8';
  xZeroPoint: number;
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  dilationH: number;
  dilationW: number;
  /** Above 1 on f32-conv2d and qu8s8-conv2d only, with dilations 1. */
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  output: 'float32' | 'int32' | 'uint8' | 'int8';
  /** float32 output: bias and clamp. */
  bias: Float32Array | null;
  min: number;
  max: number;
  /** Integer output: bias at the accumulator scale; uint8/int8: per-channel multipliers, zero point and clamp. */
  intBias: Int32Array | null;
  multipliers: Float32Array | null;
  zeroPoint: number;
  outMin: number;
  outMax: number;
  /** poolKernelH 0: no pool; else y is the max pool of the convolution (unpadded windows, floor rounding). */
  poolKernelH: number;
  poolKernelW: number;
  poolStrideH: number;
  poolStrideW: number;
  /** float32 output without a pool: HardSwish or HardSigmoid(postAlpha, postBeta) after the bias, then [min, max]; undefined for none. */
  postActivation?: 'hardswish' | 'hardsigmoid';
  postAlpha?: number;
  postBeta?: number;
}

export interface NativeLoadResult {
  addon: NativeAddon | null;
  /** The file that loaded, or null. */
  path: string | null;
  /** Every path tried with why it failed. */
  attempts: string[];
  /** An explicitly requested addon failed to load. */
  explicitFailed?: boolean;
}

const require = createRequire(import.meta.url);

export function packageRoot(): string {
  // src/native.ts runs from src/ (tsx) or dist/src/ (compiled): walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function candidates(override: string | undefined): string[] {
  const root = packageRoot();
  const list: string[] = [];
  if (override) return [resolve(override)];
  list.push(join(root, 'build', 'Release', 'sparq.node'));
  list.push(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'sparq.node'));
  return list;
}

/**
 * Tries every location in order; never throws. An explicit path (argument or
 * SPARQ_NATIVE_PATH) that fails to load ends the search: falling back to
 * another build would hide the failure of the one that was asked for.
 */
export function loadNative(explicit?: string): NativeLoadResult {
  const attempts: string[] = [];
  if (process.env.SPARQ_DISABLE_NATIVE === '1' && explicit === undefined) {
    attempts.push('SPARQ_DISABLE_NATIVE=1: not loading the addon');
    return { addon: null, path: null, attempts };
  }
  const override = explicit ?? process.env.SPARQ_NATIVE_PATH;
  for (const path of candidates(override)) {
    try {
      if (!existsSync(path)) throw new Error('not found');
      return { addon: require(path) as NativeAddon, path, attempts };
    } catch (e) {
      attempts.push(`${path}: ${(e as Error).message}`);
      if (override) return { addon: null, path: null, attempts, explicitFailed: true };
    }
  }
  return { addon: null, path: null, attempts };
}

let loaded: NativeLoadResult | undefined;
let warned = false;

/**
 * Told of every plan handle the addon makes (its plan* functions:
 * planConv2d, planF32Gemm, ...). native-lifetime.ts listens, so that a
 * session's runs hand the plans they make to the session, which frees them
 * in release() with its weights instead of leaving them to the collector.
 */
let planMade: ((handle: NativeHandle) => void) | undefined;

export function onPlanMade(listener: (handle: NativeHandle) => void): void {
  planMade = listener;
}

/** `result` with its addon's plan* functions reporting the handles they return to planMade. */
function reportingPlans(result: NativeLoadResult): NativeLoadResult {
  const addon = result.addon as unknown as Record<string, unknown> | null;
  if (addon === null) return result;
  const reporting = Object.create(addon) as Record<string, unknown>;
  for (const [name, make] of Object.entries(addon)) {
    if (!name.startsWith('plan') || typeof make !== 'function') continue;
    reporting[name] = (...args: unknown[]) => {
      const handle = make(...args) as NativeHandle;
      planMade?.(handle);
      return handle;
    };
  }
  return { ...result, addon: reporting as unknown as NativeAddon };
}

/** The process-wide addon, or null when sparq runs on its TypeScript reference backend. */
export function native(): NativeAddon | null {
  loaded ??= reportingPlans(loadNative());
  if (loaded.addon !== null) return loaded.addon;
  const tried = `Tried:\n  ${loaded.attempts.join('\n  ')}`;
  if (loaded.explicitFailed) throw new Error(`sparq: the native addon asked for (SPARQ_NATIVE_PATH) did not load. ${tried}`);
  // `npm run build:native` only works in a checkout of sparq; in a consumer's node_modules, `npm rebuild` reruns the install script that builds it.
  const message =
    `sparq: native addon not found, using the slow TypeScript reference backend. ${tried}\n` +
    'Install cmake, make and a C++17 compiler (g++ or clang++), then run `npm rebuild sparq` in your project ' +
    '(in a checkout of sparq: `npm run build:native`), or set SPARQ_NATIVE_PATH to a built sparq.node.';
  if (process.env.SPARQ_REQUIRE_NATIVE === '1') throw new Error(message);
  if (!warned) {
    warned = true;
    process.emitWarning(message, { code: 'SPARQ_NO_NATIVE' });
  }
  return null;
}

/** Where the addon came from (null: reference backend), and what was tried. */
export function nativeStatus(): NativeLoadResult {
  loaded ??= reportingPlans(loadNative());
  return loaded;
}

/** The addon, or a loud error explaining what was tried: for callers that asked for native explicitly. */
export function requireNative(): NativeAddon {
  const status = nativeStatus();
  if (status.addon) return status.addon;
  throw new Error(`sparq: the native addon is required here but did not load. Tried:\n  ${status.attempts.join('\n  ')}`);
}
