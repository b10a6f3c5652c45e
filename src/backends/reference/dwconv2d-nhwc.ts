/**
 * Reference depthwise 2-D convolution of NHWC images: the NCHW oracle
 * (refDwconv2d) with the layout transposes around it, so one oracle serves
 * both layouts (semantics in kernels/f32-dwconv2d-nhwc/f32-dwconv2d-nhwc.h).
 */
import type { DwConv2dGeometry } from '../../ops/dwconv2d.js';
import { refDwconv2d } from './dwconv2d.js';

/** [N, A, B, C] <-> [N, C, A, B] in its two directions: `toChannelsFirst` reads NHWC and writes NCHW. */
function relayout(x: Float32Array, n: number, planeSize: number, channels: number, toChannelsFirst: boolean): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < planeSize; p++)
      for (let c = 0; c < channels; c++) {
        const nhwc = (b * planeSize + p) * channels + c, nchw = (b * channels + c) * planeSize + p;
        if (toChannelsFirst) y[nchw] = x[nhwc];
        else y[nhwc] = x[nchw];
      }
  return y;
}

/**
 * y [N, outH, outW, OC] = clamp(bias + the window sums of x [N, H, W, C] and
 * w [OC, 1, KH, KW], min, max) for a depthwise geometry (groupChannels 1),
 * through refDwconv2d on the transposed image.
 */
export function refDwconv2dNhwc(g: DwConv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | undefined,
  min: number, max: number, y: Float32Array): void {
  const oc = g.channels * g.multiplier;
  const yNchw = new Float32Array(y.length);
  refDwconv2d(g, relayout(x, g.batch, g.height * g.width, g.channels, true), w, bias, min, max, yNchw);
  y.set(relayout(yNchw, g.batch, g.outH * g.outW, oc, false));
}
