/**
 * MaxPool and AveragePool for the trainer, on NHWC images (2-D windows with
 * strides and pads, undilated, floor rounding: ONNX's defaults).
 * MaxPool runs forward on f32-maxpool-nhwc (planned per input shape); in
 * backward each window's gradient goes to the first input (row by row) that
 * equals the window's maximum in the forward's output: a search over the
 * input again (f32-maxpool-grad-nhwc's kernel for 2x2 stride-2 unpadded
 * windows, TypeScript for the rest), where recording argmaxes in forward
 * would need an index array (measured: half the time of finding each
 * maximum again, in TypeScript).
 * AveragePool is TypeScript both ways: the mean of each window's positions
 * inside the image (ONNX's count_include_pad 0), or of the whole window
 * (countIncludePad: padding counts as zeros).
 */
import { maxPoolGradNhwc, planMaxPoolNhwc, type MaxPoolNhwcPlan } from '../../../backends/cpu/maxpool.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import { ScratchArrays, sizeOf, type Tensor } from '../../../tensor.js';
import { checkBoolean, fail } from '../../../validate.js';
import type { Layer, Mode, Param } from '../layer.js';
import { checkGradDims, checkName, checkOptions, needForward, view } from './common.js';
import { checkImages, checkWindow, windowAttributes, windowOutput, type Window, type WindowOptions } from './conv-window.js';

export type PoolOptions = Omit<WindowOptions, 'dilations'>;

/** The geometry one pass over a batch's windows needs. */
interface Walk {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
}

/**
 * Calls visit(out, ih0, ih1, iw0, iw1, whole) for each output pixel (out: the
 * offset of its C values in the NHWC result) with its window clipped to the
 * image, and the window's positions inside the padded image.
 */
function forEachWindow(win: Window, g: Walk, visit: (out: number, n: number, ih0: number, ih1: number, iw0: number, iw1: number, whole: number) => void): void {
  const { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] } = win;
  for (let b = 0, out = 0; b < g.n; b++)
    for (let y = 0; y < g.oh; y++) {
      const ys = y * sh - pt, ye = Math.min(ys + kh, g.h + pb);
      for (let x = 0; x < g.ow; x++, out += g.c) {
        const xs = x * sw - pl, xe = Math.min(xs + kw, g.w + pr);
        visit(out, b, Math.max(ys, 0), Math.min(ye, g.h), Math.max(xs, 0), Math.min(xe, g.w), (ye - ys) * (xe - xs));
      }
    }
}

/** What both pools share: the checked window, output dims, the kept input. */
abstract class Pool implements Layer {
  abstract readonly kind: 'MaxPool' | 'AveragePool';
  readonly window: Window;
  protected readonly scratch = new ScratchArrays();
  protected x: Tensor<'float32'> | undefined;

  /** @throws TypeError/RangeError naming the bad option. */
  constructor(readonly name: string, options: PoolOptions) {
    if (typeof name !== 'string' || name.length === 0) fail('name', 'must be a non-empty string');
    if ((options as WindowOptions)?.dilations !== undefined) fail('options.dilations', 'are not supported by the pools');
    this.window = checkWindow('options', options);
    this.window.pads.forEach((p, i) => {
      if (p >= this.window.kernel[i % 2]) fail(`options.pads[${i}]`, `(${p}) must be smaller than the kernel [${this.window.kernel}]`);
    });
  }

  protected get label(): string {
    return `${this.kind} ${this.name}`;
  }

  outputDims(input: readonly number[]): number[] {
    return [...windowOutput(this.label, this.window, input), input[3]];
  }

  protected walk(dims: readonly number[]): Walk {
    const [n, oh, ow] = windowOutput(this.label, this.window, dims);
    return { n, h: dims[1], w: dims[2], c: dims[3], oh, ow };
  }

  /** The kept input and dy checked against the last forward's output. */
  protected backwardInput(dy: Tensor<'float32'>): { x: Tensor<'float32'>; g: Walk } {
    const x = needForward(this.x, this.label);
    checkGradDims(this.label, dy, this.outputDims(x.dims));
    return { x, g: this.walk(x.dims) };
  }

  abstract forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'>;
  abstract backward(dy: Tensor<'float32'>): Tensor<'float32'>;

  params(): Param[] {
    return [];
  }

