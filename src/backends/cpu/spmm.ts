/**
 * spmm: Y[N, M] = activation(W[N, K] * X[K, M] + bias) with W a sparse float32
 * matrix (pruned weights) and X dense activations laid out [K, M] (input
 * channels x pixels, NCHW per image). W may be csr, bsr with the block shapes
 * the kernels have (SPMM_BLOCK_SHAPES), or nm.
 */
import { refSpmm, storedAsCsr } from '../reference/spmm.js';
import { checkSpmmWeights, planSpmm, type SpmmArgs } from '../../ops/spmm.js';
import { checkVariant } from '../../ops/variant.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import type { Tensor } from '../../tensor.js';
import { checkTensor, outputTensor } from '../../validate.js';

export interface SpmmOptions extends SpmmArgs {
  variant?: string;
  /** Write the [N, M] result here (reused storage; must not overlap the inputs). */
  out?: Float32Array;
}


function spmmCall(wIn: SparseMatrix<'float32'>, xIn: Tensor<'float32'>, options: SpmmOptions = {}): CpuCall<Tensor<'float32'>> {
  checkSpmmWeights(wIn);
  const x = checkTensor('x', xIn, ['float32'], 2);
  const { rows, k, m, bias, min, max } = planSpmm(wIn.dims, x.dims, options);
  const variant = checkVariant(options);
  const y = outputTensor(options.out, { 'x.data': x.data, 'w.values': wIn.values, 'w.indices': wIn.indices, 'w.indptr': wIn.indptr, 'options.bias': bias }, 'float32', [rows, m]);
  const values = wIn.values as Float32Array;
  const dense = { x: x.data, k, m, ldx: m, y: y.data, ldy: m, bias: bias ?? null, min, max };
  return {
    result: y,
    empty: y.data.length === 0,
    native: (addon, async) =>
      wIn.format === 'nm'
        ? addon.f32SpmmNm({ variant, rows, n: wIn.nm.n, groupSize: wIn.nm.m, positions: wIn.indices as Uint8Array, values, ...dense, async })
        : addon.f32Spmm({ variant, rows, blockRows: wIn.blockShape[0], indptr: wIn.indptr, indices: wIn.indices as Int32Array, values, ...dense, async }),
    reference: () => {
      const csr = storedAsCsr(wIn);
      y.data.set(refSpmm(rows, m, csr.indptr, csr.indices, csr.values, x.data, bias, min, max));
    },
  };
}

/**
 * Sparse weights times dense activations, float32, on the calling thread.
 * @param w float32 SparseMatrix [N, K]: csr, bsr with a block shape of SPMM_BLOCK_SHAPES, or nm
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
