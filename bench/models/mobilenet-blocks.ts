/**
 * MobileNet-style blocks as ONNX, built in code the way the two common
 * exporters write them, for the runtime tests and benchmarks:
 *
 * - pytorchBlocks: torch.onnx.export of a MobileNetV3 stage at opset 13/14:
 *   weights as initializers, Conv 1x1 expand + BN + HardSwish (opset 14; at
 *   13 torch writes x * HardSigmoid(x, alpha 1/6)), depthwise 3x3 + BN +
 *   ReLU, squeeze-excite (GlobalAveragePool, 1x1 reduce, ReLU, 1x1 expand,
 *   HardSigmoid, Mul), 1x1 project + BN, a residual Add in the stride-1
 *   block, then GlobalAveragePool, Flatten, Gemm (transB 1). `foldBn` writes
 *   the convs with BN folded in, as torch's eval-mode export does.
 * - paddleBlocks: Paddle2ONNX at opset 9/11: every weight a Constant node,
 *   ReLU6 as Clip (bounds as attributes at 9, Constant inputs at 11),
 *   HardSwish as x * Clip(x + 3, 0, 6) / 6, HardSigmoid with Paddle's
 *   slope 1/6 and offset 0.5, and a head of Transpose, Reshape to
 *   [batch, -1] (the shape computed by Shape -> Gather -> Unsqueeze ->
 *   Concat) and MatMul + Add.
 * - paddingBlocks / conv1dBlocks: auto_pad SAME_UPPER convs (odd and even
 *   kernels, stride 2), AveragePool with count_include_pad, and 1-D convs.
 *
 * Every model has a dynamic batch and dynamic spatial dims. Weights are
 * seeded; BN statistics are random but sane (variance in [0.5, 1.5)).
 */
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../src/runtime/onnx/write.js';
import { seededRandom } from './cifar-cnn.js';

interface ConvOptions {
  kernel?: number;
  stride?: number;
  group?: number;
  bias?: boolean;
  /** Explicit symmetric padding (default kernel / 2, floor), or an auto_pad mode. */
  pad?: number | 'SAME_UPPER';
  /** 1-D conv (inputs [N, C, W]). */
  oneD?: boolean;
}

/** Collects nodes and weights; weights go in as initializers or as Constant nodes (Paddle). */
class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly random: () => number;
  private count = 0;

  constructor(seed: number, private readonly constantNodes: boolean) {
    this.random = seededRandom(seed);
  }

  private fresh(base: string): string {
    return `${base}_${this.count++}`;
  }

  /** Adds a tensor the graph reads as a weight. */
  tensor(base: string, t: Omit<OnnxTensor, 'name'>): string {
    const name = this.fresh(base);
    const full = { ...t, name } as OnnxTensor;
    if (this.constantNodes) this.nodes.push({ opType: 'Constant', name: `${name}.const`, inputs: [], outputs: [name], attributes: { value: full } });
    else this.initializers.push(full);
    return name;
  }

  floats(base: string, dims: number[], generate: () => number): string {
    return this.tensor(base, { type: 'float', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, generate) });
  }

  int64(base: string, values: number[]): string {
    return this.tensor(base, { type: 'int64', dims: [values.length], data: BigInt64Array.from(values, BigInt) });
  }

  node(opType: string, inputs: string[], attributes: OnnxNode['attributes'] = {}, floatAttributes: string[] = []): string {
    const out = this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, name: `${out}.node`, inputs, outputs: [out], attributes, floatAttributes });
    return out;
  }

  conv(x: string, cin: number, cout: number, { kernel = 1, stride = 1, group = 1, bias = false, pad, oneD = false }: ConvOptions = {}): string {
    const spatial = oneD ? [kernel] : [kernel, kernel];
    const fanIn = (cin / group) * kernel ** spatial.length;
    const bound = Math.sqrt(6 / fanIn);
    const w = this.floats('conv.weight', [cout, cin / group, ...spatial], () => this.random() * bound);
    const inputs = [x, w];
    if (bias) inputs.push(this.floats('conv.bias', [cout], () => this.random() * 0.1));
    const p = pad ?? Math.floor(kernel / 2);
    const attributes: OnnxNode['attributes'] = { kernel_shape: spatial, strides: spatial.map(() => stride), group, dilations: spatial.map(() => 1) };
    if (p === 'SAME_UPPER') attributes.auto_pad = 'SAME_UPPER';
    else attributes.pads = [...spatial, ...spatial].map(() => p);
    return this.node('Conv', inputs, attributes);
  }

  batchNorm(x: string, c: number): string {
    const params = [
      this.floats('bn.weight', [c], () => 1 + 0.25 * this.random()),
      this.floats('bn.bias', [c], () => 0.2 * this.random()),
      this.floats('bn.running_mean', [c], () => 0.2 * this.random()),
      this.floats('bn.running_var', [c], () => 1 + 0.5 * this.random()),
    ];
    return this.node('BatchNormalization', [x, ...params], { epsilon: 1e-5, momentum: 0.9 }, ['epsilon', 'momentum']);
  }

  /** Conv + BN, or (foldBn) one Conv with a bias, as torch's eval export writes it. */
  convBn(x: string, cin: number, cout: number, options: ConvOptions, foldBn: boolean): string {
    return foldBn ? this.conv(x, cin, cout, { ...options, bias: true }) : this.batchNorm(this.conv(x, cin, cout, options), cout);
  }

  /** The model of the nodes and weights added so far. */
  graph(meta: Omit<OnnxGraph, 'nodes' | 'initializers'>): OnnxGraph {
    return { ...meta, nodes: this.nodes, initializers: this.initializers };
  }

  hardSigmoid(x: string): string {
    return this.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 }, ['alpha', 'beta']);
  }
}

