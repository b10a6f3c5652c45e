/**
 * The geometry of a depthwise 2-D convolution (ONNX Conv with group equal to
 * the input channels), or a grouped one with few channels per group, over
 * NCHW input, checked: one plan for every backend and every element type
 * (kernels/f32-dwconv2d/f32-dwconv2d.h).
 */
import { convGeometry, type Im2colArgs, type Im2colGeometry } from './im2col.js';
import { checkInt, fail } from '../validate.js';

/**
 * The window of im2col's geometry, with the channel counts: output channel o
 * (of channels / groupChannels * multiplier) sums input channels
 * floor(o / multiplier) * groupChannels + c, c < groupChannels.
 */
export type DwConv2dGeometry = { channels: number; groupChannels: number; multiplier: number } & Pick<Im2colGeometry,
  'batch' | 'height' | 'width' | 'kernelH' | 'kernelW' | 'strideH' | 'strideW' | 'dilationH' | 'dilationW' | 'padTop' | 'padLeft' | 'outH' | 'outW'>;

/** A depthwise convolution's window options (the kernel comes from the weights' dims); `group` defaults to x's channels. */
export type DwConv2dArgs = Pick<Im2colArgs, 'strides' | 'pads' | 'dilations' | 'group'>;

/**
 * The geometry of x [N, C, H, W] convolved with weights [OC, C / group, KH,
 * KW] in `group` groups (default C: depthwise, OC = C * multiplier), sized
 * as ONNX Conv sizes it.
 * @throws TypeError/RangeError naming the bad argument.
 */
export function dwconv2dGeometry(xDims: readonly number[], wDims: readonly number[], options: DwConv2dArgs): DwConv2dGeometry {
  const [, channels] = xDims;
  const [outChannels, groupChannels, kernelH, kernelW] = wDims;
  const group = options.group === undefined ? Math.max(channels, 1) : checkInt('options.group', options.group, 1, 2 ** 31);
  if (channels % group !== 0) fail('options.group', `(${group}) must divide the ${channels} input channels`);
  // Depthwise by default: one input channel per group, also when x has none.
  const perGroup = options.group === undefined ? 1 : channels / group;
  if (groupChannels !== perGroup) fail('w.dims', `[${wDims.join(', ')}] must be [OC, C / group = ${perGroup}, KH, KW]`);
  if (kernelH === 0 || kernelW === 0) fail('w.dims', `[${wDims.join(', ')}] have an empty kernel: KH and KW must be >= 1`);
  if (channels === 0 ? outChannels !== 0 : outChannels === 0 || outChannels % group !== 0)
    fail('w.dims', `[${wDims.join(', ')}]: the output channels must be a positive multiple of the ${group} groups`);
  const g = convGeometry(xDims, { ...options, kernelShape: [kernelH, kernelW], group: undefined });
  return {
    channels, groupChannels: Math.max(perGroup, 1), multiplier: channels === 0 ? 1 : outChannels / group, batch: g.batch,
    height: g.height, width: g.width, kernelH, kernelW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH,
    dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW,
  };
}