  protected attributes(): Record<string, number | number[]> {
    return windowAttributes(this.window, false);
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    return [{ opType: this.kind, name: this.name, inputs: [input], outputs: [output], attributes: this.attributes() }];
  }
}

// Scratch slots.
const Y = 0, DX = 1;

export class MaxPool extends Pool {
  readonly kind = 'MaxPool';
  private plan: { key: string; plan: MaxPoolNhwcPlan<'float32'> } | undefined;

  private planFor(dims: readonly number[]): MaxPoolNhwcPlan<'float32'> {
    const key = dims.join(',');
    if (this.plan?.key === key) return this.plan.plan;
    this.outputDims(dims);
    const { kernel, strides, pads } = this.window;
    this.plan = { key, plan: planMaxPoolNhwc({ type: 'float32', dims }, { kernelShape: kernel, strides, pads }) };
    return this.plan.plan;
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const plan = this.planFor(checkImages(this.label, x));
    const y = this.scratch.get(Y, 'float32', sizeOf(plan.dims));
    plan.run(x.data, y);
    this.x = mode === 'train' ? x : undefined;
    return view(y, plan.dims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    return this.gradient(dy, false);
  }

  /**
   * The gradient of the input of a ReLU whose output only this pool reads
   * (Network fuses the pair): backward's, except that windows whose maximum
   * is not > 0 pass none. A window's first maximum over a ReLU's output is
   * > 0 exactly where the ReLU's input is, so the ReLU's backward (a pass
   * over the larger image, +0 where its input is not > 0) would leave these
   * gradients as they are: the same bits, without that pass.
   */
  backwardThroughRelu(dy: Tensor<'float32'>): Tensor<'float32'> {
    return this.gradient(dy, true);
  }

  private gradient(dy: Tensor<'float32'>, positiveOnly: boolean): Tensor<'float32'> {
    const { x, g } = this.backwardInput(dy);
    const dx = this.scratch.get(DX, 'float32', x.data.length);
    // The forward's maxima (this layer's own output, unchanged since): each window's gradient goes to the first input equal to its maximum.
    const y = this.scratch.get(Y, 'float32', dy.data.length);
    const { kernel: [kh, kw], strides: [sh, sw], pads } = this.window;
    const unpadded2x2 = kh === 2 && kw === 2 && pads.every((p) => p === 0);
    // The CNN downsampling on its kernel, which writes all of dx; other windows here, onto zeros.
    if (unpadded2x2 && sh === 2 && sw === 2) return maxPoolGradNhwc(x, view(y, dy.dims), dy, { positiveOnly, out: dx });
    dx.fill(0);
    if (unpadded2x2) toFirstMax2x2(this.window, g, x.data, y, dy.data, dx, positiveOnly);
    else toFirstMax(this.window, g, x.data, y, dy.data, dx, positiveOnly);
    return view(dx, x.dims);
  }
}

/**
 * dx[first input of each window equal to its max y] += dy, windows in
 * output order, positions row by row; no input equals a NaN max, and with
 * positiveOnly windows whose max is not > 0 pass nothing. Inlined rather
 * than on forEachWindow: a call per window and its closure's loads made it
 * ~30% slower.
 */
function toFirstMax(win: Window, g: Walk, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, positiveOnly: boolean): void {
  const { n, h, w, c, oh, ow } = g, { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl] } = win;
  for (let b = 0, out = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++) {
      const ih0 = Math.max(oy * sh - pt, 0), ih1 = Math.min(oy * sh - pt + kh, h);
      for (let ox = 0; ox < ow; ox++, out += c) {
        const iw0 = Math.max(ox * sw - pl, 0), iw1 = Math.min(ox * sw - pl + kw, w);
        for (let ch = 0; ch < c; ch++) {
          const max = y[out + ch];
          if (positiveOnly && !(max > 0)) continue;
          search: for (let ih = ih0; ih < ih1; ih++)
            for (let iw = iw0, at = ((b * h + ih) * w + iw0) * c + ch; iw < iw1; iw++, at += c)
              if (x[at] === max) {
                dx[at] += dy[out + ch];
                break search;
              }
        }
      }
    }
}

