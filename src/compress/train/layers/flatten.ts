/**
 * Flatten: NHWC [N, H, W, C] -> [N, C * H * W] in ONNX's order, which
 * flattens the NCHW image: each image is transposed to [C, H * W] first, so
 * the dense layer after it has exactly the weights ONNX's Gemm has (an
 * exported or imported model needs no permutation). [N, F] passes through.
 */
import { planTranspose, type TransposePlan } from '../../../backends/cpu/transpose.js';
import { ModelError } from '../../../runtime/onnx/model.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import type { ImportContext } from '../import-context.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import type { Layer, Param } from '../layer.js';
import { checkGradDims, inputFail, needForward, view } from './common.js';

const Y = 0, DX = 1;

export class Flatten implements Layer {
  readonly kind = 'Flatten';
  private readonly scratch = new ScratchArrays();
  private plans: { key: string; forward: TransposePlan<'float32'>; backward: TransposePlan<'float32'> } | undefined;
  private input: readonly number[] | undefined;

  outputDims(input: readonly number[]): number[] {
    if (input.length === 2) return [...input];
    if (input.length !== 4) inputFail('Flatten', input, 'it takes NHWC [N, H, W, C] or [N, F]');
    return [input[0], input[1] * input[2] * input[3]];
  }

  /** The per-image transposes [H * W, C] <-> [C, H * W] for `dims`, planned once per shape. */
  private plansFor(dims: readonly number[]) {
    const [n, h, w, c] = dims, key = dims.join(',');
    if (this.plans?.key !== key)
      this.plans = {
        key,
        forward: planTranspose({ type: 'float32', dims: [n, h * w, c] }),
        backward: planTranspose({ type: 'float32', dims: [n, c, h * w] }),
      };
    return this.plans;
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    const dims = this.outputDims(x.dims);
    this.input = x.dims;
    if (x.dims.length === 2) return x;
    const y = this.scratch.get(Y, 'float32', x.data.length);
    this.plansFor(x.dims).forward.run(x.data, y);
    return view(y, dims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const input = needForward(this.input, 'Flatten');
    checkGradDims('Flatten', dy, this.outputDims(input));
    if (input.length === 2) return dy;
    const dx = this.scratch.get(DX, 'float32', dy.data.length);
    this.plansFor(input).backward.run(dy.data, dx);
    return view(dx, input);
  }

  params(): Param[] {
    return [];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    return [{ opType: 'Flatten', inputs: [input], outputs: [output], attributes: { axis: 1 } }];
  }
}

export function flatten(): Flatten {
  return new Flatten();
}

/** Flatten with axis 1 (the only one a layer between images and dense layers uses). */
export function importFlatten({ attributes: a }: ImportContext): Flatten {
  if (a.int('axis', 1) !== 1) throw new ModelError(`Flatten must have axis = 1, got ${a.int('axis', 1)}`);
  return new Flatten();
}
