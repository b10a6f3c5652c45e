/**
 * spmm: Y[N, M] = activation(W[N, K] * X[K, M] + bias) with W a sparse float32
 * matrix (pruned weights) and X dense activations laid out [K, M] (input
 * channels x pixels, NCHW per image). Runs CSR weights; the block and N:M
 * kernels and the int8 ones are the rest of the sparse issue.
 */
import { refSpmm } from '../backends/reference/spmm.js';
import { runAsync, runSync, type CpuCall } from '../backends/cpu-call.js';
import { SparseMatrix } from '../sparse/sparse-matrix.js';
import type { Tensor } from '../tensor.js';
import { checkBias, checkObject, checkTensor, fail, outputTensor, typeFail } from '../validate.js';
import { activationRange, type Activation } from './activation.js';
import { checkVariant } from './gemm.js';

export interface SpmmOptions {
  /** [N] values added to every output row. */
  bias?: Float32Array;
  activation?: Activation;
  variant?: string;
  /** Write the [N, M] result here (reused storage; must not overlap the inputs). */
  out?: Float32Array;
}

function spmmCall(wIn: SparseMatrix<'float32'>, xIn: Tensor<'float32'>, options: SpmmOptions = {}): CpuCall<Tensor<'float32'>> {
  if (!(wIn instanceof SparseMatrix)) typeFail('w', 'must be a SparseMatrix');
  if (wIn.type !== 'float32') typeFail('w', `must hold float32 values, got ${wIn.type}`);
  if (wIn.format !== 'csr') typeFail('w', `must be in csr format (spmm runs CSR so far), got ${wIn.format}`);
  const x = checkTensor('x', xIn, ['float32'], 2);
  checkObject('options', options);
  const [rows, k] = wIn.dims;
  const [xk, m] = x.dims;
  if (xk !== k) fail('x', `has K = ${xk} rows but w has K = ${k} columns`);
  const bias = checkBias(options.bias, 'float32', rows);
  const { min, max } = activationRange('options.activation', options.activation);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, 'float32', [rows, m]);
  const indices = wIn.indices as Int32Array, values = wIn.values as Float32Array;
  return {
    result: y,
    native: (addon, async) => addon.f32Spmm(variant, rows, wIn.indptr, indices, values, x.data, k, m, m, y.data, m, bias ?? null, min, max, async),
    reference: () => y.data.set(refSpmm(rows, m, wIn.indptr, indices, values, x.data, bias, min, max)),
  };
}

/**
 * Sparse (CSR) weights times dense activations, float32, on the calling thread.
 * @param w float32 SparseMatrix [N, K] in csr format
 * @param x float32 [K, M]
 * @throws TypeError/RangeError naming the bad argument.
 */
export function spmm(w: SparseMatrix<'float32'>, x: Tensor<'float32'>, options?: SpmmOptions): Tensor<'float32'> {
  return runSync(spmmCall(w, x, options));
}

/** spmm on a worker thread; inputs must not change until the promise settles. */
export async function spmmAsync(w: SparseMatrix<'float32'>, x: Tensor<'float32'>, options?: SpmmOptions): Promise<Tensor<'float32'>> {
  return runAsync(spmmCall(w, x, options));
}
