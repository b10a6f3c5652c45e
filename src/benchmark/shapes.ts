/** The GEMM and SpMM shapes `sparq bench` times and the tests share (test/fixtures/shapes.ts re-exports them). */
export interface GemmShape {
  name: string;
  m: number;
  n: number;
  k: number;
}

/** Square, the CIFAR-10 CNN's conv layers at batch 64 as GEMMs, and a GEMV. */
export const BENCH_GEMM_SHAPES: readonly GemmShape[] = [
  { name: '256^3', m: 256, n: 256, k: 256 },
  { name: '1024^3', m: 1024, n: 1024, k: 1024 },
  { name: 'cnn-conv1 (b64)', m: 57600, n: 32, k: 27 },
  { name: 'cnn-conv2 (b64)', m: 10816, n: 64, k: 288 },
  { name: 'cnn-conv3 (b64)', m: 1024, n: 64, k: 576 },
  { name: 'gemv 4096', m: 1, n: 4096, k: 4096 },
];

/** Sparse weights W[N, K] x dense activations [K, M] at a given sparsity (fraction of zeros). */
export interface SpmmShape {
  name: string;
  n: number;
  k: number;
  m: number;
  sparsity: number;
}

/** The sparsities the GOP/s-vs-sparsity chart plots. */
export const BENCH_SPARSITIES: readonly number[] = [0.5, 0.75, 0.9, 0.95];

/** 1024x1024 weights with 64 and 1 activation columns at each of BENCH_SPARSITIES, and the CIFAR-10 CNN conv layers (batch 64) pruned to 90%. */
export const BENCH_SPMM_SHAPES: readonly SpmmShape[] = [
  ...BENCH_SPARSITIES.flatMap((sparsity) => [
    { name: '1024x1024 m64', n: 1024, k: 1024, m: 64, sparsity },
    { name: '1024x1024 m1', n: 1024, k: 1024, m: 1, sparsity },
  ]),
  { name: 'cnn-conv1 (b64)', n: 32, k: 27, m: 57600, sparsity: 0.9 },
  { name: 'cnn-conv2 (b64)', n: 64, k: 288, m: 10816, sparsity: 0.9 },
  { name: 'cnn-conv3 (b64)', n: 64, k: 576, m: 1024, sparsity: 0.9 },
];
