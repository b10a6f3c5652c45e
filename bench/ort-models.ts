/**
 * onnxruntime-node sessions for the baselines: one single-node model per
 * kernel, weights as initializers (so onnxruntime prepacks them, as it would
 * in a real model), on the CPU execution provider with a fixed thread count.
 */
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../src/runtime/onnx/write.js';

export { ort };

export async function ortSession(graph: OnnxGraph, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeOnnxModel(graph), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

function single(node: OnnxNode, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[], initializers: OnnxTensor[]): OnnxGraph {
  return { nodes: [node], inputs, outputs, initializers };
}

/** Y[M,N] = X[M,K] * W[K,N], W constant. */
export function matMulGraph(m: number, k: number, n: number, w: Float32Array): OnnxGraph {
  return single(
    { opType: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] },
    [{ name: 'X', type: 'float', dims: [m, k] }],
    [{ name: 'Y', type: 'float', dims: [m, n] }],
    [{ name: 'W', type: 'float', dims: [k, n], data: w }],
  );
}

/** Y[M,N] int32 = (X - x_zp) * W, X uint8, W int8 constant. */
export function matMulIntegerGraph(m: number, k: number, n: number, w: Int8Array, xZeroPoint: number): OnnxGraph {
  return single(
    { opType: 'MatMulInteger', inputs: ['X', 'W', 'x_zp'], outputs: ['Y'] },
    [{ name: 'X', type: 'uint8', dims: [m, k] }],
    [{ name: 'Y', type: 'int32', dims: [m, n] }],
    [
      { name: 'W', type: 'int8', dims: [k, n], data: w },
      { name: 'x_zp', type: 'uint8', dims: [], data: Uint8Array.of(xZeroPoint) },
    ],
  );
}

export interface QLinearParams {
  xScale: number;
  xZeroPoint: number;
  /** One scale (per tensor) or N (per output column). */
  wScales: Float32Array;
  yScale: number;
  yZeroPoint: number;
}

/** W [K, N] and the scales and zero points (W's zero) of the quantized MatMul models, as initializers. */
function qlinearInitializers(k: number, n: number, w: Int8Array, p: QLinearParams): OnnxTensor[] {
  const wDims = p.wScales.length === 1 ? [] : [p.wScales.length];
  return [
    { name: 'x_s', type: 'float', dims: [], data: Float32Array.of(p.xScale) },
    { name: 'x_zp', type: 'uint8', dims: [], data: Uint8Array.of(p.xZeroPoint) },
    { name: 'W', type: 'int8', dims: [k, n], data: w },
    { name: 'w_s', type: 'float', dims: wDims, data: p.wScales },
    { name: 'w_zp', type: 'int8', dims: wDims, data: new Int8Array(p.wScales.length) },
    { name: 'y_s', type: 'float', dims: [], data: Float32Array.of(p.yScale) },
    { name: 'y_zp', type: 'uint8', dims: [], data: Uint8Array.of(p.yZeroPoint) },
  ];
}

/** Y[M,N] uint8 = requantize((X - x_zp) * W), X uint8, W int8 constant. */
export function qlinearMatMulGraph(m: number, k: number, n: number, w: Int8Array, p: QLinearParams): OnnxGraph {
  return single(
    { opType: 'QLinearMatMul', inputs: ['X', 'x_s', 'x_zp', 'W', 'w_s', 'w_zp', 'y_s', 'y_zp'], outputs: ['Y'] },
    [{ name: 'X', type: 'uint8', dims: [m, k] }],
    [{ name: 'Y', type: 'uint8', dims: [m, n] }],
    qlinearInitializers(k, n, w, p),
  );
}

/**
 * QLinearMatMul's computation as a QDQ model (what quantization tools export):
 * Y = QuantizeLinear(MatMul(DequantizeLinear(X), DequantizeLinear(W))), X and
 * Y uint8, W an int8 initializer with per-tensor or per-column (axis 1) scales.
 */
export function qdqMatMulGraph(m: number, k: number, n: number, w: Int8Array, p: QLinearParams): OnnxGraph {
  return {
    nodes: [
      { opType: 'DequantizeLinear', inputs: ['X', 'x_s', 'x_zp'], outputs: ['Xf'] },
      { opType: 'DequantizeLinear', inputs: ['W', 'w_s', 'w_zp'], outputs: ['Wf'], attributes: p.wScales.length > 1 ? { axis: 1 } : {} },
      { opType: 'MatMul', inputs: ['Xf', 'Wf'], outputs: ['Yf'] },
      { opType: 'QuantizeLinear', inputs: ['Yf', 'y_s', 'y_zp'], outputs: ['Y'] },
    ],
    inputs: [{ name: 'X', type: 'uint8', dims: [m, k] }],
    outputs: [{ name: 'Y', type: 'uint8', dims: [m, n] }],
    initializers: qlinearInitializers(k, n, w, p),
  };
}

/** Y uint8 = QuantizeLinear(X, scale, zp) over a flat tensor of `size` values. */
export function quantizeLinearGraph(size: number, scale: number, zeroPoint: number): OnnxGraph {
  return single(
    { opType: 'QuantizeLinear', inputs: ['X', 's', 'zp'], outputs: ['Y'] },
    [{ name: 'X', type: 'float', dims: [size] }],
    [{ name: 'Y', type: 'uint8', dims: [size] }],
    [
      { name: 's', type: 'float', dims: [], data: Float32Array.of(scale) },
      { name: 'zp', type: 'uint8', dims: [], data: Uint8Array.of(zeroPoint) },
    ],
  );
}

/** Y float = DequantizeLinear(X uint8, scale, zp) over a flat tensor of `size` values. */
export function dequantizeLinearGraph(size: number, scale: number, zeroPoint: number): OnnxGraph {
  return single(
    { opType: 'DequantizeLinear', inputs: ['X', 's', 'zp'], outputs: ['Y'] },
    [{ name: 'X', type: 'uint8', dims: [size] }],
    [{ name: 'Y', type: 'float', dims: [size] }],
    [
      { name: 's', type: 'float', dims: [], data: Float32Array.of(scale) },
      { name: 'zp', type: 'uint8', dims: [], data: Uint8Array.of(zeroPoint) },
    ],
  );
}
