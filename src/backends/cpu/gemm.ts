/** gemm: C[M,N] = activation(A[M,K] * B[K,N] + bias) in float32. */
import { refGemm } from '../reference/gemm.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native } from '../../native.js';
import type { Tensor } from '../../tensor.js';
import {
  checkBias, checkDisjoint, checkMade, checkNoOverlap, checkObject, checkResultSize, checkTensor, checkTensorShape, fail, outputTensor, typeFail,
} from '../../validate.js';
import { activationRange, type Activation } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { packWeights, PackedWeights } from './pack.js';

export interface GemmOptions {
  /** [N] values added to every row. */
  bias?: Float32Array;
  activation?: Activation;
  /** Force one kernel variant by name (tests, benchmarks); default: the best for this CPU. */
  variant?: string;
  /** Write the [M, N] result here (reused storage; must not overlap the inputs). */
  out?: Float32Array;
}

/** Weights for gemm: a float32 [K, N] tensor, or the same packed once with packWeights(). */
export type GemmWeights = Tensor<'float32'> | PackedWeights;

/**
 * Weights `b` of one of `types`, packed (a tensor is packed here). With `k`,
 * the K of the activations: b must have K rows, checked before packing.
 */
export function asPacked(name: string, b: unknown, types: readonly string[], k?: number): PackedWeights {
  const packed = b instanceof PackedWeights ? checkMade(name, b, PackedWeights, 'packWeights()') : undefined;
  if (packed && !types.includes(packed.type)) typeFail(name, `must be packed ${types.join('/')} weights, got ${packed.type}`);
  const t = packed ? undefined : checkTensor(name, b, types as readonly ('float32' | 'uint8' | 'int8')[], 2);
  const bk = packed ? packed.k : t!.dims[0];
  if (k !== undefined && bk !== k) fail(name, `has K = ${bk} rows but a has K = ${k} columns`);
  return packed ?? packWeights(t!);
}

function gemmCall(aIn: Tensor<'float32'>, bIn: GemmWeights, options: GemmOptions = {}): CpuCall<Tensor<'float32'>> {
  const a = checkTensor('a', aIn, ['float32'], 2);
  checkObject('options', options);
  const [m, k] = a.dims;
  const b = asPacked('b', bIn, ['float32'], k);
  const n = b.n;
  const bias = checkBias(options.bias, 'float32', n);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  const c = outputTensor(options.out, { 'a.data': a.data, b: b.source.data, 'options.bias': bias }, 'float32', [m, n]);
  const handle = b.handle;
  return {
    result: c,
    empty: c.data.length === 0,
    native: handle && ((addon, async) => addon.f32Gemm({ variant, weights: handle, a: a.data, m, lda: k, c: c.data, ldc: n, bias: bias ?? null, min, max, async })),
    reference: () => c.data.set(refGemm({ m, n, k, a: a.data, b: b.source.data as Float32Array, bias, min, max })),
  };
}

/**
 * C = activation(A * B + bias), float32, on the calling thread.
 * @param a float32 [M, K]
 * @param b float32 [K, N], or weights packed once with packWeights()
 * @throws TypeError/RangeError naming the bad argument.
 */
export function gemm(a: Tensor<'float32'>, b: GemmWeights, options?: GemmOptions): Tensor<'float32'> {
  return runSync(gemmCall(a, b, options));
}

/** gemm on a worker thread; inputs must not change until the promise settles. */
export async function gemmAsync(a: Tensor<'float32'>, b: GemmWeights, options?: GemmOptions): Promise<Tensor<'float32'>> {
  return runAsync(gemmCall(a, b, options));
}

/** A gemm call validated once for activations of one shape: run() checks only the two arrays. */
export interface GemmPlan {
  /** [M, N] of the result. */
  readonly dims: readonly [number, number];
  /** C of the planned call for A `a` into `out` (a Float32Array of M x N, not overlapping a). */
  run(a: Float32Array, out: Float32Array): void;
}

/**
 * Validates a gemm call for activations of `a`'s dims (no data needed) once,
 * for many runs; the addon reads its options once too (planF32Gemm). Bias and
 * activation are read now: changing the bias array later does not change the plan.
 * @throws TypeError/RangeError naming the bad argument, as gemm does.
 */
export function planGemm(a: Omit<Tensor<'float32'>, 'data'>, bIn: GemmWeights, options: Omit<GemmOptions, 'out'> = {}): GemmPlan {
  const [m, k] = checkTensorShape('a', a, ['float32'], 2).dims;
  checkObject('options', options);
  const b = asPacked('b', bIn, ['float32'], k);
  const n = b.n;
  const bias = checkBias(options.bias, 'float32', n);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  checkResultSize([m, n]);
  const handle = b.handle;
  const addon = handle && m * n > 0 ? native() : null;
  const plan = addon && addon.planF32Gemm({ variant, weights: handle!, m, lda: k, ldc: n, bias: bias ?? null, min, max });
  const reference = bias && Float32Array.from(bias);
  return {
    dims: [m, n],
    run(aData, out) {
      if (!(aData instanceof Float32Array) || aData.length !== m * k) fail('a', `must be a Float32Array of ${m * k} values, as planned`);
      if (!(out instanceof Float32Array) || out.length !== m * n) fail('out', `must be a Float32Array of ${m * n} values`);
      checkDisjoint('out', out, 'a', aData);
      if (plan) return addon!.runPlan(plan, aData, out);
      if (m * n === 0) return;
      checkNoOverlap('out', out, { b: b.source.data });
      out.set(refGemm({ m, n, k, a: aData, b: b.source.data as Float32Array, bias: reference, min, max }));
    },
  };
}
