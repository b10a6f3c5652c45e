/**
 * The models the ONNX fuzzer mutates: the test fixtures that build CNNs
 * (small input sizes, so a mutant runs in milliseconds), the Fashion-MNIST
 * example's student models (real exports, fp32 and QDQ int8) and small
 * hand-built graphs that reach the operators the CNNs do not (shape
 * arithmetic, QDQ elementwise tails, the integer operators). Each seed says
 * what its symbolic dims are fed with.
 */
import { readFileSync } from 'node:fs';

import { encodeOnnxModel, type OnnxGraph, type OnnxTensor } from '../../../src/runtime/onnx/write.js';
import { cifarCnn } from '../../fixtures/cifar-cnn.js';
import { conv1dBlocks, groupedBlocks, paddingBlocks, pytorchBlocks, paddleBlocks } from '../../fixtures/mobilenet-blocks.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** The size each symbolic dim (dim_param) of the inputs is fed with. */
  symbols: Readonly<Record<string, number>>;
}

const f32 = (name: string, dims: number[], values: number[]): OnnxTensor => ({ name, type: 'float', dims, data: Float32Array.from(values) });
const i64 = (name: string, dims: number[], values: number[]): OnnxTensor => ({ name, type: 'int64', dims, data: BigInt64Array.from(values, BigInt) });
const u8 = (name: string, v: number): OnnxTensor => ({ name, type: 'uint8', dims: [], data: Uint8Array.of(v) });
const i8 = (name: string, dims: number[], values: number[]): OnnxTensor => ({ name, type: 'int8', dims, data: Int8Array.from(values) });
const ramp = (n: number, scale: number) => Array.from({ length: n }, (_, i) => ((i * 7) % 13 - 6) * scale);

/** Shape arithmetic as exporters write it: Shape, Gather, Unsqueeze, Concat, Reshape, Slice, Transpose, ConstantOfShape, Range, Cast. */
function shapeOps(): OnnxGraph {
  return {
    name: 'shape-ops',
    nodes: [
      { opType: 'Shape', inputs: ['x'], outputs: ['shape'] },
      { opType: 'Gather', inputs: ['shape', 'zero'], outputs: ['batch'], attributes: { axis: 0 } },
      { opType: 'Unsqueeze', inputs: ['batch', 'axes0'], outputs: ['batch1'] },
      { opType: 'Concat', inputs: ['batch1', 'minus1'], outputs: ['flat_shape'], attributes: { axis: 0 } },
      { opType: 'Reshape', inputs: ['x', 'flat_shape'], outputs: ['flat'] },
      { opType: 'Slice', inputs: ['flat', 'starts', 'ends', 'axes1', 'steps'], outputs: ['sliced'] },
      { opType: 'Transpose', inputs: ['x'], outputs: ['xt'], attributes: { perm: [0, 2, 3, 1] } },
      { opType: 'Flatten', inputs: ['xt'], outputs: ['xt_flat'], attributes: { axis: 1 } },
      { opType: 'ConstantOfShape', inputs: ['pad_shape'], outputs: ['pad'], attributes: { value: f32('v', [1], [0.5]) } },
      { opType: 'Range', inputs: ['r0', 'r1', 'r2'], outputs: ['range'] },
      { opType: 'Cast', inputs: ['range'], outputs: ['range_f'], attributes: { to: 1 } },
      { opType: 'Add', inputs: ['sliced', 'range_f'], outputs: ['sum'] },
      { opType: 'Concat', inputs: ['sum', 'xt_flat'], outputs: ['joined'], attributes: { axis: 1 } },
      { opType: 'Squeeze', inputs: ['pad', 'axes0'], outputs: ['pad_row'] },
      { opType: 'Mul', inputs: ['joined', 'pad_row'], outputs: ['scaled'] },
      { opType: 'Softmax', inputs: ['scaled'], outputs: ['y'], attributes: { axis: 1 } },
    ],
    initializers: [
      i64('zero', [], [0]), i64('axes0', [1], [0]), i64('minus1', [1], [-1]),
      i64('starts', [1], [1]), i64('ends', [1], [9]), i64('axes1', [1], [1]), i64('steps', [1], [2]),
      i64('pad_shape', [2], [1, 16]), i64('r0', [], [0]), i64('r1', [], [4]), i64('r2', [], [1]),
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['n', 2, 2, 3] }],
    outputs: [{ name: 'y', type: 'float', dims: ['n', 16] }],
    opset: 13,
  };
}

