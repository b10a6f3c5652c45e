/**
 * Conv2d (ONNX Conv, group 1) for the trainer, on NHWC images with the
 * weight in ONNX's layout [OC, C, KH, KW]. With W' the weight as GEMM rows
 * (kh, kw, c) by OC columns and col = im2col(x) (x32-im2col's NHWC rows, one
 * per output pixel, M = N * outH * outW of them), all on cpu's kernels:
 *   y     = col * W' + b        (col kept for backward)
 *   dW'   = col^T * dy          (col transposed, dy packed as GEMM weights;
 *   db    = 1^T * dy             a row of ones under col^T: one GEMM gives both)
 * or, where OC > KH*KW*C (a stem: col is the smaller matrix to pack),
 *   dW'^T = dy^T * col, db = dy^T * 1   (dy transposed, col packed)
 *   dcol  = dy * W'^T
 *   dx    = col2im(dcol)        (f32-col2im, im2col's adjoint)
 * (dcol and dx skipped where nothing reads dx: a network's first layer).
 * A 1x1 stride-1 unpadded conv has col = x and dx = dcol: no im2col or
 * col2im. Forward lays col out rather than running f32-conv2d-nhwc
 * (planConv2dNhwc, no col in memory) because backward needs col anyway: on
 * the seed CNN's convs at batch 128 the shifted GEMM saved at most 10% of
 * im2col + GEMM (64 channels) and took 2.4x as long on the 1-channel stem.
 * Weights are repacked every forward (they change every step).
 */
import { planCol2imNhwc, type Col2imNhwcPlan } from '../../../backends/cpu/col2im.js';
import { gemm } from '../../../backends/cpu/gemm.js';
import { planIm2colNhwc, type Im2colNhwcPlan } from '../../../backends/cpu/im2col.js';
import { packWeights, type PackedWeights } from '../../../backends/cpu/pack.js';
import { planTranspose, type TransposePlan } from '../../../backends/cpu/transpose.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { checkBoolean, checkInt, checkOneOf, fail } from '../../../validate.js';
import { param, type Layer, type Mode, type Param } from '../layer.js';
import { matmul } from '../matmul.js';
import { initWeights, Random, seedOf, type Init } from '../random.js';
import { checkGradDims, checkName, checkOptions, checkSize, needForward, view } from './common.js';
import { checkImages, checkWindow, weightWindow, windowArgs, windowAttributes, windowOutput, type Window, type WindowOptions } from './conv-window.js';

/** The plans of one input shape. */
interface Shape {
  readonly key: string;
  readonly dims: readonly [number, number, number, number];
  /** Output pixels (GEMM rows) and taps * channels (GEMM depth). */
  readonly m: number;
  readonly k: number;
  /** Null for a 1x1 stride-1 unpadded conv, whose col is x itself. */
  readonly im2col: Im2colNhwcPlan | null;
  readonly col2im: Col2imNhwcPlan | null;
  /** Whether dW is dy^T * col (col packed) rather than col^T * dy (dy packed): packing moves the larger share of the bytes. */
  readonly packCol: boolean;
  /** Transposes col [M, K], or dy [M, OC] where packCol. */
  readonly transpose: TransposePlan<'float32'>;
  /** M ones packed as a [M, 1] GEMM operand: db = dy^T * 1 where packCol (and the layer has a bias). */
  readonly ones: PackedWeights | null;
}

// Scratch slots.
const W_ROWS = 0, W_COLS = 1, Y = 2, COL = 3, COL_T = 4, DW = 5, DCOL = 6, DX = 7, DY_T = 8;

export class Conv2d implements Layer {
  readonly kind = 'Conv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly window: Window;
  private readonly scratch = new ScratchArrays();
  private shape: Shape | undefined;
  private x: Tensor<'float32'> | undefined;

