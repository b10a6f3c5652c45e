/**
 * Dense: y [N, out] = x [N, in] * W^T + b, ONNX's Gemm with transB = 1 (the
 * weight [out, in] as PyTorch's Linear keeps it). Forward and backward are
 * GEMMs on cpu.gemm with the operand transposes on cpu.transpose:
 *   y  = x * W^T        (W^T transposed per step: the weight changes each step)
 *   dx = dy * W
 *   dW += dy^T * x
 *   db += 1^T * dy      (column sums of dy, as a [1, N] x [N, out] GEMM)
 */
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { param, type Layer, type Mode, type Param } from '../layer.js';
import { accumulate, matmul, matrix, transposed } from '../matmul.js';
import { initWeights, Random, seedOf, type Init } from '../random.js';
import { checkGradDims, checkName, checkOptions, checkSize, inputFail, needForward } from './common.js';
import { ModelError } from '../../../runtime/onnx/model.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import type { ImportContext } from '../import-context.js';
import { checkBoolean, checkInt, checkOneOf, fail } from '../../../validate.js';

export interface DenseOptions {
  /** Names the params '<name>.weight' and '<name>.bias' (default 'dense'); unique within a network. */
  name?: string;
  /** Whether the layer adds a bias (default true). */
  bias?: boolean;
  /** 'he' (default) or 'glorot' uniform weights; biases start at 0. */
  init?: Init;
  /** Seed of the initial weights (default: a hash of the name). */
  seed?: number;
}

// Scratch slots.
const W_T = 0, Y = 1, DX = 2, DY_T = 3, DW = 4, DB = 5, ONES = 6;

export class Dense implements Layer {
  readonly kind = 'Gemm';
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly scratch = new ScratchArrays();
  private x: Tensor<'float32'> | undefined;

  /** A dense layer on existing params: weight [out, in], bias [out]. */
  constructor(readonly weight: Param, readonly bias?: Param) {
    if (weight.dims.length !== 2) fail('weight.dims', `must be [out, in], got [${weight.dims}]`);
    [this.outFeatures, this.inFeatures] = weight.dims;
    if (bias && (bias.dims.length !== 1 || bias.dims[0] !== this.outFeatures)) fail('bias.dims', `must be [${this.outFeatures}], got [${bias.dims}]`);
  }

  outputDims(input: readonly number[]): number[] {
    if (input.length !== 2 || input[1] !== this.inFeatures) inputFail(`Gemm ${this.weight.name}`, input, `it takes [N, ${this.inFeatures}]`);
    return [input[0], this.outFeatures];
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const [n] = this.outputDims(x.dims);
    const { inFeatures: k, outFeatures: m } = this;
    const wT = transposed(this.weight.value, m, k, this.scratch.get(W_T, 'float32', k * m));
    const y = matmul(x, matrix(wT, k, m), this.scratch.get(Y, 'float32', n * m), this.bias?.value);
    this.x = mode === 'train' ? x : undefined;
    return y;
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'>;
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined;
  backward(dy: Tensor<'float32'>, needInputGrad = true): Tensor<'float32'> | undefined {
    const x = needForward(this.x, `Gemm ${this.weight.name}`);
    const n = x.dims[0], { inFeatures: k, outFeatures: m } = this;
    checkGradDims(`Gemm ${this.weight.name}`, dy, [n, m]);
    const dyT = transposed(dy.data, n, m, this.scratch.get(DY_T, 'float32', m * n));
    accumulate(this.weight.grad, matmul(matrix(dyT, m, n), x, this.scratch.get(DW, 'float32', m * k)).data);
    if (this.bias) {
      const ones = this.scratch.get(ONES, 'float32', n);
      ones.fill(1);
      accumulate(this.bias.grad, matmul(matrix(ones, 1, n), dy, this.scratch.get(DB, 'float32', m)).data);
    }
    return needInputGrad ? matmul(dy, matrix(this.weight.value, m, k), this.scratch.get(DX, 'float32', n * k)) : undefined;
  }

  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    const inputs = this.bias ? [input, this.weight.name, this.bias.name] : [input, this.weight.name];
    return [{ opType: 'Gemm', name: this.weight.name.replace(/\.weight$/, ''), inputs, outputs: [output], attributes: { transB: 1 } }];
  }
}

/**
 * A dense layer of fresh weights: [N, inFeatures] -> [N, outFeatures].
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dense(inFeatures: number, outFeatures: number, options?: DenseOptions): Dense {
  checkSize('inFeatures', inFeatures);
  checkSize('outFeatures', outFeatures);
  const { name: given, bias = true, init = 'he', seed } = checkOptions(options);
  const name = checkName(given, 'dense');
  checkBoolean('options.bias', bias);
  checkOneOf('options.init', init, ['he', 'glorot']);
  const random = new Random(seed === undefined ? seedOf(name) : checkInt('options.seed', seed, 0, 2 ** 32 - 1));
  const weight = param(`${name}.weight`, [outFeatures, inFeatures], initWeights(init, outFeatures * inFeatures, inFeatures, outFeatures, random), true);
  return new Dense(weight, bias ? param(`${name}.bias`, [outFeatures], new Float32Array(outFeatures), false) : undefined);
}

/** Gemm (alpha = beta = 1, transA = 0) -> Dense; a weight given with transB = 0 ([in, out]) is kept transposed. */
export function importDense({ node, attributes: a, constant, param: paramOf }: ImportContext): Dense {
  if (a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1 || a.int('transA', 0) !== 0)
    throw new ModelError('Gemm must have alpha = 1, beta = 1 and transA = 0 to become a dense layer');
  const [, wName, bName] = node.inputs;
  if (!wName) throw new ModelError('Gemm needs a weight input (B)');
  const b = constant(wName);
  if (b?.type !== 'float32' || b.dims.length !== 2) throw new ModelError(`weight "${wName}" must be a 2-D float32 initializer`);
  const [rows, cols] = b.dims;
  const weight = a.int('transB', 0) === 1
    ? paramOf(wName, true)
    : paramOf(wName, true, { dims: [cols, rows], data: Float32Array.from(transposed(b.data as Float32Array, rows, cols, new Float32Array(rows * cols))) });
  if (!bName) return new Dense(weight);
  const c = constant(bName);
  const out = weight.dims[0];
  if (c?.type !== 'float32' || c.data.length !== out) throw new ModelError(`bias "${bName}" must be a float32 initializer of ${out} values`);
  return new Dense(weight, paramOf(bName, false, { dims: [out], data: Float32Array.from(c.data as Float32Array) }));
}
