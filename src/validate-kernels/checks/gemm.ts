/** f32-gemm and qu8s8-gemm against refGemm and the exact int32 refQGemmInt32. */
import { cpu } from '../../backends/cpu/backend.js';
import { refGemm } from '../../backends/reference/gemm.js';
import { refQGemmInt32 } from '../../backends/reference/qgemm.js';
import { tensor } from '../../tensor.js';
import { DOT_TOLERANCE, dotTolerance, exact, within, type KernelCheck, type ValidateLevel } from '../check.js';
import { EDGE_SIZES, floats, ints, LARGE_SIZES, mulberry32, pick, type Random } from '../random.js';

/** [m, n, k] drawn from the tile-edge sizes, and with 'full' the large ones. */
export function gemmShapes(r: Random, level: ValidateLevel): [number, number, number][] {
  const sizes = level === 'full' ? [...EDGE_SIZES, ...LARGE_SIZES] : EDGE_SIZES;
  return Array.from({ length: level === 'full' ? 400 : 16 }, () => [pick(sizes, r), pick(sizes, r), pick(sizes, r)]);
}

interface F32GemmCase { m: number; n: number; k: number; a: Float32Array; b: Float32Array; bias: Float32Array }

export const f32Gemm: KernelCheck<F32GemmCase> = {
  family: 'f32-gemm',
  variantsOf: 'f32-gemm',
  tolerance: DOT_TOLERANCE,
  cases(seed, level) {
    const r = mulberry32(seed);
    return gemmShapes(r, level).map(([m, n, k]) => ({ m, n, k, a: floats(m * k, r), b: floats(k * n, r), bias: floats(n, r) }));
  },
  describe: ({ m, n, k }) => `m=${m} n=${n} k=${k} bias`,
  run: (c, variant) => cpu.gemm(tensor('float32', [c.m, c.k], c.a), cpu.packWeights(tensor('float32', [c.k, c.n], c.b)), { bias: c.bias, variant }).data,
  reference: (c) => refGemm({ ...c, min: -Infinity, max: Infinity }),
  compare: (got, want, c) => within(got, want, dotTolerance(c.k)),
};

interface QGemmCase { m: number; n: number; k: number; a: Uint8Array; aZeroPoint: number; b: Int8Array; narrow: boolean }

export const qu8s8Gemm: KernelCheck<QGemmCase> = {
  family: 'qu8s8-gemm',
  variantsOf: 'qu8s8-gemm',
  tolerance: 'exact (int32 accumulators)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return gemmShapes(r, level).map(([m, n, k], i) => {
      // Every other case keeps weights in [-64, 64], the range the fast AVX2 kernel (needsNarrow) takes.
      const narrow = i % 2 === 0;
      return { m, n, k, a: ints(Uint8Array, m * k, 0, 255, r), aZeroPoint: pick([0, 128, 255], r), b: ints(Int8Array, k * n, narrow ? -64 : -128, narrow ? 64 : 127, r), narrow };
    });
  },
  describe: ({ m, n, k, aZeroPoint, narrow }) => `m=${m} n=${n} k=${k} aZeroPoint=${aZeroPoint} weights ${narrow ? '[-64, 64]' : '[-128, 127]'}`,
  accepts: (variant, c) => c.narrow || !(variant as { needsNarrow?: boolean }).needsNarrow,
  run: (c, variant) => cpu.qgemm(tensor('uint8', [c.m, c.k], c.a, { zeroPoint: c.aZeroPoint }), tensor('int8', [c.k, c.n], c.b, { scale: 0.02 }), { variant }).data,
  reference: (c) => refQGemmInt32({ ...c, bZeroPoints: [0] }),
  compare: exact,
};
