/**
 * Sparse x dense: f32-spmm and qu8s8-spmm over every weight format the API
 * offers (CSR, blocks, N:M) at sparsities from empty to dense, against
 * refSpmm on the stored entries and the exact int32 refQSpmmInt32.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refQSpmmInt32 } from '../../backends/reference/qspmm.js';
import { refSpmm, storedAsCsr } from '../../backends/reference/spmm.js';
import { SparseMatrix, type FromDenseOptions } from '../../sparse/sparse-matrix.js';
import { tensor } from '../../tensor.js';
import { DOT_TOLERANCE, dotTolerance, exact, within, type KernelCheck, type ValidateLevel } from '../check.js';
import { EDGE_SIZES, floats, ints, LARGE_SIZES, mulberry32, pick, type Random } from '../random.js';

const DENSITIES = [0, 0.01, 0.1, 0.5, 0.9, 1];

const formatName = (f: FromDenseOptions) => (f.format === 'bsr' ? `bsr [${f.blockShape}]` : f.format === 'nm' ? `${f.n}:${f.m}` : f.format);

/** W [n, k] x [k, m] shapes; n a multiple of 4 and k of 4 so every format's blocks and groups fit. */
function spmmShapes(r: Random, level: ValidateLevel): [number, number, number][] {
  const sizes = level === 'full' ? [...EDGE_SIZES, ...LARGE_SIZES] : EDGE_SIZES;
  return Array.from({ length: level === 'full' ? 300 : 12 }, () => [4 * Math.ceil(pick(sizes, r) / 4), 4 * Math.ceil(pick(sizes, r) / 4), pick(sizes, r)]);
}

/** A dense matrix with about `density` of its entries (of its `rows` x `cols` blocks) kept. */
function prune<T extends Float32Array | Int8Array>(d: T, k: number, density: number, rows: number, cols: number, r: Random): T {
  const n = d.length / k;
  for (let i = 0; i < n; i += rows)
    for (let j = 0; j < k; j += cols)
      if (r() >= density) for (let a = i; a < i + rows; a++) d.fill(0, a * k + j, a * k + j + cols);
  return d;
}

interface F32SpmmCase { n: number; k: number; m: number; density: number; format: FromDenseOptions; w: Float32Array; x: Float32Array; bias: Float32Array }

const F32_FORMATS: FromDenseOptions[] = [{ format: 'csr' }, { format: 'bsr', blockShape: [4, 1] }, { format: 'nm', n: 2, m: 4 }];

export const f32Spmm: KernelCheck<F32SpmmCase> = {
  family: 'f32-spmm',
  variantsOf: 'f32-spmm',
  tolerance: DOT_TOLERANCE,
  cases(seed, level) {
    const r = mulberry32(seed);
    return spmmShapes(r, level).map(([n, k, m]) => {
      const format = pick(F32_FORMATS, r), density = pick(DENSITIES, r);
      const w = prune(floats(n * k, r), k, density, format.format === 'bsr' ? 4 : 1, 1, r);
      return { n, k, m, density, format, w, x: floats(k * m, r), bias: floats(n, r) };
    });
  },
  describe: (c) => `W [${c.n}, ${c.k}] ${formatName(c.format)} density ${c.density} x [${c.k}, ${c.m}] bias`,
  run: (c, variant) => cpu.spmm(SparseMatrix.fromDense(tensor('float32', [c.n, c.k], c.w), c.format) as SparseMatrix<'float32'>,
    tensor('float32', [c.k, c.m], c.x), { bias: c.bias, variant }).data,
  reference(c) {
    // The stored entries: N:M keeps the largest of each group, not the pruned matrix as given.
    const csr = storedAsCsr(SparseMatrix.fromDense(tensor('float32', [c.n, c.k], c.w), c.format) as SparseMatrix<'float32'>);
    return refSpmm(c.n, c.m, csr.indptr, csr.indices, csr.values, c.x, c.bias, -Infinity, Infinity);
  },
  compare: (got, want, c) => within(got, want, dotTolerance(c.k)),
};

interface QSpmmCase { n: number; k: number; m: number; density: number; format: FromDenseOptions; w: Int8Array; x: Uint8Array; xZeroPoint: number }

const INT8_FORMATS: FromDenseOptions[] = [{ format: 'csr' }, { format: 'bsr', blockShape: [1, 4] }, { format: 'nm', n: 2, m: 4 }, { format: 'nm', n: 1, m: 4 }];

export const int8Weights = (c: QSpmmCase) => SparseMatrix.fromDense(tensor('int8', [c.n, c.k], c.w, { scale: 0.004 }), c.format) as SparseMatrix<'int8'>;

export const qu8s8Spmm: KernelCheck<QSpmmCase> = {
  family: 'qu8s8-spmm',
  variantsOf: 'qu8s8-spmm',
  tolerance: 'exact (int32 accumulators)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return spmmShapes(r, level).map(([n, k, m]) => {
      const format = pick(INT8_FORMATS, r), density = pick(DENSITIES, r);
      const w = prune(ints(Int8Array, n * k, -128, 127, r).map((v) => v || 1), k, density, 1, format.format === 'bsr' ? 4 : 1, r);
      return { n, k, m, density, format, w, x: ints(Uint8Array, k * m, 0, 255, r), xZeroPoint: pick([0, 1, 128, 255], r) };
    });
  },
  describe: (c) => `W [${c.n}, ${c.k}] ${formatName(c.format)} density ${c.density} x [${c.k}, ${c.m}] xZeroPoint=${c.xZeroPoint}`,
  run: (c, variant) => cpu.qspmm(int8Weights(c), tensor('uint8', [c.k, c.m], c.x, { zeroPoint: c.xZeroPoint }), { variant }).data,
  reference: (c) => refQSpmmInt32(c.n, c.k, c.m, int8Weights(c).toDense().data as Int8Array, c.x, c.xZeroPoint),
  compare: exact,
};
