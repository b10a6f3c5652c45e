/**
 * The convolution operator: the one place that decides how a conv layer
 * runs on the CPU. Given the weights, bias, window, group, fused activation
 * and pool and the result type, prepareConv() picks the path (float convs
 * of several groups on f32-dwconv2d (grouped.ts); else direct on
 * cpu.conv2d in one of its weight formats, or im2col + GEMM / linear()'s
 * sparse kernel) from the per-ISA cost table (choice.ts), packs the weights
 * for it once, and returns the prepared layer: its `label` and `run()`.
 * Quantized direct layers fall back to im2col for an input whose zero point
 * would make their float sums inexact (conv2dIsExact decides, per input).
 */
import type { QuantParams, QType, Tensor } from '../../../tensor.js';
import type { Activation, ResolvedActivation } from '../../../ops/activation.js';
import { activate } from '../elementwise.js';
import type { Conv2dOptions } from '../conv2d.js';
import { gemm } from '../gemm.js';
import type { LinearRunOptions } from '../linear.js';
import { qgemm } from '../qgemm.js';
import { chooseConvPath, convCandidates, convShape } from './choice.js';
import type { ConvPath } from './costs.js';
import { maxPooled, packDirectConv, runDirectConv, type DirectConv } from './direct.js';
import { prepareGroupedConv } from './grouped.js';
import { prepareIm2colWeights, runIm2colGemm, type GroupGemm, type Im2colWeights } from './im2col-gemm.js';
import { prepareQDepthwise, runQDepthwise } from './depthwise-int8.js';
import { isDepthwise, unpooledAllocate, type ConvAllocate, type ConvRunGeometry, type ConvValue, type ConvWeightSource, type ConvWindow } from './layer.js';

/** Pixels per image linear()'s sparse/dense choice assumes before any input is seen (a CIFAR-sized feature map). */
const TYPICAL_PIXELS = 256;

export interface ConvLayer<T extends 'float32' | 'int8' | 'uint8'> {
  /** [OC, C/group, KH, KW]: float32 for float32 input, int8/uint8 (with scales, zero points) for uint8 input. */
  weights: ConvWeightSource<T>;
  window: ConvWindow;
  group: number;
  /**
   * The result: 'float32' for float32 input; for uint8 input 'int32' sums
   * (no bias, activation or pool: ConvInteger), or 'uint8'/'int8'
   * requantized at outScale/outZeroPoint.
   */
  output: 'float32' | 'int32' | QType;
  outScale?: number;
  outZeroPoint?: number;
  /** Per output channel: Float32Array for float32 output, Int32Array at the accumulator scale for quantized. */
  bias?: Float32Array | Int32Array;
  activation?: Activation;
  /**
   * float32 output: HardSwish / HardSigmoid after the bias (then its own
   * clamp; `activation` is then none). The direct path applies it to each
   * task's rows in cache; the others, in place on the result.
   */
  postActivation?: ResolvedActivation;
  pool?: Conv2dOptions['pool'];
  /** Whether sparse weight formats may be chosen (the session's sparsity policy). */
  sparse: boolean;
  /**
   * 'auto' (default): the cheapest path the cost model finds; or one path
   * forced: 'im2col' for weights that change every run (not worth packing
   * for the direct kernels), any path for calibration (with `sparse` false:
   * a forced im2col path runs the dense GEMM), where a forced direct path
   * throws for an input it cannot sum exactly instead of falling back.
   */
  path?: 'auto' | ConvPath;
}

export interface ConvOperator {
  /** The path and format, for profiles: 'conv-direct-csr', 'qconv-bsr4x1', 'conv', 'qconv-int32', ... */
  readonly label: string;
  /** The NCHW result [N, OC, OH, OW] of NCHW `x` (float32, or uint8 with `xQuant`), in `geometry` (the window resolved for x's size). */
  run(x: ConvValue<'float32' | 'uint8'>, xQuant: QuantParams, geometry: ConvRunGeometry, allocate: ConvAllocate): ConvValue;
}

/**
 * Packs the weights for cpu.conv2d when the layer can run direct (one
 * group; strided ones dense or on int8 blocks) and the cost model finds a direct format
 * cheaper than im2col + GEMM on the variants this CPU runs; else undefined
 * (the im2col path). Sparse formats only when `trySparse`.
 */
export function prepareDirectConv<T extends 'float32' | 'int8' | 'uint8'>(w: ConvWeightSource<T>, groups: number, window: ConvWindow, trySparse: boolean): DirectConv | undefined {
  if (groups !== 1) return undefined;
  const { path } = chooseConvPath(convShape(w, window), convCandidates(w, window, trySparse));
  return isIm2col(path) ? undefined : packDirectConv(w, window.kernel, path);
}

function isIm2col(path: ConvPath): path is 'im2col' | 'im2col-int8' {
  return path === 'im2col' || path === 'im2col-int8';
}

