/**
 * The WebGPU backend object that webgpu() returns: a GpuContext (device,
 * buffers, dispatch, upload and download) with the kernel ops on it, each
 * in its own file. The op files depend on the context only; nothing depends
 * back on this facade.
 */
import type { ElementType, QType, Tensor } from '../../tensor.js';
import type { SparseMatrix } from '../../sparse/sparse-matrix.js';
import type { PointwiseActivation } from '../../ops/activation.js';
import type { GemmWeightsSource } from '../../ops/weights.js';
import { GpuContext } from './context.js';
import { GpuDevice, type WebGpuOptions } from './device.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuGemm, type GpuGemmOptions } from './gemm.js';
import { GpuSparseMatrix, gpuSpmm, uploadSparse, type GpuSpmmOptions } from './spmm.js';
import { gpuDequantize, gpuQuantize, gpuRequantize, type GpuQuantizeOptions, type GpuRequantizeOptions } from './quantize.js';
import { GpuPackedWeights, gpuPackWeights, gpuQgemm, gpuQgemmVariant, type GpuQGemmOptions, type GpuQGemmVariant } from './qgemm.js';
import { GpuPackedSparseWeights, gpuPackSparseWeights, gpuQspmm, type GpuQSpmmOptions, type GpuQSpmmWeights } from './qspmm.js';
import { gpuDwconv2d, type GpuDwconv2dOptions } from './dwconv2d.js';
import { gpuActivate, gpuBinary, type GpuBinaryOptions } from './elementwise.js';
import { gpuGlobalAveragePool } from './gavgpool.js';
import { gpuIm2col, type GpuIm2colOptions } from './im2col.js';
import { gpuMaxPool, type GpuMaxPoolOptions } from './maxpool.js';
import { gpuTranspose } from './transpose.js';

export class WebGpuBackend extends GpuContext {
  readonly name = 'webgpu' as const;

  /** @internal Use webgpu(). */
  static async create(options: WebGpuOptions): Promise<WebGpuBackend> {
    return new WebGpuBackend(await GpuDevice.create(options));
  }

  /**
   * C = activation(A * B + bias) in float32, as cpu.gemm; inputs may be GPU
   * tensors, the result stays on the GPU (download() it).
   */
  gemm(a: Tensor<'float32'> | GpuTensor<'float32'>, b: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuGemmOptions): Promise<GpuTensor<'float32'>> {
    return gpuGemm(this, a, b, options);
  }

  /**
   * Uploads a csr, bsr [4, 1] / [8, 1] or nm float32 weight once, for spmm calls.
   * @throws TypeError naming w for other formats and types.
   */
  uploadSparse(w: SparseMatrix<'float32'>): GpuSparseMatrix {
    return uploadSparse(this, w);
  }

  /**
   * Y = activation(W * X + bias) with W sparse, as cpu.spmm (csr, bsr
   * [r, 1] and nm); W may be uploaded with uploadSparse, X may be a GPU tensor, the
   * result stays on the GPU.
   */
  spmm(w: SparseMatrix<'float32'> | GpuSparseMatrix, x: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuSpmmOptions): Promise<GpuTensor<'float32'>> {
    return gpuSpmm(this, w, x, options);
  }

  /** float32 -> uint8/int8 exactly as cpu.quantize (ONNX QuantizeLinear), per tensor or per axis. */
  quantize(x: Tensor<'float32'> | GpuTensor<'float32'>, options: GpuQuantizeOptions): Promise<GpuTensor<QType>> {
    return gpuQuantize(this, x, options);
  }

  /** uint8/int8 -> float32 with the tensor's own parameters, exactly as cpu.dequantize. */
  dequantize(x: Tensor<QType> | GpuTensor<QType>): Promise<GpuTensor<'float32'>> {
    return gpuDequantize(this, x);
  }

  /** int32 accumulators -> uint8/int8/float32, exactly as cpu.requantize. */
  requantize(acc: Tensor<'int32'> | GpuTensor<'int32'>, options: GpuRequantizeOptions): Promise<GpuTensor> {
    return gpuRequantize(this, acc, options);
  }

  /**
   * Packs int8/uint8 weights [K, N] (or cpu.packWeights() of them) once for qgemm, checked as cpu.packWeights;
   * dispose() the result to free its GPU memory.
   */
  packWeights(b: Tensor<'int8' | 'uint8'> | GemmWeightsSource): GpuPackedWeights {
    return gpuPackWeights(this, b);
  }

  /**
   * Quantized GEMM bit for bit as cpu.qgemm (same options but out, same
   * errors; variant picks the inner product, see qgemmVariant()); b is best
   * packed once with packWeights(). The result stays on the GPU.
   */
  qgemm(a: Tensor<'uint8'> | GpuTensor<'uint8'>, b: GpuPackedWeights | Tensor<'int8' | 'uint8'> | GemmWeightsSource, options?: GpuQGemmOptions): Promise<GpuTensor> {
    return gpuQgemm(this, a, b, options);
  }

