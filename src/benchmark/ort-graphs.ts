/**
 * The onnxruntime-node baselines of `sparq bench`: one small model per
 * kernel, weights as initializers (so onnxruntime prepacks them, as it would
 * in a real model), on a fixed thread count. onnxruntime is passed in, not
 * imported, so shipped code loads it only when it runs (compare/ort.ts).
 */
import { ortSessionOptions, type Ort, type OrtSession } from '../runtime/compare/ort.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../runtime/onnx/write.js';

/** A session on `graph` with `threads` intra-op threads, on onnxruntime's CPU or WebGPU execution provider. */
export function ortSession(ort: Ort, graph: OnnxGraph, threads: number, provider: 'cpu' | 'webgpu' = 'cpu'): Promise<OrtSession> {
  return ort.InferenceSession.create(encodeOnnxModel(graph), { ...ortSessionOptions(threads), executionProviders: [provider], graphOptimizationLevel: 'all' });
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

/** One QuantizeLinear (float -> uint8) or DequantizeLinear (uint8 -> float) node over a flat tensor of `size` values. */
function linearQuantGraph(opType: 'QuantizeLinear' | 'DequantizeLinear', size: number, scale: number, zeroPoint: number): OnnxGraph {
  const [xType, yType] = opType === 'QuantizeLinear' ? (['float', 'uint8'] as const) : (['uint8', 'float'] as const);
  return single(
    { opType, inputs: ['X', 's', 'zp'], outputs: ['Y'] },
    [{ name: 'X', type: xType, dims: [size] }],
    [{ name: 'Y', type: yType, dims: [size] }],
    [
      { name: 's', type: 'float', dims: [], data: Float32Array.of(scale) },
      { name: 'zp', type: 'uint8', dims: [], data: Uint8Array.of(zeroPoint) },
    ],
  );
}

/** Y uint8 = QuantizeLinear(X, scale, zp) over a flat tensor of `size` values. */
export function quantizeLinearGraph(size: number, scale: number, zeroPoint: number): OnnxGraph {
  return linearQuantGraph('QuantizeLinear', size, scale, zeroPoint);
}

/** Y float = DequantizeLinear(X uint8, scale, zp) over a flat tensor of `size` values. */
export function dequantizeLinearGraph(size: number, scale: number, zeroPoint: number): OnnxGraph {
  return linearQuantGraph('DequantizeLinear', size, scale, zeroPoint);
}

/** The int8 conv models' quantization: x and y scales and zero points, and the weights' per-tensor scale. */
export interface QConvParams {
  xScale: number;
  xZeroPoint: number;
  wScale: number;
  yScale: number;
  yZeroPoint: number;
}

const POOL_2X2 = { kernel_shape: [2, 2], strides: [2, 2] };

/** Conv 3x3 (no padding) + bias + Relu (+ MaxPool 2x2 stride 2 when `pooled`) on x [n, c, h, h]: the CIFAR-10 CNN's layers. */
export function convGraph(n: number, c: number, h: number, oc: number, pooled: boolean, w: Float32Array, bias: Float32Array): OnnxGraph {
  const nodes: OnnxNode[] = [
    { opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { kernel_shape: [3, 3] } },
    { opType: 'Relu', inputs: ['c'], outputs: [pooled ? 'r' : 'y'] },
  ];
  if (pooled) nodes.push({ opType: 'MaxPool', inputs: ['r'], outputs: ['y'], attributes: POOL_2X2 });
  return {
    nodes,
    inputs: [{ name: 'x', type: 'float', dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type: 'float', dims: null }],
    initializers: [{ name: 'w', type: 'float', dims: [oc, c, 3, 3], data: w }, { name: 'b', type: 'float', dims: [oc], data: bias }],
  };
}

/** QLinearConv 3x3 (+ MaxPool on the uint8 values when `pooled`) on uint8 x; Relu is the output range [y zero point, 255]. */
export function qconvGraph(n: number, c: number, h: number, oc: number, pooled: boolean, w: Int8Array, p: QConvParams): OnnxGraph {
  const scalar = (name: string, type: 'float' | 'uint8' | 'int8', v: number): OnnxTensor =>
    ({ name, type, dims: [], data: type === 'float' ? Float32Array.of(v) : type === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v) });
  const nodes: OnnxNode[] = [{ opType: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: [pooled ? 'c' : 'y'], attributes: { kernel_shape: [3, 3] } }];
  if (pooled) nodes.push({ opType: 'MaxPool', inputs: ['c'], outputs: ['y'], attributes: POOL_2X2 });
  return {
    opset: 13,
    nodes,
    inputs: [{ name: 'x', type: 'uint8', dims: [n, c, h, h] }],
    outputs: [{ name: 'y', type: 'uint8', dims: null }],
    initializers: [scalar('xs', 'float', p.xScale), scalar('xz', 'uint8', p.xZeroPoint), { name: 'w', type: 'int8', dims: [oc, c, 3, 3], data: w },
      scalar('ws', 'float', p.wScale), scalar('wz', 'int8', 0), scalar('ys', 'float', p.yScale), scalar('yz', 'uint8', p.yZeroPoint)],
  };
}
