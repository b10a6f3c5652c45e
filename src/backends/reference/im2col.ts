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
