/**
 * The cost model of the ways to run a convolution, per ISA of the kernel
 * variant that would run it (choice.ts picks among them from the checked-in
 * table, cost-table.ts, once per layer when the operator is prepared).
 *
 * A path's time per output pixel is modelled as
 *   mac x (stored multiply-adds per pixel) + element x (values moved per pixel)
 * with the two coefficients (ns) measured per path and per ISA level by
 * `npm run calibrate -- --conv` (bench/calibrate-conv.ts) on the CIFAR CNN's
 * and strided layers and checked in (cost-table.ts). Values moved: the
 * direct kernels write OC outputs per pixel (the image rows they read stay
 * in cache; a pointwise conv reads them where they lie), and when strided
 * copy the input once into its phase planes, C x min(SH, KH) x min(SW, KW)
 * values per output pixel; im2col writes a C*KH*KW row into a fresh array
 * and transposes OC results, which costs it more than its GEMM on small
 * layers. Both terms
 * scale with the pixels, so the choice does not depend on the input size the
 * session will see.
 *
 * Entries are looked up by the ISA of the variant the path's kernel family
 * dispatches to now (backends/cpu/isa-level.ts: unmeasured levels borrow a
 * measured one's costs by the rule written there), and a path that would run
 * a scalar kernel is never chosen while another runs SIMD code: timings of
 * one machine rank its SIMD paths well enough for another, but a scalar
 * kernel against a SIMD one is off by the SIMD width on every other CPU.
 */
import type { CostFamily } from '../isa-level.js';

/**
 * The ways an ungrouped conv can run: on cpu.conv2d with dense weights or
 * int8 [4 x 4 channel] blocks (any stride), CSR or [4 x 1] blocks (stride
 * 1), or im2col and a GEMM (float, or uint8 x int8).
 */
export type ConvPath = 'direct' | 'direct-csr' | 'direct-block4' | 'direct-int8' | 'im2col' | 'im2col-int8';

/** The kernel family whose variant runs each path's arithmetic. */
export const CONV_PATH_FAMILY: Record<ConvPath, CostFamily> = {
  direct: 'f32-conv2d',
  'direct-csr': 'f32-spconv2d',
  'direct-block4': 'f32-spconv2d',
  'direct-int8': 'qu8s8-conv2d',
  im2col: 'f32-gemm',
  'im2col-int8': 'qu8s8-gemm',
};

/** ns per stored multiply-add and per value moved, on one thread. */
export interface PathCost {
  mac: number;
  element: number;
}

/**
 * The float direct paths on uint8 images (quantized layers): they widen each
 * image to float first and requantize their output, which costs them more
 * than on float images (measured: CSR 30-40% slower per CIFAR layer), so
 * they are timed on both and entered under their own key.
 */
export type Uint8CostKey = `${'direct' | 'direct-csr' | 'direct-block4'}:uint8`;

/** The table entry `path` takes for images of this type (the float entry where no uint8 one was measured). */
export function costKey(path: ConvPath, uint8Input: boolean): ConvPath | Uint8CostKey {
  return uint8Input && (path === 'direct' || path === 'direct-csr' || path === 'direct-block4') ? `${path}:uint8` : path;
}

/**
 * The ways the NHWC operator (nhwc.ts) runs a group-1 int8 conv's product
 * over the pixels' rows: the dense qu8s8-gemm, or qu8s8-spmm's channels-last
 * kernels on the weights' 4-channel groups, stored per block of
 * QSPMM_NHWC_BLOCK output channels as the union of the block's groups
 * (qspmmNhwcDensity). Moved values: the OC outputs each requantizes per pixel
 * (both read the pixels' rows in place).
 */
export type NhwcPath = 'nhwc-gemm-int8' | 'nhwc-spmm-int8';

/** The kernel family whose variant runs each NHWC path's arithmetic. */
export const NHWC_PATH_FAMILY: Record<NhwcPath, CostFamily> = { 'nhwc-gemm-int8': 'qu8s8-gemm', 'nhwc-spmm-int8': 'qu8s8-spmm' };

/** [stored multiply-adds, values moved] per output pixel of an NHWC product of K = `k` row values into `oc` channels at `density` (stored fraction). */
export function nhwcWork(path: NhwcPath, k: number, oc: number, density: number): [number, number] {
  return [oc * k * density, oc];
}

/** Output channels per block of qu8s8-spmm's channels-last layout (kernels/qu8s8-spmm/qu8s8-spmm.h kQSpmmNhwcOc). */
export const QSPMM_NHWC_BLOCK = 8;

/**
 * The fraction of W [oc, k]'s 4-channel groups (the last one short) that
 * qu8s8-spmm's channels-last layout multiplies: per block of
 * QSPMM_NHWC_BLOCK rows, each group holding a nonzero in any of them, for
 * all the block's channels (the last block's padding included).
 */
export function qspmmNhwcDensity(w: ArrayLike<number>, oc: number, k: number): number {
  const groups = Math.ceil(k / 4);
  if (oc * groups === 0) return 0;
  let stored = 0;
  for (let o0 = 0; o0 < oc; o0 += QSPMM_NHWC_BLOCK)
    for (let g = 0; g < groups; g++) {
      let any = false;
      for (let o = o0; o < Math.min(oc, o0 + QSPMM_NHWC_BLOCK) && !any; o++)
        for (let j = o * k + g * 4, end = o * k + Math.min(k, g * 4 + 4); j < end && !any; j++) any = w[j] !== 0;
      if (any) stored += QSPMM_NHWC_BLOCK;
    }
  return stored / (oc * groups);
}

/** Per path (and uint8 key), per ISA level of the variant that ran ('scalar', 'avx2', 'avx512', 'avx512vnni', ...). */
export type ConvCostTable = Readonly<Partial<Record<ConvPath | Uint8CostKey | NhwcPath, Readonly<Record<string, PathCost>>>>>;

/** A conv layer as the cost model sees it. */
export interface ConvShape {
  outChannels: number;
  /** Input channels (one group). */
  channels: number;
  kernelPositions: number;
  /** uint8 images (a quantized layer), float32 otherwise. */
  uint8Input?: boolean;
  /**
   * Phase planes per input channel the strided direct path copies
   * (min(SH, KH) x min(SW, KW), convPhases()); 0 or absent at stride 1.
   */
  phases?: number;
}

/** The phase planes per input channel of a strided direct conv (shifted-conv.h), 0 at stride 1. */
export function convPhases(kernel: readonly [number, number], strides: readonly [number, number]): number {
  return strides[0] === 1 && strides[1] === 1 ? 0 : Math.min(strides[0], kernel[0]) * Math.min(strides[1], kernel[1]);
}

/** [stored multiply-adds, values moved] per output pixel of `path` at `density` (its stored fraction). */
export function convWork(path: ConvPath, shape: ConvShape, density: number): [number, number] {
  const { outChannels: oc, channels: c, kernelPositions: taps } = shape;
  const moved = path.startsWith('im2col') ? c * taps + oc : oc + c * (shape.phases ?? 0);
  return [oc * c * taps * density, moved];
}