  /**
   * A convolution on existing params: weight [OC, C, KH, KW] (its KH and KW
   * must be options.kernelShape's when given), bias [OC] or none.
   * @throws TypeError/RangeError naming the bad argument.
   */
  constructor(readonly weight: Param, readonly bias: Param | undefined, options: Omit<WindowOptions, 'kernelShape'> & { kernelShape?: WindowOptions['kernelShape'] } = {}) {
    if (weight.dims.length !== 4 || weight.dims.some((d) => !(d >= 1))) fail('weight.dims', `must be [OC, C, KH, KW], got [${weight.dims}]`);
    const [oc, c, kh, kw] = weight.dims;
    this.window = weightWindow(options, kh, kw);
    if (bias && (bias.dims.length !== 1 || bias.dims[0] !== oc)) fail('bias.dims', `must be [${oc}], got [${bias.dims}]`);
    this.inChannels = c;
    this.outChannels = oc;
  }

  private get label(): string {
    return `Conv ${this.weight.name}`;
  }

  outputDims(input: readonly number[]): number[] {
    if (input.length === 4 && input[3] !== this.inChannels) fail(this.label, `takes [N, H, W, ${this.inChannels}], got [${input}]`);
    return [...windowOutput(this.label, this.window, input), this.outChannels];
  }

  private shapeFor(dims: readonly number[]): Shape {
    const key = dims.join(',');
    if (this.shape?.key === key) return this.shape;
    const [n, oh, ow] = windowOutput(this.label, this.window, dims);
    const { kernel, strides, pads } = this.window;
    const pointwise = kernel[0] === 1 && kernel[1] === 1 && strides[0] === 1 && strides[1] === 1 && pads.every((p) => p === 0);
    const m = n * oh * ow, k = kernel[0] * kernel[1] * this.inChannels, oc = this.outChannels;
    const args = windowArgs(this.window), packCol = k < oc;
    this.shape?.ones?.dispose();
    return (this.shape = {
      key, dims: dims as Shape['dims'], m, k, packCol,
      im2col: pointwise ? null : planIm2colNhwc({ type: 'float32', dims }, args),
      col2im: pointwise ? null : planCol2imNhwc(dims, args),
      transpose: planTranspose({ type: 'float32', dims: [m, packCol ? oc : k] }),
      ones: packCol && this.bias && m > 0 ? packWeights(view(new Float32Array(m).fill(1), [m, 1])) : null,
    });
  }

  /** W' [KH*KW*C, OC] (rows (kh, kw, c)) and its transpose [OC, KH*KW*C] from the ONNX-layout weight. */
  private weightRows(transposed: boolean): Float32Array {
    const [oc, c, kh, kw] = this.weight.dims;
    const k = kh * kw * c, w = this.weight.value;
    const out = this.scratch.get(transposed ? W_COLS : W_ROWS, 'float32', k * oc);
    for (let o = 0, i = 0; o < oc; o++)
      for (let ch = 0; ch < c; ch++)
        for (let t = 0; t < kh * kw; t++, i++) out[transposed ? o * k + t * c + ch : (t * c + ch) * oc + o] = w[i];
    return out;
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const dims = checkImages(this.label, x, this.inChannels);
    const s = this.shapeFor(dims), oc = this.outChannels;
    const col = s.im2col ? this.scratch.get(COL, 'float32', s.m * s.k) : x.data;
    s.im2col?.run(x.data, col);
    const y = this.scratch.get(Y, 'float32', s.m * oc);
    matmul(view(col, [s.m, s.k]), view(this.weightRows(false), [s.k, oc]), y, this.bias?.value);
    this.x = mode === 'train' ? x : undefined;
    return view(y, [...this.outputDims(dims)]);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'>;
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined;
  backward(dy: Tensor<'float32'>, needInputGrad = true): Tensor<'float32'> | undefined {
    const x = needForward(this.x, this.label), s = this.shape!, oc = this.outChannels;
    checkGradDims(this.label, dy, this.outputDims(x.dims));
    const col = s.im2col ? this.scratch.get(COL, 'float32', s.m * s.k) : x.data; // as forward laid it out
    const dw = this.scratch.get(DW, 'float32', (s.k + 1) * oc);
    if (s.packCol) {
      const dyT = this.scratch.get(DY_T, 'float32', oc * s.m);
      s.transpose.run(dy.data, dyT);
      matmul(view(dyT, [oc, s.m]), view(col, [s.m, s.k]), dw.subarray(0, oc * s.k));
      if (s.ones) gemm(view(dyT, [oc, s.m]), s.ones, { out: dw.subarray(oc * s.k) });
    } else {
      const colT = this.scratch.get(COL_T, 'float32', (s.k + 1) * s.m);
      s.transpose.run(col, colT.subarray(0, s.k * s.m));
      colT.fill(1, s.k * s.m);
      matmul(view(colT, [s.k + 1, s.m]), view(dy.data, [s.m, oc]), dw);
    }
    this.addWeightGradient(dw, s.packCol);
    if (!needInputGrad) return undefined;
    const dx = this.scratch.get(DX, 'float32', x.data.length);
    const dcol = s.col2im ? this.scratch.get(DCOL, 'float32', s.m * s.k) : dx;
    matmul(view(dy.data, [s.m, oc]), view(this.weightRows(true), [oc, s.k]), dcol);
    s.col2im?.run(dcol, dx);
    return view(dx, x.dims);
  }

  /**
   * Adds dW' ([KH*KW*C, OC], rows (kh, kw, c); `transposed`: [OC, KH*KW*C]) and
   * then db (OC values) into the params' ONNX-layout grads.
   */
  private addWeightGradient(dw: Float32Array, transposed: boolean): void {
    const [oc, c, kh, kw] = this.weight.dims;
    const taps = kh * kw, k = taps * c, grad = this.weight.grad;
    for (let o = 0, i = 0; o < oc; o++)
      for (let ch = 0; ch < c; ch++)
        for (let t = 0; t < taps; t++, i++) grad[i] += dw[transposed ? o * k + t * c + ch : (t * c + ch) * oc + o];
    if (this.bias) for (let o = 0, row = taps * c * oc; o < oc; o++) this.bias.grad[o] += dw[row + o];
  }

  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    const inputs = this.bias ? [input, this.weight.name, this.bias.name] : [input, this.weight.name];
    return [{ opType: 'Conv', name: this.weight.name.replace(/\.weight$/, ''), inputs, outputs: [output], attributes: { ...windowAttributes(this.window), group: 1 } }];
  }
}

