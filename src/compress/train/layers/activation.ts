/**
 * Pointwise activations: ReLU, Clip (ReLU6 = Clip(0, 6)), HardSigmoid,
 * HardSwish on cpu.activate's kernels, Sigmoid in a loop (no kernel has it).
 * Backward multiplies dy by the derivative at the kept input, 0 on the flat
 * parts; at a kink (x exactly at a clip bound) the derivative is 0, as
 * PyTorch takes it for ReLU.
 */
import { cpu } from '../../../backends/cpu/backend.js';
import type { PointwiseActivation } from '../../../ops/activation.js';
import { ModelError } from '../../../runtime/onnx/model.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import type { ImportContext } from '../import-context.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { fail } from '../../../validate.js';
import type { Layer, Mode, Param } from '../layer.js';
import { checkGradDims, checkNumber, checkOptions, needForward, view } from './common.js';

export type ActivationKind = 'Relu' | 'Clip' | 'HardSigmoid' | 'HardSwish' | 'Sigmoid';

const Y = 0, DX = 1;

export class Activation implements Layer {
  private readonly scratch = new ScratchArrays();
  private x: Tensor<'float32'> | undefined;
  private y: Float32Array | undefined;

  readonly min: number;
  readonly max: number;
  readonly alpha: number;
  readonly beta: number;

  /** `min`/`max` bound Clip; `alpha`/`beta` shape HardSigmoid (y = clamp(alpha x + beta, 0, 1)); all float32, as the kernels and ONNX take them. */
  constructor(readonly kind: ActivationKind, min = 0, max = Infinity, alpha = 0.2, beta = 0.5) {
    [this.min, this.max, this.alpha, this.beta] = [min, max, alpha, beta].map(Math.fround);
  }

  outputDims(input: readonly number[]): number[] {
    return [...input];
  }

  private kernelActivation(): PointwiseActivation {
    if (this.kind === 'Relu') return 'relu';
    if (this.kind === 'Clip') return { min: this.min, max: this.max };
    if (this.kind === 'HardSigmoid') return { kind: 'hardsigmoid', alpha: this.alpha, beta: this.beta };
    return 'hardswish';
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const out = this.scratch.get(Y, 'float32', x.data.length);
    if (this.kind === 'Sigmoid') for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-x.data[i]));
    else cpu.activate(x, this.kernelActivation(), { out });
    this.x = mode === 'train' ? x : undefined;
    this.y = out;
    return view(out, x.dims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const x = needForward(this.x, this.kind), y = this.y!;
    checkGradDims(this.kind, dy, x.dims);
    const xs = x.data, g = dy.data, dx = this.scratch.get(DX, 'float32', xs.length);
    switch (this.kind) {
      case 'Relu':
        reluBackward(xs, g, dx);
        break;
      case 'Clip': {
        const { min, max } = this;
        for (let i = 0; i < dx.length; i++) dx[i] = xs[i] > min && xs[i] < max ? g[i] : 0;
        break;
      }
      case 'HardSigmoid': {
        const { alpha, beta } = this;
        for (let i = 0; i < dx.length; i++) {
          const t = alpha * xs[i] + beta;
          dx[i] = t > 0 && t < 1 ? alpha * g[i] : 0;
        }
        break;
      }
      case 'HardSwish':
        // y = x * clamp(x / 6 + 1/2, 0, 1): dy/dx = 0 below -3, 1 above 3, x / 3 + 1/2 between.
        for (let i = 0; i < dx.length; i++) dx[i] = xs[i] <= -3 ? 0 : xs[i] >= 3 ? g[i] : g[i] * (xs[i] / 3 + 0.5);
        break;
      case 'Sigmoid':
        for (let i = 0; i < dx.length; i++) dx[i] = g[i] * y[i] * (1 - y[i]);
        break;
    }
    return view(dx, x.dims);
  }

  params(): Param[] {
    return [];
  }

  /** Clip's bounds become Constant nodes next to it (opset 11+ takes them as inputs), named after its output. */
  toOnnx(input: string, output: string): OnnxNode[] {
    if (this.kind === 'HardSigmoid')
      return [{ opType: 'HardSigmoid', inputs: [input], outputs: [output], attributes: { alpha: this.alpha, beta: this.beta }, floatAttributes: ['alpha', 'beta'] }];
    if (this.kind !== 'Clip') return [{ opType: this.kind, inputs: [input], outputs: [output] }];
    const bound = (suffix: string, value: number): OnnxNode => ({
      opType: 'Constant', inputs: [], outputs: [`${output}_${suffix}`],
      attributes: { value: { name: `${output}_${suffix}`, type: 'float', dims: [], data: Float32Array.of(value) } },
    });
    const nodes = [bound('min', this.min)];
    if (this.max !== Infinity) nodes.push(bound('max', this.max));
    return [...nodes, { opType: 'Clip', inputs: [input, ...nodes.map((n) => n.outputs[0])], outputs: [output] }];
  }
}

