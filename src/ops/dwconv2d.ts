/**
 * The geometry of a depthwise 2-D convolution (ONNX Conv with group equal to
 * the input channels) over NCHW input, checked: one plan for every backend
 * and every element type (kernels/f32-dwconv2d/f32-dwconv2d.h).
 */
import { convGeometry, type Im2colArgs, type Im2colGeometry } from './im2col.js';
import { fail } from '../validate.js';

/** The window of im2col's geometry, with the channel counts: output channel o reads input channel floor(o / multiplier). */
export type DwConv2dGeometry = { channels: number; multiplier: number } & Pick<Im2colGeometry,
  'batch' | 'height' | 'width' | 'kernelH' | 'kernelW' | 'strideH' | 'strideW' | 'dilationH' | 'dilationW' | 'padTop' | 'padLeft' | 'outH' | 'outW'>;

/** A depthwise convolution's window options (the kernel comes from the weights' dims). */
export type DwConv2dArgs = Pick<Im2colArgs, 'strides' | 'pads' | 'dilations'>;

/**
 * The geometry of x [N, C, H, W] convolved with depthwise weights
 * [C * multiplier, 1, KH, KW], sized as ONNX Conv sizes it.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dwconv2dGeometry(xDims: readonly number[], wDims: readonly number[], options: DwConv2dArgs): DwConv2dGeometry {
  const [, channels] = xDims;
  const [outChannels, perGroup, kernelH, kernelW] = wDims;
  if (perGroup !== 1) fail('w.dims', `[${wDims.join(', ')}] must be [C * multiplier, 1, KH, KW] for depthwise weights`);
  if (kernelH === 0 || kernelW === 0) fail('w.dims', `[${wDims.join(', ')}] have an empty kernel: KH and KW must be >= 1`);
  if (channels === 0 ? outChannels !== 0 : outChannels === 0 || outChannels % channels !== 0)
    fail('w.dims', `[${wDims.join(', ')}]: the output channels must be a positive multiple of x's ${channels} channels`);
  const g = convGeometry(xDims, { ...options, kernelShape: [kernelH, kernelW], group: undefined });
  return {
    channels, multiplier: channels === 0 ? 1 : outChannels / channels, batch: g.batch, height: g.height, width: g.width,
    kernelH, kernelW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
    padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
  };
}
