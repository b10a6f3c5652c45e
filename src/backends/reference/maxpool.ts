/** Reference 2-D max pooling (semantics in kernels/f32-maxpool/f32-maxpool.h): each window in row-major order. */
import type { MaxPoolGeometry } from '../../ops/maxpool.js';

/** y [planes, outH, outW] from x [planes, height, width]; positions in the padding are skipped, NaN never wins. */
export function refMaxPool<T extends Float32Array | Uint8Array | Int8Array>(x: T, y: T, g: MaxPoolGeometry): void {
  let o = 0;
  for (let p = 0; p < g.planes; p++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++, o++) {
        let m = -Infinity;
        for (let kh = 0; kh < g.kernelH; kh++)
          for (let kw = 0; kw < g.kernelW; kw++) {
            const ih = oh * g.strideH - g.padTop + kh, iw = ow * g.strideW - g.padLeft + kw;
            if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
            const v = x[(p * g.height + ih) * g.width + iw];
            if (v > m) m = v;
          }
        y[o] = m;
      }
}
