/**
 * The CPU backend: every kernel on the native addon's SIMD code (AVX2+FMA or
 * portable, chosen once from the CPU's features), or on the TypeScript
 * reference backend when the addon is not available.
 */
import { gemm, gemmAsync } from './gemm.js';
import { im2col, im2colAsync } from './im2col.js';
import { col2imNhwc, planCol2imNhwc } from './col2im.js';
import { linear } from './linear.js';
import { maxPool, maxPoolAsync } from './maxpool.js';
import {
  activate, activateAsync, add, addAsync, globalAveragePool, globalAveragePoolAsync, mul, mulAsync, sub, subAsync,
} from './elementwise.js';
import { conv2d, conv2dAsync, packConvWeights } from './conv2d.js';
import { dwconv2d, dwconv2dAsync, planDwconv2d } from './dwconv2d.js';
import { planConv2dNhwc } from './conv2d-nhwc.js';
import { dwconv2dNhwc, planDwconv2dNhwc } from './dwconv2d-nhwc.js';
import { lookup, qadd, qglobalAveragePool, qmul, qsub } from './qelementwise.js';
import { planQdwconv2d, qdwconv2d, qdwconv2dAsync } from './qdwconv2d.js';
import { planQdwconv2dNhwc } from './qdwconv2d-nhwc.js';
import { planQconv2dNhwc } from './qconv2d-nhwc.js';
import { spmm, spmmAsync } from './spmm.js';
import { planSpmmNhwc } from './spmm-nhwc.js';
import { planQSpmmNhwc } from './qspmm-nhwc.js';
import { transpose, transposeAsync } from './transpose.js';
import { packWeights } from './pack.js';
import { qgemm, qgemmAsync } from './qgemm.js';
import { packSparseWeights, qspmm, qspmmAsync } from './qspmm.js';
import {
  chooseQuantParams, dequantize, dequantizeAsync, minmax, minmaxAsync, quantize, quantizeAsync, requantize, requantizeAsync,
} from './quantize.js';
import { familyVariants, native, nativeStatus, NATIVE_FAMILIES, type IsaLimit, type NativeFamily, type NativeVariant } from '../../native.js';
import { checkInt, checkOneOf } from '../../validate.js';

export interface CpuInfo {
  /** 'native' (the C++ addon) or 'reference' (pure TypeScript). */
  implementation: 'native' | 'reference';
  /** The highest ISA dispatch uses here: 'amx', 'avx512vnni', 'avx512', 'avx2' (x86), 'neondot', 'neon' (aarch64) or 'scalar'. */
  isa: string;
  threads: number;
  addonPath: string | null;
  /** Bytes of native memory held by packed weights not yet disposed (or garbage-collected), process-wide. */
  heldBytes: number;
  /** Every kernel family's variants, best first, with whether this CPU runs them. */
  variants: Record<string, NativeVariant[]>;
}

function info(): CpuInfo {
  const addon = native();
  if (!addon) return { implementation: 'reference', isa: 'scalar', threads: 1, addonPath: null, heldBytes: 0, variants: {} };
  return {
    implementation: 'native',
    isa: addon.cpuInfo().best,
    threads: addon.getThreads(),
    addonPath: nativeStatus().path,
    heldBytes: addon.heldBytes(),
    variants: Object.fromEntries(Object.keys(NATIVE_FAMILIES).map((family) => [family, familyVariants(addon, family as NativeFamily)])),
  };
}

/** Threads the CPU kernels split large calls across (default: SPARQ_THREADS, else all cores). */
function setThreads(threads: number): void {
  checkInt('threads', threads, 1, 256);
  native()?.setThreads(threads);
}

/**
 * Caps the ISA kernels may use, as SPARQ_ISA does at load: 'scalar' forces
 * the portable kernels, 'avx2' keeps x86 to AVX2 (to compare with AVX2-only
 * machines), 'avx512'/'avx512vnni' keep it off AMX, 'neon' keeps aarch64 off
 * the dot-product kernels, 'none' lifts the cap. The two ladders line up
 * (neon with avx2, neondot with avx512), so a limit caps either architecture.
 */
function setIsaLimit(limit: IsaLimit): void {
  native()?.setIsaLimit(
    checkOneOf('limit', limit, ['scalar', 'avx2', 'avx512', 'avx512vnni', 'neon', 'neondot', 'none'] as const),
  );
}

export const cpu = {
  name: 'cpu' as const,
  info,
  setThreads,
  setIsaLimit,
  packWeights,
  gemm,
  gemmAsync,
  qgemm,
  qgemmAsync,
  quantize,
  quantizeAsync,
  dequantize,
  dequantizeAsync,
  requantize,
  requantizeAsync,
  minmax,
  minmaxAsync,
  chooseQuantParams,
  im2col,
  im2colAsync,
  col2imNhwc,
  planCol2imNhwc,
  spmm,
  spmmAsync,
  planSpmmNhwc,
  packSparseWeights,
  qspmm,
  qspmmAsync,
  planQSpmmNhwc,
  transpose,
  transposeAsync,
  linear,
  maxPool,
  maxPoolAsync,
  activate,
  activateAsync,
  add,
  addAsync,
  sub,
  subAsync,
  mul,
  mulAsync,
  globalAveragePool,
  globalAveragePoolAsync,
  qadd,
  qsub,
  qmul,
  lookup,
  qglobalAveragePool,
  packConvWeights,
  conv2d,
  conv2dAsync,
  dwconv2d,
  dwconv2dAsync,
  planDwconv2d,
  planConv2dNhwc,
  dwconv2dNhwc,
  planDwconv2dNhwc,
  qdwconv2d,
  qdwconv2dAsync,
  planQdwconv2d,
  planQdwconv2dNhwc,
  planQconv2dNhwc,
};

export type CpuBackend = typeof cpu;
