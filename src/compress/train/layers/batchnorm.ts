/**
 * BatchNorm over the last axis (the channels of NHWC [N, H, W, C], the
 * features of [N, F]): y = (x - mean) / sqrt(var + epsilon) * scale + bias.
 * Training normalizes with the batch's mean and (biased) variance and moves
 * the running ones as ONNX's BatchNormalization does:
 *   running = running * momentum + batch * (1 - momentum)   (momentum 0.9 = PyTorch's 0.1)
 * with the batch's biased variance (ONNX's, where PyTorch keeps the unbiased
 * one); evaluation uses the running statistics. Statistics are summed in
 * float64; the normalization itself is a per-channel multiply and add on
 * the elementwise kernels. Backward (batch statistics):
 *   dx = scale / sigma * (dy - mean(dy) - xhat * mean(dy * xhat))
 */
import { cpu } from '../../../backends/cpu/backend.js';
import { ModelError } from '../../../runtime/onnx/model.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import type { ImportContext } from '../import-context.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { fail } from '../../../validate.js';
import { param, type Layer, type LayerBuffer, type Mode, type Param } from '../layer.js';
import { checkGradDims, checkName, checkNumber, checkOptions, checkSize, inputFail, needForward, view } from './common.js';

export interface BatchNormOptions {
  /** Names the params '<name>.weight' (scale), '<name>.bias' and the buffers '<name>.running_mean', '<name>.running_var' (default 'bn'). */
  name?: string;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** ONNX's momentum: the share of the running statistics kept per batch (default 0.9). */
  momentum?: number;
}

const Y = 0, DX = 1, SCALE = 2, SHIFT = 3;

export class BatchNorm implements Layer {
  readonly kind = 'BatchNormalization';
  readonly channels: number;
  readonly epsilon: number;
  readonly momentum: number;
  private readonly scratch = new ScratchArrays();
  /** The last training forward's input, batch mean and 1 / sigma. */
  private saved: { x: Tensor<'float32'>; mean: Float64Array; invStd: Float64Array } | undefined;