/**
 * dx = x > 0 ? dy : +0 as dy's bits ANDed with -(x > 0), all ones or none:
 * a ternary per element compiles to a branch that mispredicts wherever the
 * signs vary (4x slower on random signs); the result is the same bits.
 */
function reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const g = int32View(dy), out = int32View(dx);
  for (let i = 0; i < out.length; i++) out[i] = g[i] & -+(x[i] > 0);
}

function int32View(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

export function relu(): Activation {
  return new Activation('Relu');
}

/** Clip(min, max) (ReLU6: clip(0, 6)). */
export function clip(min: number, max: number): Activation {
  checkNumber('min', min, -Infinity, Infinity);
  checkNumber('max', max, -Infinity, Infinity);
  if (!Number.isFinite(min)) fail('min', `must be finite, got ${min}`);
  if (!(min < max)) fail('max', `must be greater than min (${min}), got ${max}`);
  return new Activation('Clip', min, max);
}

export function relu6(): Activation {
  return clip(0, 6);
}

/** y = clamp(alpha x + beta, 0, 1), ONNX's HardSigmoid (defaults alpha 0.2, beta 0.5). */
export function hardSigmoid(options?: { alpha?: number; beta?: number }): Activation {
  const { alpha = 0.2, beta = 0.5 } = checkOptions(options);
  checkNumber('options.alpha', alpha, -Infinity, Infinity);
  checkNumber('options.beta', beta, -Infinity, Infinity);
  if (alpha === 0) fail('options.alpha', 'must not be 0');
  return new Activation('HardSigmoid', 0, Infinity, alpha, beta);
}

/** y = x * clamp(x / 6 + 1/2, 0, 1), ONNX's HardSwish. */
export function hardSwish(): Activation {
  return new Activation('HardSwish');
}

export function sigmoid(): Activation {
  return new Activation('Sigmoid');
}

/** Relu, Clip (bounds from its inputs, or attributes before opset 11), HardSigmoid, HardSwish, Sigmoid. */
export function importActivation({ node, attributes: a, constant }: ImportContext): Activation {
  const kind = node.opType as ActivationKind;
  if (kind === 'HardSigmoid') return new Activation(kind, 0, Infinity, a.float('alpha', 0.2), a.float('beta', 0.5));
  if (kind !== 'Clip') return new Activation(kind);
  const bound = (index: number, attribute: string, fallback: number): number => {
    const name = node.inputs[index];
    if (!name) return a.float(attribute, fallback);
    const v = constant(name);
    if (v?.type !== 'float32' || v.data.length !== 1) throw new ModelError(`Clip bound "${name}" must be a constant float32 scalar`);
    return v.data[0] as number;
  };
  const min = bound(1, 'min', -Infinity), max = bound(2, 'max', Infinity);
  if (!(min <= max)) throw new ModelError(`Clip min (${min}) must be <= max (${max})`);
  return new Activation('Clip', min, max);
}
