/**
 * The choice among the ways to run a convolution: the paths a layer can
 * take with the stored fraction of its weights in each format, and the
 * cheapest of them by the cost model (costs.ts) and the checked-in table
 * (cost-table.ts) for the kernel variants this CPU runs now (isa-level.ts,
 * the lookup linear()'s crossover shares).
 */
import { blockDensity, fitsInt8Blocks, hasInt8ConvKernel } from '../conv2d.js';
import { costForIsa, runningIsa, type CostFamily } from '../isa-level.js';
import { CONV_COSTS } from './cost-table.js';
import { CONV_PATH_FAMILY, convPhases, costKey, convWork, NHWC_PATH_FAMILY, nhwcWork, type ConvCostTable, type ConvPath, type ConvShape } from './costs.js';
import type { ConvWeightSource, ConvWindow } from './layer.js';

/** The cost model's view of a layer with weights `w`. */
export function convShape(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, window: ConvWindow): ConvShape {
  const [oc, c] = w.dims;
  return { outChannels: oc, channels: c, kernelPositions: window.kernel[0] * window.kernel[1], uint8Input: w.type !== 'float32', phases: convPhases(window.kernel, window.strides) };
}

/**
 * The paths an ungrouped layer can take, with the stored fraction of its
 * weights in each format (zero: the weight's zero point): im2col and the
 * dense direct kernel always, and when `trySparse` CSR and [4 x 1] blocks
 * (strided too: f32-spconv2d reads the phase planes as f32-conv2d does), and
 * int8 blocks for integer weights whose values minus zero point fit int8
 * where qu8s8-conv2d runs SIMD code (the addon runs its scalar variant for
 * no call: the float kernels take those layers).
 */
export function convCandidates(w: ConvWeightSource<'float32' | 'int8' | 'uint8'>, window: ConvWindow, trySparse: boolean): ConvCandidate[] {
  const quantized = w.type !== 'float32';
  const candidates: ConvCandidate[] = [{ path: 'direct', density: 1 }, { path: quantized ? 'im2col-int8' : 'im2col', density: 1 }];
  if (!trySparse) return candidates;
  const oc = w.dims[0], taps = w.data.length / oc;
  // Per output channel in plain loops, not a closure per weight: a full-width model has millions of weights.
  const zeroOf = (o: number) => (w.zeroPoints ? w.zeroPoints[w.zeroPoints.length === 1 ? 0 : o] : 0);
  const stored = new Uint8Array(w.data.length);
  for (let o = 0; o < oc; o++) for (let i = o * taps, zero = zeroOf(o); i < (o + 1) * taps; i++) stored[i] = w.data[i] !== zero ? 1 : 0;
  candidates.push({ path: 'direct-csr', density: blockDensity(stored, oc, 1) }, { path: 'direct-block4', density: blockDensity(stored, oc, 4) });
  if (quantized && hasInt8ConvKernel()) {
    const shifted = new Float32Array(w.data.length);
    for (let o = 0; o < oc; o++) for (let i = o * taps, zero = zeroOf(o); i < (o + 1) * taps; i++) shifted[i] = w.data[i] - zero;
    if (fitsInt8Blocks(shifted)) candidates.push({ path: 'direct-int8', density: blockDensity(stored, oc, 4, 4, window.kernel[0] * window.kernel[1]) });
  }
  return candidates;
}

export interface ConvCandidate {
  path: ConvPath;
  /** Stored fraction of the weights in the path's format (1 for dense paths). */
  density: number;
}

export interface ConvChoice {
  path: ConvPath;
  /** Every candidate with the ISA it would run on and its modelled ns per pixel (Infinity: not measured). */
  costs: { path: ConvPath; isa: string; cost: number }[];
}

/**
 * The cheapest of `candidates` by `table` for the variants running now
 * (`isaOf`, default: the addon's dispatch under the ISA limit); candidates
 * on scalar kernels are dropped first when any other runs SIMD code.
 */
export function chooseConvPath(shape: ConvShape, candidates: readonly ConvCandidate[], table: ConvCostTable = CONV_COSTS,
  isaOf: (family: CostFamily) => string = runningIsa): ConvChoice {
  if (candidates.length === 0) throw new RangeError('chooseConvPath needs a candidate');
  const costs = candidates.map(({ path, density }) => {
    const isa = isaOf(CONV_PATH_FAMILY[path]);
    const entry = costForIsa(table[costKey(path, shape.uint8Input ?? false)] ?? table[path] ?? {}, isa);
    const [macs, moved] = convWork(path, shape, density);
    return { path, isa, cost: entry ? entry.mac * macs + entry.element * moved : Infinity };
  });
  const simd = costs.some((c) => c.isa !== 'scalar');
  const eligible = costs.filter((c) => !simd || c.isa !== 'scalar');
  // Unmeasured paths (Infinity) lose to measured ones; among only those, the first candidate (the caller's default) wins.
  const best = eligible.reduce((a, b) => (b.cost < a.cost ? b : a));
  return { path: best.path, costs };
}

/**
 * The NHWC int8 product's choice for W [OC, K] whose channels-last sparse
 * layout stores `density` of its 4-channel groups (costs.ts
 * qspmmNhwcDensity): 'sparse' (qu8s8-spmm's NHWC kernels) when the table
 * models it cheaper than the dense GEMM for the variants running now, with
 * its modelled time relative to dense (1 for dense). An unmeasured path, or
 * a scalar sparse kernel next to a SIMD GEMM, is never chosen.
 */
export function chooseNhwcInt8(k: number, oc: number, density: number, table: ConvCostTable = CONV_COSTS,
  isaOf: (family: CostFamily) => string = runningIsa): { path: 'dense' | 'sparse'; relative: number } {
  const cost = (path: 'nhwc-gemm-int8' | 'nhwc-spmm-int8', d: number) => {
    const entry = costForIsa(table[path] ?? {}, isaOf(NHWC_PATH_FAMILY[path]));
    const [macs, moved] = nhwcWork(path, k, oc, d);
    return entry ? entry.mac * macs + entry.element * moved : Infinity;
  };
  const dense = cost('nhwc-gemm-int8', 1), sparse = cost('nhwc-spmm-int8', density);
  const scalarSparse = isaOf('qu8s8-spmm') === 'scalar' && isaOf('qu8s8-gemm') !== 'scalar';
  return !scalarSparse && Number.isFinite(dense) && sparse < dense ? { path: 'sparse', relative: sparse / dense } : { path: 'dense', relative: 1 };
}