/** The options of each path's calls for the layer's result type. */
function runOptions(layer: ConvLayer<'float32' | 'int8' | 'uint8'>): { direct: Conv2dOptions; gemm: GroupGemm; sparse: LinearRunOptions } {
  const { bias, activation, pool, group } = layer;
  const ocg = layer.weights.dims[0] / group;
  const groupBias = <B extends Float32Array | Int32Array>(b: B | undefined, g: number) => b?.subarray(g * ocg, (g + 1) * ocg) as B | undefined;
  if (layer.output === 'float32') {
    const b = bias as Float32Array | undefined;
    return {
      direct: { bias: b, activation: layer.postActivation ?? activation, pool },
      gemm: (rows, packed, g) => gemm(rows as Tensor<'float32'>, packed, { bias: groupBias(b, g), activation }),
      sparse: { activation },
    };
  }
  if (layer.output === 'int32') return { direct: { output: 'int32' }, gemm: (rows, packed) => qgemm(rows as Tensor<'uint8'>, packed), sparse: {} };
  // Dense qgemm options and the sparse run options differ only in the bias (linear() holds it).
  const output = { output: layer.output, outScale: layer.outScale, outZeroPoint: layer.outZeroPoint, activation } as const;
  const b = bias as Int32Array | undefined;
  return {
    direct: { ...output, bias: b, pool },
    gemm: (rows, packed, g) => qgemm(rows as Tensor<'uint8'>, packed, { ...output, bias: groupBias(b, g) }),
    sparse: output,
  };
}

/**
 * Decides how `layer` runs here and packs its weights for that, once.
 * Expects a layer the caller validated (group divides the channels, bias
 * and quantization sized to the weights).
 */
export function prepareConv<T extends 'float32' | 'int8' | 'uint8'>(layer: ConvLayer<T>): ConvOperator {
  const { weights: w, window, group, output, sparse } = layer;
  const forced = layer.path ?? 'auto';
  // Float convs of several groups (depthwise, few channels per group): f32-dwconv2d, all groups in one call.
  // It takes the weights as stored, so weights that change every run ('im2col' forced) take it too.
  if (output === 'float32' && w.type === 'float32' && group > 1 && (forced === 'auto' || forced === 'im2col')) {
    const grouped = prepareGroupedConv(w as ConvWeightSource<'float32'>, window, group, layer.bias as Float32Array | undefined, layer.activation);
    return { label: grouped.label, run: (x, _xQuant, geometry, allocate) => maxPooled(withPost(grouped.run(x as ConvValue<'float32'>, geometry, unpooledAllocate(layer.pool, allocate)), layer.postActivation), layer.pool, allocate) };
  }
  // Quantized depthwise layers have one path: exact int8 sums on qu8s8-dwconv2d (per group, im2col + GEMM is a K = KH*KW product).
  const qDepthwise = output !== 'float32' && forced === 'auto' && isDepthwise(w.dims, group) ? prepareQDepthwise(w, window) : undefined;
  if (qDepthwise) {
    const stage = { output: output as 'int32' | QType, outScale: layer.outScale, outZeroPoint: layer.outZeroPoint, bias: layer.bias as Int32Array | undefined, activation: layer.activation, pool: layer.pool };
    return {
      label: output === 'int32' ? 'qconv-dw-int32' : 'qconv-dw',
      run: (x, xQuant, geometry, allocate) => runQDepthwise(qDepthwise, x, xQuant, geometry, stage, allocate),
    };
  }
  const direct = forced === 'auto' ? prepareDirectConv(w, group, window, sparse) : isIm2col(forced) ? undefined : packDirectConv(w, window.kernel, forced);
  // linear()'s sparse kernels may take the im2col path's product, but not int32 sums (ConvInteger runs dense).
  const trySparse = sparse && output !== 'int32' ? { bias: layer.bias, columns: TYPICAL_PIXELS } : null;
  const options = runOptions(layer);
  // The im2col path: every layer the direct kernel does not take, and a direct one whose input zero point makes its sums inexact.
  let im2col: Im2colWeights | undefined;
  const im2colWeights = () => (im2col ??= prepareIm2colWeights(w, group, trySparse));
  if (!direct) im2colWeights();
  const kind = output === 'float32' ? 'conv' : 'qconv';
  const label = direct ? direct.label.replace('conv', kind) : im2col!.kind === 'sparse' ? `${kind}-${im2col!.layer.kernel}` : output === 'int32' ? 'qconv-int32' : kind;
  return {
    label,
    run(x, xQuant, geometry, allocate) {
      const y = direct && runDirectConv(direct, x, xQuant, geometry, options.direct, allocate);
      if (y) return y;
      if (direct && forced !== 'auto') throw new RangeError(`${direct.label}: the sums would not be exact for x's zero point ${xQuant.zeroPoint}, or the window is strided and dilated`);
      const product = runIm2colGemm(x, xQuant, im2colWeights(), geometry, output, options.gemm, options.sparse, unpooledAllocate(layer.pool, allocate));
      return maxPooled(withPost(product, layer.postActivation), layer.pool, allocate);
    },
  };
}

/** `y` with `post` applied in place (f32-elementwise), for the paths that do not apply it themselves. */
function withPost(y: ConvValue, post: ResolvedActivation | undefined): ConvValue {
  if (post) activate({ type: 'float32', dims: y.dims, data: y.data as Float32Array }, post, { out: y.data as Float32Array });
  return y;
}
