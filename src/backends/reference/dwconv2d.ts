/** Reference depthwise 2-D convolution: the oracle for f32-dwconv2d (semantics in kernels/f32-dwconv2d/f32-dwconv2d.h). */
import type { DwConv2dGeometry } from '../../ops/dwconv2d.js';

/**
 * y [N, C*M, outH, outW] = clamp(bias + the window sum over x [N, C, H, W] and
 * w [C*M, KH, KW], min, max), summed in double, taps in the padding skipped.
 */
export function refDwconv2d(g: DwConv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | undefined,
  min: number, max: number, y: Float32Array): void {
  const oc = g.channels * g.multiplier;
  let out = 0;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < oc; o++) {
      const plane = (n * g.channels + Math.floor(o / g.multiplier)) * g.height;
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++, out++) {
          let s = bias?.[o] ?? 0;
          for (let i = 0; i < g.kernelH; i++) {
            const ih = oh * g.strideH - g.padTop + i * g.dilationH;
            if (ih < 0 || ih >= g.height) continue;
            for (let j = 0; j < g.kernelW; j++) {
              const iw = ow * g.strideW - g.padLeft + j * g.dilationW;
              if (iw < 0 || iw >= g.width) continue;
              s += x[(plane + ih) * g.width + iw] * w[(o * g.kernelH + i) * g.kernelW + j];
            }
          }
          y[out] = Math.min(Math.max(s, min), max);
        }
    }
}