  constructor(
    readonly scale: Param,
    readonly bias: Param,
    readonly runningMean: LayerBuffer,
    readonly runningVar: LayerBuffer,
    epsilon: number,
    momentum: number,
  ) {
    // float32, as ONNX's attributes hold them: an exported and reimported layer is the same layer.
    this.epsilon = Math.fround(epsilon);
    this.momentum = Math.fround(momentum);
    this.channels = scale.value.length;
    for (const [what, a] of [['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const)
      if (a.value.length !== this.channels) fail(`${what}.value`, `must hold ${this.channels} values (one per channel, as scale), got ${a.value.length}`);
  }

  private get name(): string {
    return `BatchNormalization ${this.scale.name}`;
  }

  outputDims(input: readonly number[]): number[] {
    if (input.length < 2 || input[input.length - 1] !== this.channels)
      inputFail(this.name, input, `its last axis must hold the ${this.channels} channels`);
    return [...input];
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    this.outputDims(x.dims);
    const c = this.channels, rows = x.data.length / c;
    const scale = this.scratch.get(SCALE, 'float32', c), shift = this.scratch.get(SHIFT, 'float32', c);
    this.saved = undefined;
    if (mode === 'train') {
      if (rows === 0) fail('x', `of ${this.name} has no rows: batch statistics need at least one`);
      const { mean, variance } = channelStats(x.data, rows, c);
      const invStd = variance.map((v) => 1 / Math.sqrt(v + this.epsilon));
      const m = this.momentum, rm = this.runningMean.value, rv = this.runningVar.value;
      for (let j = 0; j < c; j++) {
        rm[j] = rm[j] * m + mean[j] * (1 - m);
        rv[j] = rv[j] * m + variance[j] * (1 - m);
        scale[j] = this.scale.value[j] * invStd[j];
        shift[j] = this.bias.value[j] - mean[j] * this.scale.value[j] * invStd[j];
      }
      this.saved = { x, mean, invStd };
    } else {
      for (let j = 0; j < c; j++) {
        const invStd = 1 / Math.sqrt(this.runningVar.value[j] + this.epsilon);
        scale[j] = this.scale.value[j] * invStd;
        shift[j] = this.bias.value[j] - this.runningMean.value[j] * this.scale.value[j] * invStd;
      }
    }
    const perChannel = [...x.dims.map(() => 1).slice(1), c];
    const y = cpu.mul(x, view(scale, perChannel), { out: this.scratch.get(Y, 'float32', x.data.length) });
    return cpu.add(y, view(shift, perChannel), { out: y.data });
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const { x, mean, invStd } = needForward(this.saved, this.name);
    checkGradDims(this.name, dy, x.dims);
    const c = this.channels, rows = x.data.length / c, xs = x.data, g = dy.data;
    const sumDy = new Float64Array(c), sumDyXhat = new Float64Array(c);
    for (let r = 0, i = 0; r < rows; r++)
      for (let j = 0; j < c; j++, i++) {
        sumDy[j] += g[i];
        sumDyXhat[j] += g[i] * (xs[i] - mean[j]) * invStd[j];
      }
    const dx = this.scratch.get(DX, 'float32', xs.length);
    const k = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      this.scale.grad[j] += sumDyXhat[j];
      this.bias.grad[j] += sumDy[j];
      k[j] = this.scale.value[j] * invStd[j];
      sumDy[j] /= rows;
      sumDyXhat[j] /= rows;
    }
    for (let r = 0, i = 0; r < rows; r++)
      for (let j = 0; j < c; j++, i++) dx[i] = k[j] * (g[i] - sumDy[j] - (xs[i] - mean[j]) * invStd[j] * sumDyXhat[j]);
    return view(dx, x.dims);
  }

  params(): Param[] {
    return [this.scale, this.bias];
  }

  buffers(): LayerBuffer[] {
    return [this.runningMean, this.runningVar];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    return [{
      opType: 'BatchNormalization',
      inputs: [input, this.scale.name, this.bias.name, this.runningMean.name, this.runningVar.name],
      outputs: [output],
      attributes: { epsilon: this.epsilon, momentum: this.momentum },
      floatAttributes: ['epsilon', 'momentum'],
    }];
  }
}

/** Per-channel mean and biased variance of x [rows, c], two passes in float64. */
function channelStats(x: Float32Array, rows: number, c: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(c), variance = new Float64Array(c);
  for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < c; j++, i++) mean[j] += x[i];
  for (let j = 0; j < c; j++) mean[j] /= rows;
  for (let r = 0, i = 0; r < rows; r++)
    for (let j = 0; j < c; j++, i++) {
      const d = x[i] - mean[j];
      variance[j] += d * d;
    }
  for (let j = 0; j < c; j++) variance[j] /= rows;
  return { mean, variance };
}

/**
 * BatchNorm of `channels` channels: scale 1, bias 0, running mean 0 and variance 1.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function batchNorm(channels: number, options?: BatchNormOptions): BatchNorm {
  checkSize('channels', channels);
  const { name: given, epsilon = 1e-5, momentum = 0.9 } = checkOptions(options);
  const name = checkName(given, 'bn');
  checkNumber('options.epsilon', epsilon, Number.MIN_VALUE, Number.MAX_VALUE);
  checkNumber('options.momentum', momentum, 0, 1);
  const buffer = (suffix: string, fill: number): LayerBuffer => ({ name: `${name}.${suffix}`, dims: [channels], value: new Float32Array(channels).fill(fill) });
  return new BatchNorm(
    param(`${name}.weight`, [channels], new Float32Array(channels).fill(1), false),
    param(`${name}.bias`, [channels], new Float32Array(channels), false),
    buffer('running_mean', 0),
    buffer('running_var', 1),
    epsilon,
    momentum,
  );
}

/** BatchNormalization in inference form (training_mode 0): scale and bias become params, the running statistics buffers. */
export function importBatchNorm({ node, attributes: a, param: paramOf, buffer }: ImportContext): BatchNorm {
  if (a.int('training_mode', 0) !== 0) throw new ModelError('BatchNormalization must have training_mode = 0 (its extra outputs are not trained through)');
  const [, scale, bias, mean, variance] = node.inputs;
  if (!scale || !bias || !mean || !variance) throw new ModelError('BatchNormalization needs scale, B, input_mean and input_var');
  const momentum = a.float('momentum', 0.9);
  if (!(momentum >= 0 && momentum <= 1)) throw new ModelError(`BatchNormalization momentum must be in [0, 1], got ${momentum}`);
  return new BatchNorm(paramOf(scale, false), paramOf(bias, false), buffer(mean), buffer(variance), a.float('epsilon', 1e-5), momentum);
}