/** A fresh layer's params: names, bias, initialization. */
export interface ConvInitOptions {
  /** Names the params '<name>.weight' and '<name>.bias' (default 'conv'); unique within a network. */
  name?: string;
  /** Whether the layer adds a bias (default true). */
  bias?: boolean;
  /** 'he' (default) or 'glorot' uniform weights; biases start at 0. */
  init?: Init;
  /** Seed of the initial weights (default: a hash of the name). */
  seed?: number;
}

export type Conv2dOptions = WindowOptions & ConvInitOptions;

/** The params of a fresh conv layer: weight of `dims` (fan-in and fan-out as given), bias of dims[0] values or none. */
export function freshConvParams(options: ConvInitOptions, dims: readonly number[], fanIn: number, fanOut: number): [Param, Param | undefined] {
  const { name: given, bias = true, init = 'he', seed } = options;
  const name = checkName(given, 'conv');
  checkBoolean('options.bias', bias);
  checkOneOf('options.init', init, ['he', 'glorot']);
  const random = new Random(seed === undefined ? seedOf(name) : checkInt('options.seed', seed, 0, 2 ** 32 - 1));
  const weight = param(`${name}.weight`, dims, initWeights(init, dims.reduce((a, b) => a * b, 1), fanIn, fanOut, random), true);
  return [weight, bias ? param(`${name}.bias`, [dims[0]], new Float32Array(dims[0]), false) : undefined];
}

/**
 * A convolution of fresh weights: NHWC [N, H, W, inChannels] -> [N, outH, outW, outChannels].
 * @throws TypeError/RangeError naming the bad argument.
 */
export function conv2d(inChannels: number, outChannels: number, options: Conv2dOptions): Conv2d {
  checkSize('inChannels', inChannels);
  checkSize('outChannels', outChannels);
  const o = checkOptions(options);
  const [kh, kw] = checkWindow('options', o).kernel;
  const [weight, bias] = freshConvParams(o, [outChannels, inChannels, kh, kw], inChannels * kh * kw, outChannels * kh * kw);
  return new Conv2d(weight, bias, o);
}
