/**
 * Depthwise Conv2d (ONNX Conv with group = C, one output channel per input
 * channel) for the trainer, on NHWC images with the weight in ONNX's layout
 * [C, 1, KH, KW]. Forward on f32-dwconv2d-nhwc (planDwconv2dNhwc, weights
 * packed per forward: they change every step). Backward is TypeScript for
 * now, one pass over every (pixel, tap) pair with channels innermost:
 *   dW[c, t] += dy[p, c] * x[tap t of p, c]
 *   dx[tap t of p, c] += dy[p, c] * W[c, t]
 *   db[c] += dy[p, c]
 * (taps in the padding skipped); a native kernel is the next step.
 */
import { planDwconv2dNhwc } from '../../../backends/cpu/dwconv2d-nhwc.js';
import type { OnnxNode } from '../../../runtime/onnx/write.js';
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { fail } from '../../../validate.js';
import type { Layer, Mode, Param } from '../layer.js';
import { checkGradDims, checkOptions, checkSize, needForward, view } from './common.js';
import { freshConvParams, type Conv2dOptions } from './conv2d.js';
import { checkImages, checkWindow, weightWindow, windowAttributes, windowOutput, type Window, type WindowOptions } from './conv-window.js';

// Scratch slots.
const Y = 0, DX = 1, W_T = 2;

export class DepthwiseConv2d implements Layer {
  readonly kind = 'Conv';
  readonly channels: number;
  readonly window: Window;
  private readonly scratch = new ScratchArrays();
  private x: Tensor<'float32'> | undefined;
  /** The weight gradient's sums, tap-major, then the bias's: float64, as each sums a term per output pixel (10^5 and more per batch). */
  private dwSums = new Float64Array(0);

  /**
   * A depthwise convolution on existing params: weight [C, 1, KH, KW] (KH and
   * KW options.kernelShape's when given), bias [C] or none.
   * @throws TypeError/RangeError naming the bad argument.
   */
  constructor(readonly weight: Param, readonly bias: Param | undefined, options: Omit<WindowOptions, 'kernelShape'> & { kernelShape?: WindowOptions['kernelShape'] } = {}) {
    if (weight.dims.length !== 4 || weight.dims[1] !== 1 || weight.dims.some((d) => !(d >= 1)))
      fail('weight.dims', `must be [C, 1, KH, KW], got [${weight.dims}]`);
    const [c, , kh, kw] = weight.dims;
    this.window = weightWindow(options, kh, kw);
    if (bias && (bias.dims.length !== 1 || bias.dims[0] !== c)) fail('bias.dims', `must be [${c}], got [${bias.dims}]`);
    this.channels = c;
  }

  private get label(): string {
    return `Conv ${this.weight.name}`;
  }

  outputDims(input: readonly number[]): number[] {
    if (input.length === 4 && input[3] !== this.channels) fail(this.label, `takes [N, H, W, ${this.channels}], got [${input}]`);
    return [...windowOutput(this.label, this.window, input), this.channels];
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    checkImages(this.label, x, this.channels);
    const { strides, pads, dilations } = this.window;
    const plan = planDwconv2dNhwc(x, view(this.weight.value, this.weight.dims), { strides, pads, dilations, bias: this.bias?.value });
    const y = this.scratch.get(Y, 'float32', plan.dims.reduce((a, b) => a * b, 1));
    plan.run(x.data, y);
    this.x = mode === 'train' ? x : undefined;
    return view(y, plan.dims);
  }

  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const x = needForward(this.x, this.label);
    const [n, oh, ow, c] = this.outputDims(x.dims);
    checkGradDims(this.label, dy, [n, oh, ow, c]);
    const [, h, w] = x.dims;
    const { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl], dilations: [dh, dw] } = this.window;
    const taps = kh * kw, xd = x.data, g = dy.data;
    // Weights and their gradient tap-major ([t][c]), so the channel loop reads them contiguously.
    const wT = this.scratch.get(W_T, 'float32', taps * c);
    if (this.dwSums.length !== (taps + 1) * c) this.dwSums = new Float64Array((taps + 1) * c);
    const dwT = this.dwSums;
    for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) wT[t * c + ch] = this.weight.value[ch * taps + t];
    dwT.fill(0);
    const dx = this.scratch.get(DX, 'float32', xd.length);
    dx.fill(0);
    for (let b = 0, p = 0; b < n; b++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++, p += c) {
          for (let ch = 0, bias = taps * c; ch < c; ch++) dwT[bias + ch] += g[p + ch];
          for (let i = 0; i < kh; i++) {
            const ih = y * sh - pt + i * dh;
            if (ih < 0 || ih >= h) continue;
            for (let j = 0; j < kw; j++) {
              const iw = xo * sw - pl + j * dw;
              if (iw < 0 || iw >= w) continue;
              const at = ((b * h + ih) * w + iw) * c, t = (i * kw + j) * c;
              for (let ch = 0; ch < c; ch++) {
                dwT[t + ch] += g[p + ch] * xd[at + ch];
                dx[at + ch] += g[p + ch] * wT[t + ch];
              }
            }
          }
        }
    for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) this.weight.grad[ch * taps + t] += dwT[t * c + ch];
    if (this.bias) for (let ch = 0; ch < c; ch++) this.bias.grad[ch] += dwT[taps * c + ch];
    return view(dx, x.dims);
  }

  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  toOnnx(input: string, output: string): OnnxNode[] {
    const inputs = this.bias ? [input, this.weight.name, this.bias.name] : [input, this.weight.name];
    return [{ opType: 'Conv', name: this.weight.name.replace(/\.weight$/, ''), inputs, outputs: [output], attributes: { ...windowAttributes(this.window), group: this.channels } }];
  }
}

/**
 * A depthwise convolution of fresh weights (ONNX Conv with group = channels): NHWC [N, H, W, C] -> [N, outH, outW, C].
 * @throws TypeError/RangeError naming the bad argument.
 */
export function depthwiseConv2d(channels: number, options: Conv2dOptions): DepthwiseConv2d {
  checkSize('channels', channels);
  const o = checkOptions(options);
  const [kh, kw] = checkWindow('options', o).kernel;
  const [weight, bias] = freshConvParams(o, [channels, 1, kh, kw], kh * kw, kh * kw);
  return new DepthwiseConv2d(weight, bias, o);
}
