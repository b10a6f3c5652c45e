/**
 * The layout pass's estimate of what a Conv / QLinearConv node costs per
 * output pixel in each layout (ns on one thread), for session option layout
 * 'auto' (passes/nhwc-choice.ts weighs these against the transposes a
 * layout needs). An estimate to rank the layouts, not a timing:
 *
 * - NCHW, group 1: the NCHW operator's own choice, the calibrated cost of
 *   the path it will take (backends/cpu/conv/choice.ts), direct sparse
 *   kernels included; the int8 direct kernels' image copy and per-image
 *   cost added (DIRECT_INT8_IMAGE_NS).
 * - NHWC, group 1: the GEMM over the pixels (NHWC_GEMM_NS per multiply-add,
 *   backends/cpu/conv/nhwc.ts), times what the NHWC operator's own choice
 *   (nhwcSparseChoice) says its sparse layout costs relative to dense (int8:
 *   the calibrated NHWC costs of qu8s8-spmm's channels-last kernels;
 *   float32: linear()'s crossover rule plus the panels, each input and output
 *   value copied once more, NHWC_PANEL_NS, which the operator also weighs
 *   against its dense GEMM on windows other than 1x1) and, for a
 *   window that is not 1x1/1, the NHWC im2col (a run of C values per tap
 *   and pixel).
 * - Depthwise: the channels-last kernels per multiply-add (DEPTHWISE_NS),
 *   and NCHW DEPTHWISE_NCHW_FACTOR times that.
 *
 * The constants are this repository's measurements (1 thread, AVX-512 VNNI
 * EPYC, `npm run bench:models -- --layout both` profiles and
 * `npm run bench:conv:pruned-nhwc`), with AVX2 and scalar entries scaled
 * by the kernels' widths; looked up by the ISA the GEMM family runs now
 * (costForIsa's stand-ins). Grouped convs that are not depthwise run NCHW in
 * either layout and get no estimate.
 */
import { chooseConvPath, convCandidates, convShape } from '../../backends/cpu/conv/choice.js';
import { isDepthwise, type ConvWeightSource } from '../../backends/cpu/conv/layer.js';
import { NHWC_GEMM_NS, NHWC_PANEL_NS, nhwcSparseChoice } from '../../backends/cpu/conv/nhwc.js';
import { costForIsa, runningIsa } from '../../backends/cpu/isa-level.js';
import { ModelError, type OnnxNode, type Value } from '../onnx/model.js';
import { windowAttributes, type WindowAttributes } from './conv-attributes.js';
import { Attributes } from './op.js';

/** ns per multiply-add of the channels-last depthwise kernels (float32 18-24 G FMA/s at AVX-512). */
const DEPTHWISE_NS = {
  float32: { scalar: 1, avx2: 0.08, avx512: 0.05 },
  int8: { scalar: 1, avx2: 0.05, avx512: 0.025 },
};
/** NCHW depthwise over channels-last, per layer: 3-9x in the benchmark models' profiles, the low end taken. */
const DEPTHWISE_NCHW_FACTOR = 3;
/**
 * What the NCHW int8 direct kernels (qu8s8-conv2d) cost beyond the
 * calibrated table, which was fitted on CIFAR-sized maps and misses both:
 * per pixel, the copy of the image into 4-channel words (C values; the table
 * counts it only as a strided conv's phase planes), and per image, a fixed
 * cost per input and output channel (the padded image's rows, a call per
 * block row of 4 channels with its output stage) that small maps spread over
 * few pixels. ns, fitted (model fixed, least squares on relative errors)
 * against the NHWC estimate's units from direct-int8 and the NHWC sparse
 * kernels timed interleaved on MobileNetV2's 1x1 layers (K 16-960, OC
 * 24-1280, 3x3 to 112x112 maps, batch 1 and 16): the estimate then comes
 * within 0.5-1.5x of the measured ratio where it was 0.05-1x. AVX2 (the
 * 4x16 kernel on int16 pairs): the per-image cost the median of 9 of those
 * layers at batch 1 (21-123 ns), the copy scaled by the width.
 */
const DIRECT_INT8_INTERLEAVE_NS = { avx2: 0.2, avx512vnni: 0.1 };
const DIRECT_INT8_IMAGE_NS = { avx2: 50, avx512vnni: 20 };
/** ns per value, and per run of C values (one tap of one pixel), of the NHWC im2col. */
const IM2COL_VALUE_NS = 0.05;
const IM2COL_RUN_NS = 1;

