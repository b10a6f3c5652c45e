/** Reference direct 2-D convolution: the oracle for f32-conv2d, f32-spconv2d and qu8s8-conv2d. */
import type { Im2colGeometry } from '../../ops/im2col.js';

/** The ungrouped part of the im2col geometry, with the channel counts (strides 1 when not given). */
export type RefConvGeometry = { channels: number; outChannels: number } & Pick<Im2colGeometry,
  'batch' | 'height' | 'width' | 'kernelH' | 'kernelW' | 'dilationH' | 'dilationW' | 'padTop' | 'padLeft' | 'outH' | 'outW'>
  & Partial<Pick<Im2colGeometry, 'strideH' | 'strideW'>>;

/**
 * sums[n, o, oh, ow] = sum over c, i, j of (x[n, c, ih, iw] - xZeroPoint) * w[o, c, i, j]
 * with ih = oh * strideH - padTop + i * dilationH (likewise iw), taps in the padding skipped;
 * in double, so integer inputs give exact integer sums. Every weight is
 * multiplied, zeros too: 0 x Inf = 0 x NaN = NaN, the sparse kernels' contract
 * for their unstored weights (padding makes no NaN).
 */
export function refConv2dSums(g: RefConvGeometry, x: Float32Array | Uint8Array, xZeroPoint: number, w: Float32Array): Float64Array {
  const sums = new Float64Array(g.batch * g.outChannels * g.outH * g.outW);
  const sh = g.strideH ?? 1, sw = g.strideW ?? 1;
  let out = 0;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++, out++) {
          let s = 0;
          for (let c = 0; c < g.channels; c++)
            for (let i = 0; i < g.kernelH; i++) {
              const ih = oh * sh - g.padTop + i * g.dilationH;
              if (ih < 0 || ih >= g.height) continue;
              for (let j = 0; j < g.kernelW; j++) {
                const iw = ow * sw - g.padLeft + j * g.dilationW;
                if (iw < 0 || iw >= g.width) continue;
                const wv = w[((o * g.channels + c) * g.kernelH + i) * g.kernelW + j];
                s += (x[((n * g.channels + c) * g.height + ih) * g.width + iw] - xZeroPoint) * wv;
              }
            }
          sums[out] = s;
        }
  return sums;
}