/**
 * toFirstMax for unpadded 2x2 windows (each one whole inside the image):
 * the first match of four comparisons as 0/1 arithmetic, not a search
 * whose exit half the windows mispredict (2.2x faster on the seed CNN's
 * pools, whose maxima fall anywhere in the window).
 */
function toFirstMax2x2(win: Window, g: Walk, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, positiveOnly: boolean): void {
  const { n, h, w, c, oh, ow } = g, { strides: [sh, sw] } = win, row = w * c;
  // 1 where windows pass nothing unless their max is > 0.
  const needPositive = +positiveOnly;
  for (let b = 0, out = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0, corner = ((b * h + oy * sh) * w) * c; ox < ow; ox++, out += c, corner += sw * c)
        for (let ch = 0; ch < c; ch++) {
          const max = y[out + ch], at = corner + ch;
          // Each 1 while no position up to it matched: the first match's offset is their weighted sum.
          const miss0 = +(x[at] !== max), miss1 = miss0 & +(x[at + c] !== max), miss2 = miss1 & +(x[at + row] !== max);
          const first = at + miss0 * c + miss1 * (row - c) + miss2 * c;
          if (((miss2 & +(x[first] !== max)) | (needPositive & +!(max > 0))) === 0) dx[first] += dy[out + ch];
        }
}

export interface AveragePoolOptions extends PoolOptions {
  /** Divide by the whole window, padding included (ONNX count_include_pad 1); default false: by its positions inside the image. */
  countIncludePad?: boolean;
}

export class AveragePool extends Pool {
  readonly kind = 'AveragePool';
  readonly countIncludePad: boolean;

  constructor(name: string, options: AveragePoolOptions) {
    super(name, options);
    this.countIncludePad = options.countIncludePad === undefined ? false : checkBoolean('options.countIncludePad', options.countIncludePad);
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    const dims = checkImages(this.label, x);
    const g = this.walk(dims), c = g.c, xd = x.data;
    const outDims = [g.n, g.oh, g.ow, c];
    const y = this.scratch.get(Y, 'float32', sizeOf(outDims));
    forEachWindow(this.window, g, (out, n, ih0, ih1, iw0, iw1, whole) => {
      for (let ch = 0; ch < c; ch++) y[out + ch] = 0;
      for (let ih = ih0; ih < ih1; ih++)
        for (let iw = iw0, at = ((n * g.h + ih) * g.w + iw0) * c; iw < iw1; iw++, at += c) for (let ch = 0; ch < c; ch++) y[out + ch] += xd[at + ch];
      const scale = 1 / (this.countIncludePad ? whole : (ih1 - ih0) * (iw1 - iw0));
      for (let ch = 0; ch < c; ch++) y[out + ch] *= scale;
    });
    this.x = mode === 'train' ? x : undefined;
    return view(y, outDims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const { x, g } = this.backwardInput(dy);
    const dx = this.scratch.get(DX, 'float32', x.data.length);
    dx.fill(0);
    const c = g.c;
    forEachWindow(this.window, g, (out, n, ih0, ih1, iw0, iw1, whole) => {
      const scale = 1 / (this.countIncludePad ? whole : (ih1 - ih0) * (iw1 - iw0));
      for (let ih = ih0; ih < ih1; ih++)
        for (let iw = iw0, at = ((n * g.h + ih) * g.w + iw0) * c; iw < iw1; iw++, at += c)
          for (let ch = 0; ch < c; ch++) dx[at + ch] += dy.data[out + ch] * scale;
    });
    return view(dx, x.dims);
  }

  protected override attributes(): Record<string, number | number[]> {
    return { ...super.attributes(), count_include_pad: this.countIncludePad ? 1 : 0 };
  }
}

/**
 * A max pool (options.name names its ONNX node, default 'maxpool').
 * @throws TypeError/RangeError naming the bad option.
 */
export function maxPool(options: PoolOptions & { name?: string }): MaxPool {
  const o = checkOptions(options);
  return new MaxPool(checkName(o.name, 'maxpool'), o);
}

/**
 * An average pool (options.name names its ONNX node, default 'avgpool').
 * @throws TypeError/RangeError naming the bad option.
 */
export function averagePool(options: AveragePoolOptions & { name?: string }): AveragePool {
  const o = checkOptions(options);
  return new AveragePool(checkName(o.name, 'avgpool'), o);
}
