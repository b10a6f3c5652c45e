/**
 * GlobalAveragePool for the trainer: NHWC [N, H, W, C] -> [N, 1, 1, C], the
 * mean of each channel over the image (forward on cpu.globalAveragePool's
 * channels-last path); backward spreads each mean's gradient evenly over
 * the H * W positions it averaged.
 */
import { globalAveragePool as meanOverImage } from '../../../backends/cpu/elementwise.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { fail } from '../../../validate.js';
import type { Layer, Mode, Param } from '../layer.js';
import { checkGradDims, checkName, checkOptions, needForward, view } from './common.js';
import { checkImages } from './conv-window.js';

// Scratch slots.
const Y = 0, DX = 1;

export class GlobalAveragePool implements Layer {
  readonly kind = 'GlobalAveragePool';
  private readonly scratch = new ScratchArrays();
  private dims: readonly number[] | undefined;

  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) fail('name', 'must be a non-empty string');
  }

  private get label(): string {
    return `GlobalAveragePool ${this.name}`;
  }

  outputDims(input: readonly number[]): number[] {
    if (input.length !== 4 || input[1] * input[2] === 0) fail(this.label, `takes non-empty NHWC images [N, H, W, C], got [${input}]`);
    return [input[0], 1, 1, input[3]];
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const dims = this.outputDims(checkImages(this.label, x));
    const y = meanOverImage(x, { layout: 'nhwc', out: this.scratch.get(Y, 'float32', dims[0] * dims[3]) });
    this.dims = mode === 'train' ? x.dims : undefined;
    return view(y.data, dims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const dims = needForward(this.dims, this.label);
    const [n, h, w, c] = dims;
    checkGradDims(this.label, dy, [n, 1, 1, c]);
    const plane = h * w, scale = 1 / plane;
    const dx = this.scratch.get(DX, 'float32', n * plane * c);
    for (let b = 0, at = 0; b < n; b++)
      for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++, at++) dx[at] = dy.data[b * c + ch] * scale;
    return view(dx, dims);
  }

  params(): Param[] {
    return [];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    return [{ opType: 'GlobalAveragePool', name: this.name, inputs: [input], outputs: [output] }];
  }
}

/**
 * A global average pool (options.name names its ONNX node, default 'gap').
 * @throws TypeError/RangeError naming the bad option.
 */
export function globalAveragePool(options?: { name?: string }): GlobalAveragePool {
  return new GlobalAveragePool(checkName(checkOptions(options).name, 'gap'));
}