export interface ConvLayoutCost {
  /** ns per output pixel in each layout. */
  nchw: number;
  nhwc: number;
  /** ns per image of the NCHW path whatever the map size (the caller spreads it over the image's output pixels). */
  nchwPerImage: number;
  /** Input and output channels (the transposes around the conv move that many values per pixel). */
  channels: number;
  outChannels: number;
  /** Whether either layout's operator would run the weights on a sparse kernel. */
  sparse: boolean;
}

/**
 * The estimate for a Conv / QLinearConv node with constant 4-D weights
 * (undefined for any other node, grouped non-depthwise convs and attributes
 * the handlers reject). `sparse`: the session's sparse policy (the
 * operators run pruned weights on sparse kernels only with it).
 */
export function convLayoutCost(node: OnnxNode, constants: ReadonlyMap<string, Value>, sparse: boolean): ConvLayoutCost | undefined {
  const quantized = node.opType === 'QLinearConv';
  if (node.opType !== 'Conv' && !quantized) return undefined;
  const w = constants.get(node.inputs[quantized ? 3 : 1] ?? '');
  if (!w || w.dims.length !== 4 || !(quantized ? ['int8', 'uint8'] : ['float32']).includes(w.type)) return undefined;
  const type = quantized ? 'int8' : 'float32';
  const [oc, c, kh, kw] = w.dims;
  const attrs = new Attributes(node);
  const window = windowOf(attrs, w.dims.slice(2));
  if (!window) return undefined;
  const group = attrs.int('group', 1);
  const macs = oc * c * kh * kw;
  const base = { channels: c * group, outChannels: oc };
  if (isDepthwise(w.dims, group)) {
    const nhwc = macs * costForIsa(DEPTHWISE_NS[type], runningIsa(quantized ? 'qu8s8-gemm' : 'f32-gemm'))!;
    return { ...base, nchw: nhwc * DEPTHWISE_NCHW_FACTOR, nhwc, nchwPerImage: 0, sparse: false };
  }
  if (group !== 1) return undefined;
  const zeroPoint = quantized && (node.inputs[5] ?? '') !== '' ? constants.get(node.inputs[5]) : undefined;
  const source: ConvWeightSource<'float32' | 'int8' | 'uint8'> = {
    type: w.type as 'float32' | 'int8' | 'uint8', dims: w.dims, data: w.data as Float32Array,
    zeroPoints: zeroPoint ? Int32Array.from(zeroPoint.data as ArrayLike<number>) : undefined,
  };
  const candidates = convCandidates(source, window, sparse);
  const shape = convShape(source, window);
  const { path, costs } = chooseConvPath(shape, candidates);
  const gemm = macs * costForIsa(NHWC_GEMM_NS[type], runningIsa(quantized ? 'qu8s8-gemm' : 'f32-gemm'))!;
  const choice = sparse ? nhwcSparseChoice(source) : { layout: 'dense', relative: 1 };
  const pointwise = kh === 1 && kw === 1 && window.strides.every((s) => s === 1) && (window.pads === 'SAME_UPPER' || window.pads === 'SAME_LOWER' || window.pads.every((p) => p === 0));
  // int8's relative time is the calibrated one of qu8s8-spmm's channels-last kernels (no panels).
  const panels = choice.layout === 'dense' || type === 'int8' ? 0 : (c * kh * kw + oc) * NHWC_PANEL_NS.float32;
  const im2col = pointwise ? 0 : kh * kw * (IM2COL_RUN_NS + c * IM2COL_VALUE_NS);
  const nhwc = gemm * Math.min(1, choice.relative) + panels + im2col;
  // An unmeasured NCHW path (Infinity): no preference from this conv.
  const { cost: table, isa } = costs.find((cost) => cost.path === path)!;
  const int8Direct = path === 'direct-int8' && Number.isFinite(table);
  // A strided conv's copy is the table's phase planes already.
  const copy = int8Direct && !shape.phases ? c * costForIsa(DIRECT_INT8_INTERLEAVE_NS, isa)! : 0;
  const nchw = Number.isFinite(table) ? table + copy : nhwc;
  const nchwPerImage = int8Direct ? (c + oc) * costForIsa(DIRECT_INT8_IMAGE_NS, isa)! : 0;
  const sparseNchw = candidates.find((c) => c.path === path)!.density < 1;
  return { ...base, nchw, nhwc, nchwPerImage, sparse: sparseNchw || choice.layout !== 'dense' };
}

/** The node's window, or undefined for attributes the handlers reject (they report them). */
function windowOf(attrs: Attributes, kernel: readonly number[]): WindowAttributes | undefined {
  try {
    return windowAttributes(attrs, kernel);
  } catch (e) {
    if (e instanceof ModelError) return undefined;
    throw e;
  }
}
