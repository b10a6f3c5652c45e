/**
 * Which ISA each kernel family runs on now, and which measured ISA level
 * stands in for one that no table measured. The runtime's cost choices
 * (the conv path in backends/cpu/conv/choice.ts, linear()'s crossover in
 * crossover.ts) look their costs up by the ISA of the variant the
 * addon will dispatch to, so a capped ISA (cpu.setIsaLimit, SPARQ_ISA), an
 * AVX2-only CPU or an aarch64 one each gets the costs of what it runs.
 */
import { native, type NativeAddon, type NativeVariant } from '../../native.js';

/** The kernel families whose speed decides a layer's path. */
export type CostFamily = 'f32-gemm' | 'qu8s8-gemm' | 'f32-spmm' | 'qu8s8-spmm' | 'f32-conv2d' | 'f32-spconv2d' | 'qu8s8-conv2d';

const VARIANT_LISTS: Record<CostFamily, keyof NativeAddon> = {
  'f32-gemm': 'f32GemmVariants',
  'qu8s8-gemm': 'qu8s8GemmVariants',
  'f32-spmm': 'f32SpmmVariants',
  'qu8s8-spmm': 'qu8s8SpmmVariants',
  'f32-conv2d': 'f32Conv2dVariants',
  'f32-spconv2d': 'f32SpConv2dVariants',
  'qu8s8-conv2d': 'qu8s8Conv2dVariants',
};

/**
 * The ISA of the variant `family` dispatches to now: the first supported one
 * of its best-first list (`supported` follows the ISA limit); 'scalar'
 * without the addon (the TypeScript reference runs).
 */
export function runningIsa(family: CostFamily): string {
  const list = native()?.[VARIANT_LISTS[family]] as NativeVariant[] | undefined;
  return list?.find((v) => v.supported)?.isa ?? 'scalar';
}

/**
 * The ISA levels whose measured costs stand for `isa`, nearest first. A
 * level is measured only where a calibration ran (bench/calibrate-*.ts on
 * x86 with and without SPARQ_ISA caps); the rest borrow:
 * - amx -> avx512vnni -> avx512 -> avx2: an unmeasured x86 level takes the
 *   next lower measured one (it can only be faster, and relative costs
 *   move less between neighbouring levels than between far ones).
 * - neon, neondot (and any other SIMD ISA) -> avx2: 128-bit NEON is timed
 *   under qemu only, which is no timing; AVX2's relative costs are taken
 *   as they are, unscaled (NEON's FMA and 8-bit dot-product throughput per
 *   cycle sit nearer AVX2's than AVX-512's).
 * scalar stands only for scalar: a SIMD variant never takes a scalar cost.
 */
export function isaStandIns(isa: string): string[] {
  switch (isa) {
    case 'scalar': return ['scalar'];
    case 'avx2': return ['avx2'];
    case 'avx512': return ['avx512', 'avx2'];
    case 'avx512vnni': return ['avx512vnni', 'avx512', 'avx2'];
    case 'amx': return ['amx', 'avx512vnni', 'avx512', 'avx2'];
    case 'neondot': return ['neondot', 'neon', 'avx2'];
    default: return [isa, 'avx2'];
  }
}

/**
 * The entry of `byIsa` that stands for `isa` (isaStandIns), else, for a SIMD
 * ISA, the lowest measured SIMD level there is (any measured SIMD timing is
 * nearer the truth than the scalar one); scalar's entry only for scalar, or
 * as the last resort of a table that measured nothing else.
 */
export function costForIsa<T>(byIsa: Readonly<Record<string, T>>, isa: string): T | undefined {
  for (const level of isaStandIns(isa)) if (byIsa[level] !== undefined) return byIsa[level];
  if (isa !== 'scalar') {
    const simd = SIMD_LEVELS.find((level) => byIsa[level] !== undefined) ?? Object.keys(byIsa).find((level) => level !== 'scalar');
    if (simd !== undefined) return byIsa[simd];
  }
  return byIsa.scalar;
}

/** The x86 levels calibration measures, lowest first. */
export const SIMD_LEVELS = ['avx2', 'avx512', 'avx512vnni', 'amx'] as const;
