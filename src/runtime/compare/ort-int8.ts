/**
 * Whether onnxruntime-node's int8 results are exact on this machine, decided
 * in one place for compare() and the tests.
 *
 * onnxruntime's u8s8 kernels (MLAS) on x86 CPUs with AVX2 or AVX-512 but
 * without VNNI multiply with vpmaddubsw, which adds two adjacent u8 x s8
 * products into an int16 with saturation: a pair above 32767 or below -32768
 * is clamped, so the sum is not the exact integer one (onnxruntime's docs
 * advise 7-bit "reduce_range" weights there). With AVX-512 VNNI, AVX-VNNI or AMX its kernels accumulate
 * in int32, and on aarch64 it uses sdot/udot or widening multiplies: exact.
 * sparq's integer kernels are exact everywhere, so where onnxruntime's are
 * not, sparq's own TypeScript reference backend is the oracle.
 *
 * The real CPU decides, not sparq's ISA cap (SPARQ_ISA, cpu.setIsaLimit):
 * the cap steers sparq's dispatch only. SPARQ_ORT_INT8=exact|saturating
 * overrides the CPU's class, so either branch can be exercised anywhere.
 */
import { readFileSync } from 'node:fs';

import { nativeStatus } from '../../native.js';
import type { OnnxGraph } from '../onnx/model.js';

/** The largest |weight| no pair of u8 x s8 products can saturate int16 with: 255 * 64 * 2 = 32640 <= 32767. */
export const SEVEN_BIT_WEIGHT = 64;

export interface OrtInt8Exactness {
  /** onnxruntime's int8 results are the exact integer results here. */
  exact: boolean;
  /** Why, in one sentence. */
  reason: string;
}

/** The x86 feature flags of /proc/cpuinfo (Linux), empty elsewhere. */
function procCpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line?.slice(line.indexOf(':') + 1).trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

let cpuClass: OrtInt8Exactness | undefined;

/** This CPU's class alone (no model), as onnxruntime's MLAS picks its u8s8 kernels from cpuid at load. */
function detectCpuClass(): OrtInt8Exactness {
  if (process.arch === 'arm64') return { exact: true, reason: 'onnxruntime\'s int8 kernels on aarch64 (sdot/udot or widening multiplies) are exact' };
  if (process.arch !== 'x64' && process.arch !== 'ia32') return { exact: true, reason: `onnxruntime's int8 kernels on ${process.arch} do not saturate` };
  // The addon's cpuid reading includes the OS-enabled register state, as MLAS checks it; /proc/cpuinfo stands in
  // without the addon, and for AVX-VNNI, which the addon does not report.
  const features = nativeStatus().addon?.cpuInfo();
  const flags = procCpuFlags();
  if (features?.amxInt8 ?? flags.has('amx_int8')) return { exact: true, reason: 'onnxruntime\'s u8s8 kernels use AMX on this CPU: exact' };
  if (features?.avx512Vnni ?? flags.has('avx512_vnni')) return { exact: true, reason: 'onnxruntime\'s u8s8 kernels use AVX-512 VNNI on this CPU: exact' };
  if (flags.has('avx_vnni')) return { exact: true, reason: 'onnxruntime\'s u8s8 kernels use AVX-VNNI on this CPU: exact' };
  // Below AVX2, MLAS widens both operands to int16 and adds with pmaddwd (its SSE4.1 pmaddubsw kernel is built with MSVC only).
  const avx2 = features?.avx2Fma ?? (flags.has('avx2') && flags.has('fma'));
  if (!avx2 && process.platform !== 'win32') return { exact: true, reason: 'onnxruntime\'s u8s8 kernels on this CPU (SSE, no AVX2) widen to int16 products: exact' };
  return { exact: false, reason: 'onnxruntime\'s u8s8 kernels saturate at int16 on this CPU (x86 without VNNI: vpmaddubsw)' };
}

/** The CPU's class, or SPARQ_ORT_INT8's. @throws {RangeError} for another SPARQ_ORT_INT8 value. */
function classOfCpu(): OrtInt8Exactness {
  const override = process.env.SPARQ_ORT_INT8;
  if (override === undefined || override === '') return (cpuClass ??= detectCpuClass());
  if (override === 'exact') return { exact: true, reason: 'SPARQ_ORT_INT8=exact: onnxruntime\'s int8 treated as exact' };
  if (override === 'saturating') return { exact: false, reason: 'SPARQ_ORT_INT8=saturating: onnxruntime\'s u8s8 kernels treated as saturating at int16 (x86 without VNNI)' };
  throw new RangeError(`SPARQ_ORT_INT8 must be 'exact' or 'saturating', got '${override}'`);
}

/**
 * Whether onnxruntime-node's int8 results are exact on this machine for a
 * model with these int8 weights (its int8 initializers; omitted: any
 * weights). On a saturating CPU, weights all within [-64, 64] still give
 * exact results: no pair of products reaches int16's limit.
 * @throws {RangeError} when SPARQ_ORT_INT8 is set to something other than 'exact' or 'saturating'.
 */
export function ortInt8Exactness(int8Weights?: Iterable<ArrayLike<number>>): OrtInt8Exactness {
  const cpu = classOfCpu();
  if (cpu.exact || int8Weights === undefined) return cpu;
  for (const w of int8Weights) for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) > SEVEN_BIT_WEIGHT) return cpu;
  return { exact: true, reason: `${cpu.reason}, but every int8 weight is within [-${SEVEN_BIT_WEIGHT}, ${SEVEN_BIT_WEIGHT}], so no pair reaches int16's limit: exact` };
}

/** The int8 tensors a model holds (initializers and Constant nodes' values): the weights onnxruntime's u8s8 kernels would multiply. */
export function int8Weights(graph: OnnxGraph): Int8Array[] {
  const weights: Int8Array[] = [];
  for (const v of graph.initializers.values()) if (v.type === 'int8') weights.push(v.data as Int8Array);
  for (const n of graph.nodes) {
    const a = n.opType === 'Constant' ? n.attributes.get('value') : undefined;
    if (a?.type === 'tensor' && a.value.type === 'int8') weights.push(a.value.data as Int8Array);
  }
  return weights;
}