export interface PytorchOptions {
  /** 13 (HardSwish written as x * HardSigmoid(x)) or 14 (HardSwish). */
  opset?: 13 | 14;
  /** Convs with BN folded in (torch's eval-mode export), no BatchNormalization nodes. */
  foldBn?: boolean;
  seed?: number;
}

export const MOBILENET_CHANNELS = 16;
export const MOBILENET_CLASSES = 10;

/** Squeeze-excite: x * HardSigmoid(expand(relu(reduce(GlobalAveragePool(x))))). */
function squeezeExcite(b: Builder, x: string, c: number): string {
  const pooled = b.node('GlobalAveragePool', [x]);
  const reduced = b.node('Relu', [b.conv(pooled, c, c / 4, { bias: true })]);
  return b.node('Mul', [x, b.hardSigmoid(b.conv(reduced, c / 4, c, { bias: true }))]);
}

/** A MobileNetV3 stage exported by PyTorch; input ['batch', 16, 'h', 'w'], output logits ['batch', 10]. */
export function pytorchBlocks(options: PytorchOptions = {}): OnnxGraph {
  const opset = options.opset ?? 13;
  const fold = options.foldBn ?? false;
  const b = new Builder(options.seed ?? 3, false);
  const hardSwish = (x: string) => (opset >= 14 ? b.node('HardSwish', [x]) : b.node('Mul', [x, b.hardSigmoid(x)]));
  const block = (x: string, cin: number, expand: number, cout: number, stride: number): string => {
    let y = hardSwish(b.convBn(x, cin, expand, {}, fold));
    y = b.node('Relu', [b.convBn(y, expand, expand, { kernel: 3, stride, group: expand }, fold)]);
    y = b.convBn(squeezeExcite(b, y, expand), expand, cout, {}, fold);
    return stride === 1 && cin === cout ? b.node('Add', [x, y]) : y;
  };
  let x = block('input', MOBILENET_CHANNELS, 32, MOBILENET_CHANNELS, 1);
  x = block(x, MOBILENET_CHANNELS, 48, 24, 2);
  const flat = b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: 1 });
  const w = b.floats('classifier.weight', [MOBILENET_CLASSES, 24], () => b.random() * 0.5);
  const bias = b.floats('classifier.bias', [MOBILENET_CLASSES], () => b.random() * 0.1);
  b.nodes.push({ opType: 'Gemm', name: 'classifier', inputs: [flat, w, bias], outputs: ['logits'], attributes: { alpha: 1, beta: 1, transB: 1 }, floatAttributes: ['alpha', 'beta'] });
  return b.graph({
    name: `mobilenet-pytorch-opset${opset}`,
    producer: { name: 'pytorch', version: '2.3.0' },
    inputs: [{ name: 'input', type: 'float', dims: ['batch', MOBILENET_CHANNELS, 'h', 'w'] }],
    outputs: [{ name: 'logits', type: 'float', dims: ['batch', MOBILENET_CLASSES] }],
    opset,
  });
}

export interface PaddleOptions {
  /** 9 (Clip bounds as attributes, Unsqueeze axes as an attribute) or 11 (Clip bounds as inputs). */
  opset?: 9 | 11;
  seed?: number;
}

