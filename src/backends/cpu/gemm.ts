/** gemm: C[M,N] = activation(A[M,K] * B[K,N] + bias) in float32. */
import { refGemm } from '../reference/gemm.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import type { Tensor } from '../../tensor.js';
import { checkBias, checkMade, checkObject, checkTensor, fail, outputTensor, typeFail } from '../../validate.js';
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
