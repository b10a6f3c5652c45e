/** Reference im2col (layout in kernels/x32-im2col/x32-im2col.h), one loop per index. */
import type { Im2colGeometry } from '../../ops/im2col.js';

/** col is [groups][batch * outH * outW][channelsPerGroup * kernelH * kernelW]. */
export function refIm2col<T extends Float32Array | Uint8Array>(x: T, col: T, g: Im2colGeometry, padValue: number): void {
  let o = 0;
  for (let gr = 0; gr < g.groups; gr++)
    for (let b = 0; b < g.batch; b++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++)
          for (let c = 0; c < g.channelsPerGroup; c++)
            for (let kh = 0; kh < g.kernelH; kh++)
              for (let kw = 0; kw < g.kernelW; kw++, o++) {
                const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
                const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                const inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
                const channel = (b * g.groups + gr) * g.channelsPerGroup + c;
                col[o] = inside ? x[(channel * g.height + ih) * g.width + iw] : padValue;
              }
}

/**
 * im2col of NHWC x [batch, height, width, channels] (one group): col is
 * [batch * outH * outW][kernelH * kernelW * channels], rows (kh, kw, c) with
 * c fastest. The NCHW reference with the layouts permuted around it, so
 * both layouts have one oracle.
 */
export function refIm2colNhwc<T extends Float32Array | Uint8Array>(x: T, col: T, g: Im2colGeometry, padValue: number): void {
  const { batch, channelsPerGroup: c, height, width, kernelH, kernelW } = g;
  const plane = height * width, taps = kernelH * kernelW;
  const nchw = new (x.constructor as new (n: number) => T)(x.length);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < plane; p++)
      for (let ch = 0; ch < c; ch++) nchw[(b * c + ch) * plane + p] = x[(b * plane + p) * c + ch];
  const rows = new (x.constructor as new (n: number) => T)(col.length);
  refIm2col(nchw, rows, { ...g, groups: 1 }, padValue);
  const k = c * taps;
  for (let r = 0; r < col.length / Math.max(k, 1); r++)
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < taps; t++) col[r * k + t * c + ch] = rows[r * k + ch * taps + t];
}
