/**
 * Dropout with inverted scaling: in training each value is kept with
 * probability 1 - ratio and scaled by 1 / (1 - ratio), so evaluation is the
 * identity (as ONNX's Dropout at inference). Masks come from the layer's
 * own seeded generator, a fresh one per training forward: the same seed
 * drops the same values run after run.
 */
import { cpu } from '../../../backends/cpu/backend.js';
import { ModelError } from '../../../runtime/onnx/model.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import type { ImportContext } from '../import-context.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { checkInt } from '../../../validate.js';
import type { Layer, Mode, Param } from '../layer.js';
import { Random } from '../random.js';
import { checkGradDims, checkNumber, checkOptions, needForward, view } from './common.js';

const MASK = 0, Y = 1, DX = 2;

export class Dropout implements Layer {
  readonly kind = 'Dropout';
  private readonly scratch = new ScratchArrays();
  private readonly random: Random;
  private dims: readonly number[] | undefined;

  constructor(readonly ratio: number, seed: number) {
    this.random = new Random(seed);
  }

  outputDims(input: readonly number[]): number[] {
    return [...input];
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    this.dims = undefined;
    if (mode === 'eval' || this.ratio === 0) return x;
    const mask = this.scratch.get(MASK, 'float32', x.data.length);
    const keep = 1 - this.ratio, scale = 1 / keep;
    for (let i = 0; i < mask.length; i++) mask[i] = this.random.next() < keep ? scale : 0;
    this.dims = x.dims;
    return cpu.mul(x, view(mask, x.dims), { out: this.scratch.get(Y, 'float32', mask.length) });
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    if (this.ratio === 0) return dy;
    const dims = needForward(this.dims, 'Dropout');
    checkGradDims('Dropout', dy, dims);
    const mask = this.scratch.get(MASK, 'float32', dy.data.length);
    return cpu.mul(dy, view(mask, dims), { out: this.scratch.get(DX, 'float32', mask.length) });
  }

  params(): Param[] {
    return [];
  }

  /** The ratio as a Constant input (opset 12+), so an import gets it back. */
  toOnnx(input: string, output: string): OnnxNode[] {
    const ratio = `${output}_ratio`;
    return [
      { opType: 'Constant', inputs: [], outputs: [ratio], attributes: { value: { name: ratio, type: 'float', dims: [], data: Float32Array.of(this.ratio) } } },
      { opType: 'Dropout', inputs: [input, ratio], outputs: [output] },
    ];
  }
}

/**
 * Drops each value with probability `ratio` in training (default 0.5).
 * @param options.seed the mask generator's seed (default 0)
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dropout(ratio = 0.5, options?: { seed?: number }): Dropout {
  checkNumber('ratio', ratio, 0, 1, true);
  const { seed = 0 } = checkOptions(options);
  return new Dropout(ratio, checkInt('options.seed', seed, 0, 2 ** 32 - 1));
}

/** Dropout: the ratio from its second input (opset 12+) or attribute (before), default 0.5; masks seeded 0. */
export function importDropout({ node, attributes: a, constant }: ImportContext): Dropout {
  const name = node.inputs[1];
  const v = name ? constant(name) : undefined;
  if (name && (v?.type !== 'float32' || v.data.length !== 1)) throw new ModelError(`Dropout ratio "${name}" must be a constant float32 scalar`);
  const ratio = v ? (v.data[0] as number) : a.float('ratio', 0.5);
  if (!(ratio >= 0 && ratio < 1)) throw new ModelError(`Dropout ratio must be in [0, 1), got ${ratio}`);
  return new Dropout(ratio, 0);
}
