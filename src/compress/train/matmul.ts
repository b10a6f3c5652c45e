/**
 * The trainer's GEMMs on cpu.gemm: weights change every step, so B is packed
 * per call and its native copy freed at once rather than left to the garbage
 * collector (a training epoch packs thousands).
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { Tensor } from '../../tensor.js';

/** out [M, N] = a [M, K] * b [K, N] (+ bias per column). */
export function matmul(a: Tensor<'float32'>, b: Tensor<'float32'>, out: Float32Array, bias?: Float32Array): Tensor<'float32'> {
  const packed = cpu.packWeights(b);
  try {
    return cpu.gemm(a, packed, { out, bias });
  } finally {
    packed.dispose();
  }
}

/** A [rows, cols] view of `data` as a tensor (no copy). */
export function matrix(data: Float32Array, rows: number, cols: number): Tensor<'float32'> {
  return { type: 'float32', dims: [rows, cols], data };
}

/** out = x^T for x [rows, cols]. */
export function transposed(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  return cpu.transpose(matrix(x, rows, cols), { out }).data as Float32Array;
}

/** grad += delta, in place on the kernels. */
export function accumulate(grad: Float32Array, delta: Float32Array): void {
  cpu.add({ type: 'float32', dims: [grad.length], data: grad }, { type: 'float32', dims: [delta.length], data: delta }, { out: grad });
}