/** A MobileNetV3 stage exported by Paddle2ONNX; input ['batch', 16, 'h', 'w'] (named x), output ['batch', 10]. */
export function paddleBlocks(options: PaddleOptions = {}): OnnxGraph {
  const opset = options.opset ?? 11;
  const b = new Builder(options.seed ?? 5, true);
  const scalar = (name: string, v: number) => b.tensor(name, { type: 'float', dims: [], data: Float32Array.of(v) });
  const clip = (x: string, lo: number, hi: number) =>
    opset >= 11 ? b.node('Clip', [x, scalar('clip.min', lo), scalar('clip.max', hi)]) : b.node('Clip', [x], { min: lo, max: hi }, ['min', 'max']);
  const hardSwish = (x: string) => b.node('Div', [b.node('Mul', [x, clip(b.node('Add', [x, scalar('hs.offset', 3)]), 0, 6)]), scalar('hs.scale', 6)]);
  const block = (x: string, cin: number, expand: number, cout: number, stride: number): string => {
    let y = hardSwish(b.batchNorm(b.conv(x, cin, expand), expand));
    y = clip(b.batchNorm(b.conv(y, expand, expand, { kernel: 3, stride, group: expand }), expand), 0, 6);
    y = b.batchNorm(b.conv(squeezeExcite(b, y, expand), expand, cout), cout);
    return stride === 1 && cin === cout ? b.node('Add', [x, y]) : y;
  };
  let x = block('x', MOBILENET_CHANNELS, 32, MOBILENET_CHANNELS, 1);
  x = block(x, MOBILENET_CHANNELS, 48, 24, 2);
  // NCHW -> NHWC, then [batch, -1] with the batch read from the tensor's shape.
  const nhwc = b.node('Transpose', [b.node('GlobalAveragePool', [x])], { perm: [0, 2, 3, 1] });
  const batch = b.node('Gather', [b.node('Shape', [nhwc]), b.tensor('gather.index', { type: 'int64', dims: [], data: BigInt64Array.of(0n) })], { axis: 0 });
  const shape = b.node('Concat', [b.node('Unsqueeze', [batch], { axes: [0] }), b.int64('reshape.rest', [-1])], { axis: 0 });
  const flat = b.node('Reshape', [nhwc, shape]);
  const w = b.floats('linear.weight', [24, MOBILENET_CLASSES], () => b.random() * 0.5);
  const mm = b.node('MatMul', [flat, w]);
  b.nodes.push({ opType: 'Add', name: 'linear.add', inputs: [mm, b.floats('linear.bias', [MOBILENET_CLASSES], () => b.random() * 0.1)], outputs: ['save_infer_model/scale_0.tmp_0'] });
  return b.graph({
    name: `mobilenet-paddle-opset${opset}`,
    producer: { name: 'PaddlePaddle', version: '2.5.0' },
    inputs: [{ name: 'x', type: 'float', dims: ['batch', MOBILENET_CHANNELS, 'h', 'w'] }],
    outputs: [{ name: 'save_infer_model/scale_0.tmp_0', type: 'float', dims: ['batch', MOBILENET_CLASSES] }],
    opset,
  });
}

/**
 * auto_pad and pooling edge cases on 2-D maps; input ['batch', 8, 'h', 'w']:
 * Conv 3x3 stride 2 SAME_UPPER (odd input sizes pad more at the end),
 * HardSwish, Conv 4x4 stride 1 SAME_UPPER (even kernel: pads 1 then 2),
 * depthwise 3x3 SAME_UPPER, AveragePool 3x3 stride 2 pads 1 with
 * count_include_pad, AveragePool 2x2 without.
 */
export function paddingBlocks(seed = 7): OnnxGraph {
  const b = new Builder(seed, false);
  let x = b.node('HardSwish', [b.conv('input', 8, 12, { kernel: 3, stride: 2, pad: 'SAME_UPPER', bias: true })]);
  x = b.node('Relu', [b.conv(x, 12, 12, { kernel: 4, pad: 'SAME_UPPER', bias: true })]);
  x = b.batchNorm(b.conv(x, 12, 12, { kernel: 3, group: 12, pad: 'SAME_UPPER' }), 12);
  x = b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
  b.nodes.push({ opType: 'AveragePool', name: 'last_pool', inputs: [x], outputs: ['output'], attributes: { kernel_shape: [2, 2], strides: [1, 1] } });
  return b.graph({
    name: 'padding-blocks',
    inputs: [{ name: 'input', type: 'float', dims: ['batch', 8, 'h', 'w'] }],
    outputs: [{ name: 'output', type: 'float', dims: ['batch', 12, null, null] }],
    // HardSwish is an opset-14 operator.
    opset: 14,
  });
}

