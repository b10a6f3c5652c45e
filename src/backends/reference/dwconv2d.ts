/** Reference depthwise (and grouped) 2-D convolution: the oracle for f32-dwconv2d (semantics in kernels/f32-dwconv2d/f32-dwconv2d.h). */
import type { DwConv2dGeometry } from '../../ops/dwconv2d.js';

/**
 * y [N, OC, outH, outW] = clamp(bias + the window sums over the group's
 * input channels of x [N, C, H, W] and w [OC, CG, KH, KW], min, max), summed
 * in double, taps in the padding skipped.
 */
export function refDwconv2d(g: DwConv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | undefined,
  min: number, max: number, y: Float32Array): void {
  const cg = g.groupChannels, oc = g.channels / cg * g.multiplier;
  let out = 0;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < oc; o++) {
      const first = Math.floor(o / g.multiplier) * cg;
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++, out++) {
          let s = bias?.[o] ?? 0;
          for (let c = 0; c < cg; c++) {
            const plane = (n * g.channels + first + c) * g.height;
            for (let i = 0; i < g.kernelH; i++) {
              const ih = oh * g.strideH - g.padTop + i * g.dilationH;
              if (ih < 0 || ih >= g.height) continue;
              for (let j = 0; j < g.kernelW; j++) {
                const iw = ow * g.strideW - g.padLeft + j * g.dilationW;
                if (iw < 0 || iw >= g.width) continue;
                s += x[(plane + ih) * g.width + iw] * w[((o * cg + c) * g.kernelH + i) * g.kernelW + j];
              }
            }
          }
          y[out] = Math.min(Math.max(s, min), max);
        }
    }
}
