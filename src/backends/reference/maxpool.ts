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

/**
 * The channels-last form, x [images, height, width, channels] -> y [images,
 * outH, outW, channels]: the NCHW pool on the transposed image (g over
 * images * channels planes), transposed back.
 */
export function refMaxPoolNhwc<T extends Float32Array | Uint8Array | Int8Array>(x: T, y: T, images: number, channels: number, g: MaxPoolGeometry): void {
  const make = (n: number) => new (x.constructor as new (n: number) => T)(n);
  const plane = g.height * g.width, outPlane = g.outH * g.outW;
  const xp = make(x.length), yp = make(y.length);
  for (let n = 0; n < images; n++)
    for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) xp[(n * channels + c) * plane + p] = x[(n * plane + p) * channels + c];
  refMaxPool(xp, yp, g);
  for (let n = 0; n < images; n++)
    for (let p = 0; p < outPlane; p++) for (let c = 0; c < channels; c++) y[(n * outPlane + p) * channels + c] = yp[(n * channels + c) * outPlane + p];
}

/**
 * dx [images, height, width, channels] of a 2x2 stride-2 unpadded max pool (semantics in
 * kernels/f32-maxpool-grad-nhwc/f32-maxpool-grad-nhwc.h): dy + 0 at each window's first input equal to its max y, +0
 * elsewhere; with positiveOnly nothing from windows whose max is not > 0.
 */
export function refMaxPoolGradNhwc(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, images: number, height: number, width: number, channels: number, positiveOnly: boolean): void {
  const outH = Math.floor(height / 2), outW = Math.floor(width / 2);
  dx.fill(0);
  for (let n = 0, o = 0; n < images; n++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++)
        for (let c = 0; c < channels; c++, o++) {
          const max = y[o];
          if (positiveOnly && !(max > 0)) continue;
          search: for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++) {
              const at = ((n * height + 2 * oh + i) * width + 2 * ow + j) * channels + c;
              if (x[at] === max) {
                dx[at] = dy[o] + 0;
                break search;
              }
            }
        }
}