/** A QDQ tail: Q/DQ around Add, Mul, Sigmoid, GlobalAveragePool and a DQ'd int8 MatMul, which the passes fuse into integer nodes. */
function qdqTail(): OnnxGraph {
  const qdq = (from: string, p: string) => [
    { opType: 'QuantizeLinear', inputs: [from, `${p}.scale`, `${p}.zp`], outputs: [`${p}.q`] },
    { opType: 'DequantizeLinear', inputs: [`${p}.q`, `${p}.scale`, `${p}.zp`], outputs: [`${p}.dq`] },
  ];
  const params = (p: string, scale: number, zp: number) => [f32(`${p}.scale`, [], [scale]), u8(`${p}.zp`, zp)];
  return {
    name: 'qdq-tail',
    nodes: [
      ...qdq('x', 'a'), ...qdq('y', 'b'),
      { opType: 'Add', inputs: ['a.dq', 'b.dq'], outputs: ['sum'] }, ...qdq('sum', 's'),
      { opType: 'Mul', inputs: ['s.dq', 'a.dq'], outputs: ['prod'] }, ...qdq('prod', 'p'),
      { opType: 'Sigmoid', inputs: ['p.dq'], outputs: ['sig'] }, ...qdq('sig', 'g'),
      { opType: 'GlobalAveragePool', inputs: ['g.dq'], outputs: ['gap'] }, ...qdq('gap', 'v'),
      { opType: 'Flatten', inputs: ['v.dq'], outputs: ['flat'], attributes: { axis: 1 } },
      { opType: 'DequantizeLinear', inputs: ['w.q', 'w.scale'], outputs: ['w.dq'] },
      { opType: 'MatMul', inputs: ['flat', 'w.dq'], outputs: ['z'] },
    ],
    initializers: [
      ...params('a', 0.05, 128), ...params('b', 0.04, 120), ...params('s', 0.08, 128), ...params('p', 0.1, 100),
      ...params('g', 1 / 255, 0), ...params('v', 1 / 255, 0), i8('w.q', [4, 3], ramp(12, 9)), f32('w.scale', [], [0.02]),
    ],
    inputs: [{ name: 'x', type: 'float', dims: ['n', 4, 3, 3] }, { name: 'y', type: 'float', dims: ['n', 4, 3, 3] }],
    outputs: [{ name: 'z', type: 'float', dims: ['n', 3] }],
    opset: 13,
  };
}

/** The integer operators as quantization tools write them: QLinearConv, MatMulInteger, QLinearMatMul, ConvInteger. */
function integerOps(): OnnxGraph {
  return {
    name: 'integer-ops',
    nodes: [
      { opType: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['c'], attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
      { opType: 'ConvInteger', inputs: ['c', 'w2', 'yz', 'w2z'], outputs: ['ci'], attributes: { kernel_shape: [1, 1], group: 2 } },
      { opType: 'Flatten', inputs: ['c'], outputs: ['cf'], attributes: { axis: 1 } },
      { opType: 'MatMulInteger', inputs: ['cf', 'm', 'yz', 'mz'], outputs: ['mi'] },
      { opType: 'QLinearMatMul', inputs: ['cf', 'ys', 'yz', 'm', 'ms', 'mz', 'os', 'oz'], outputs: ['q'] },
    ],
    initializers: [
      f32('xs', [], [0.03]), u8('xz', 128), i8('w', [4, 2, 3, 3], ramp(72, 11)), f32('ws', [4], [0.01, 0.02, 0.015, 0.03]), i8('wz', [4], [0, 0, 0, 0]),
      f32('ys', [], [0.05]), u8('yz', 120), { name: 'b', type: 'int32', dims: [4], data: Int32Array.of(100, -50, 0, 7) },
      i8('w2', [2, 2, 1, 1], [3, -4, 5, 6]), i8('w2z', [], [0]),
      i8('m', [16, 3], ramp(48, 5)), i8('mz', [], [0]), f32('ms', [], [0.02]), f32('os', [], [0.1]), u8('oz', 128),
    ],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, 2, 4, 4] }],
    outputs: [{ name: 'ci', type: 'int32', dims: null }, { name: 'mi', type: 'int32', dims: null }, { name: 'q', type: 'uint8', dims: null }],
    opset: 13,
  };
}

/** Every seed, encoded. */
export function seeds(): Seed[] {
  const model = (name: string) => readFileSync(new URL(`../../../examples/fashion-mnist/models/${name}`, import.meta.url));
  const small = { batch: 1, h: 8, w: 8, n: 2, length: 9 };
  return [
    { name: 'cifar-cnn', bytes: encodeOnnxModel(cifarCnn({ image: [2, 18, 18], seed: 3 })), symbols: { batch: 2 } },
    { name: 'mobilenet-pytorch', bytes: encodeOnnxModel(pytorchBlocks({ opset: 14 })), symbols: small },
    { name: 'mobilenet-paddle', bytes: encodeOnnxModel(paddleBlocks()), symbols: small },
    { name: 'padding-blocks', bytes: encodeOnnxModel(paddingBlocks()), symbols: small },
    { name: 'conv1d-blocks', bytes: encodeOnnxModel(conv1dBlocks()), symbols: small },
    { name: 'grouped-blocks', bytes: encodeOnnxModel(groupedBlocks()), symbols: small },
    { name: 'shape-ops', bytes: encodeOnnxModel(shapeOps()), symbols: small },
    { name: 'qdq-tail', bytes: encodeOnnxModel(qdqTail()), symbols: small },
    { name: 'integer-ops', bytes: encodeOnnxModel(integerOps()), symbols: small },
    { name: 'student-fp32', bytes: model('student-fp32.onnx'), symbols: { batch: 1 } },
    { name: 'student-int8', bytes: model('student-int8.onnx'), symbols: { batch: 1 } },
  ];
}