  /**
   * Packs sparse int8 weights [N, K] (or cpu.packSparseWeights of them) once
   * for qspmm, checked as cpu.packSparseWeights; dispose() the result to free
   * its GPU memory.
   */
  packSparseWeights(w: GpuQSpmmWeights): GpuPackedSparseWeights {
    return gpuPackSparseWeights(this, w);
  }

  /**
   * Sparse int8 weights times uint8 activations bit for bit as cpu.qspmm (same
   * options but variant/out, same errors); w is best packed once with
   * packSparseWeights(). The result stays on the GPU.
   */
  qspmm(w: GpuPackedSparseWeights | GpuQSpmmWeights, x: Tensor<'uint8'> | GpuTensor<'uint8'>, options?: GpuQSpmmOptions): Promise<GpuTensor> {
    return gpuQspmm(this, w, x, options);
  }

  /** NCHW float32/uint8 -> [group, N*OH*OW, C/group*KH*KW] GEMM rows, element for element cpu.im2col (same options but out, same errors). */
  im2col(x: Tensor<'float32' | 'uint8'> | GpuTensor<'float32' | 'uint8'>, options: GpuIm2colOptions): Promise<GpuTensor<'float32' | 'uint8'>> {
    return gpuIm2col(this, x, options);
  }

  /**
   * Depthwise or grouped 2-D convolution of NCHW float32 x with weights w
   * [OC, C/group, KH, KW] (ONNX's layout), bias and clamp fused, all groups
   * in one dispatch; cpu.dwconv2d's options (group defaults to C) and
   * errors. A group-1 conv runs faster as im2col + gemm.
   */
  dwconv2d(x: Tensor<'float32'> | GpuTensor<'float32'>, w: Tensor<'float32'> | GpuTensor<'float32'>, options: GpuDwconv2dOptions = {}): Promise<GpuTensor<'float32'>> {
    return gpuDwconv2d(this, x, w, options);
  }

  /**
   * a + b for float32 with numpy broadcasting (a per-channel [N, C, 1, 1]
   * operand on [N, C, H, W], a scalar, any other; at most 8 loops once
   * size-1 axes are dropped and runs merged), then options.activation, as
   * cpu.add (which takes fewer broadcasts).
   */
  add(a: Tensor<'float32'> | GpuTensor<'float32'>, b: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuBinaryOptions): Promise<GpuTensor<'float32'>> {
    return gpuBinary(this, 'add', a, b, options);
  }

  /** a - b, as add(). */
  sub(a: Tensor<'float32'> | GpuTensor<'float32'>, b: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuBinaryOptions): Promise<GpuTensor<'float32'>> {
    return gpuBinary(this, 'sub', a, b, options);
  }

  /** a * b, as add(). */
  mul(a: Tensor<'float32'> | GpuTensor<'float32'>, b: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuBinaryOptions): Promise<GpuTensor<'float32'>> {
    return gpuBinary(this, 'mul', a, b, options);
  }

  /** a / b, as add() (WGSL division: within 2.5 ULP). */
  div(a: Tensor<'float32'> | GpuTensor<'float32'>, b: Tensor<'float32'> | GpuTensor<'float32'>, options?: GpuBinaryOptions): Promise<GpuTensor<'float32'>> {
    return gpuBinary(this, 'div', a, b, options);
  }

  /** activation(x) elementwise for float32, as cpu.activate: a clamp ('relu', { min, max }), 'hardswish', 'hardsigmoid' or { kind, alpha, beta, min, max }. */
  activate(x: Tensor<'float32'> | GpuTensor<'float32'>, activation: PointwiseActivation): Promise<GpuTensor<'float32'>> {
    return gpuActivate(this, x, activation);
  }

  /** float32 [N, C, ...spatial] -> [N, C, 1, ...]: the mean of each plane (ONNX GlobalAveragePool). */
  globalAveragePool(x: Tensor<'float32'> | GpuTensor<'float32'>): Promise<GpuTensor<'float32'>> {
    return gpuGlobalAveragePool(this, x);
  }

  /** 2-D max pooling of NCHW float32/uint8/int8, element for element cpu.maxPool (same options but out, same errors). */
  maxPool<T extends 'float32' | 'uint8' | 'int8'>(x: Tensor<T> | GpuTensor<T>, options: GpuMaxPoolOptions): Promise<GpuTensor<T>> {
    return gpuMaxPool(this, x, options);
  }

  /** [rows, cols] -> [cols, rows] as cpu.transpose, or each matrix of a [batch, rows, cols] tensor. */
  transpose<T extends ElementType>(x: Tensor<T> | GpuTensor<T>): Promise<GpuTensor<T>> {
    return gpuTranspose(this, x);
  }

  /**
   * The qgemm inner product this adapter runs faster, 'packed'
   * (dot4I8Packed) or 'unpacked' (i32 multiply-adds): both are timed once,
   * on first use, and the winner is kept for the backend's lifetime.
   */
  qgemmVariant(): Promise<GpuQGemmVariant> {
    return gpuQgemmVariant(this);
  }
}

/**
 * The WebGPU backend: asks Dawn for an adapter and device.
 * @throws Error naming what is missing (no adapter: with the driver to install).
 */
export async function webgpu(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  return WebGpuBackend.create(options);
}
