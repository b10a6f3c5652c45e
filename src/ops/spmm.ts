/**
 * spmm's checks for every backend: the sparse float32 weights (format and
 * block shape a kernel runs), then the options against W and X.
 */
import { activationRange, type Activation } from './activation.js';
import { checkSparseStructure, SPARSE_MAKERS, SparseMatrix } from '../sparse/sparse-matrix.js';
import { checkBias, checkMade, checkObject, fail, typeFail } from '../validate.js';

/**
 * bsr block shapes with a kernel: [r, 1] blocks share each loaded activation
 * vector between r output rows (kernels/f32-spmm/f32-spmm.h).
 */
export const SPMM_BLOCK_SHAPES: readonly (readonly [number, number])[] = [[4, 1], [8, 1]];

/** spmm's options every backend takes. */
export interface SpmmArgs {
  /** [N] values added to every output row. */
  bias?: Float32Array;
  activation?: Activation;
}

/** Checks w is a float32 SparseMatrix in a format spmm runs (the first check of every spmm backend). */
export function checkSpmmWeights(w: unknown): asserts w is SparseMatrix<'float32'> {
  const s = checkMade('w', w, SparseMatrix, SPARSE_MAKERS);
  checkSparseStructure('w', s);
  if (s.type !== 'float32') typeFail('w', `must hold float32 values, got ${s.type}`);
  if (s.format === 'bsr' && !SPMM_BLOCK_SHAPES.some(([r, c]) => s.blockShape[0] === r && s.blockShape[1] === c))
    typeFail('w', `has bsr blocks of [${s.blockShape.join(', ')}]; spmm runs ${SPMM_BLOCK_SHAPES.map((b) => `[${b.join(', ')}]`).join(', ')}`);
}

/** The checks after w and x (options, K, bias, activation), shared with the WebGPU backend. */
export function planSpmm(wDims: readonly [number, number], xDims: readonly number[], options: SpmmArgs) {
  checkObject('options', options);
  const [rows, k] = wDims;
  const [xk, m] = xDims;
  if (xk !== k) fail('x', `has K = ${xk} rows but w has K = ${k} columns`);
  const bias = checkBias(options.bias, 'float32', rows);
  const { min, max } = activationRange('options.activation', options.activation);
  return { rows, k, m, bias, min, max };
}