/**
 * 1-D convs on ['batch', 8, 'length']: Conv1d k5 stride 2 SAME_UPPER (bias),
 * BN, ReLU, depthwise Conv1d k3 pads 1, AveragePool1d k3 pads 1 with
 * count_include_pad, pointwise Conv1d.
 */
export function conv1dBlocks(seed = 11): OnnxGraph {
  const b = new Builder(seed, false);
  let x = b.node('Relu', [b.batchNorm(b.conv('input', 8, 16, { kernel: 5, stride: 2, pad: 'SAME_UPPER', bias: true, oneD: true }), 16)]);
  x = b.conv(x, 16, 16, { kernel: 3, group: 16, oneD: true });
  x = b.node('AveragePool', [x], { kernel_shape: [3], strides: [1], pads: [1, 1], count_include_pad: 1 });
  const w = b.floats('pointwise.weight', [6, 16, 1], () => b.random() * 0.5);
  b.nodes.push({ opType: 'Conv', name: 'pointwise', inputs: [x, w], outputs: ['output'], attributes: { kernel_shape: [1] } });
  return b.graph({
    name: 'conv1d-blocks',
    inputs: [{ name: 'input', type: 'float', dims: ['batch', 8, 'length'] }],
    outputs: [{ name: 'output', type: 'float', dims: ['batch', 6, null] }],
    opset: 13,
  });
}

/**
 * A MobileNetV1-style net for 3-channel images, ['batch', 3, 'h', 'w'] ->
 * ['batch', 10], that downsamples by 32 with MaxPools between its
 * depthwise-separable blocks, as CIFAR ports of ImageNet nets often do: stem
 * Conv 3x3/2 + BN + ReLU6; then blocks (depthwise 3x3 + BN + ReLU, pointwise
 * 1x1 + ReLU) with MaxPool 2x2/2 after the first, MaxPool 3x3/2 pads 1
 * after the second (a stride-2 block), MaxPool 2x2/2 after the third and
 * fourth; AveragePool 2x2/2 with count_include_pad; GlobalAveragePool,
 * Flatten, Gemm. At 32x32 the map is 1x1 before the last two pools, whose
 * windows are then larger than their input: onnxruntime pools what they
 * cover (one output) rather than rejecting the node.
 */
export function downsamplingBlocks(seed = 13): OnnxGraph {
  const b = new Builder(seed, false);
  const relu6 = (x: string) => b.node('Clip', [x, b.floats('relu6.min', [], () => 0), b.floats('relu6.max', [], () => 6)]);
  const block = (x: string, cin: number, cout: number, stride: number): string => {
    const depthwise = b.node('Relu', [b.batchNorm(b.conv(x, cin, cin, { kernel: 3, stride, group: cin }), cin)]);
    return b.node('Relu', [b.conv(depthwise, cin, cout, { bias: true })]);
  };
  const maxPool = (x: string, kernel: number, pad = 0) => b.node('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [2, 2], pads: [pad, pad, pad, pad] });
  let x = relu6(b.batchNorm(b.conv('input', 3, 16, { kernel: 3, stride: 2 }), 16));
  x = maxPool(block(x, 16, 24, 1), 2);
  x = maxPool(block(x, 24, 32, 2), 3, 1);
  x = maxPool(block(x, 32, 48, 1), 2);
  x = maxPool(block(x, 48, 64, 1), 2);
  x = b.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], count_include_pad: 1 });
  const flat = b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: 1 });
  const w = b.floats('classifier.weight', [MOBILENET_CLASSES, 64], () => b.random() * 0.5);
  const bias = b.floats('classifier.bias', [MOBILENET_CLASSES], () => b.random() * 0.1);
  b.nodes.push({ opType: 'Gemm', name: 'classifier', inputs: [flat, w, bias], outputs: ['logits'], attributes: { transB: 1 } });
  return b.graph({
    name: 'downsampling-blocks',
    inputs: [{ name: 'input', type: 'float', dims: ['batch', 3, 'h', 'w'] }],
    outputs: [{ name: 'logits', type: 'float', dims: ['batch', MOBILENET_CLASSES] }],
    opset: 13,
  });
}
