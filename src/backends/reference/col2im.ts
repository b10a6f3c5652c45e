/** Reference col2im (definition and order of the sums in kernels/f32-col2im/f32-col2im.h), one loop per index. */
import type { Im2colGeometry } from '../../ops/im2col.js';

/**
 * image [batch, height, width, channels] = the sum, over every row of col
 * [batch * outH * outW][kernelH * kernelW * channels] (im2col's NHWC rows)
 * and every tap inside the image, of the tap's C values added into the
 * pixel it reads. Zeroed first, then added in the kernels' order (rows,
 * then kh, then kw), so the native variants equal it bit for bit.
 */
export function refCol2imNhwc(col: Float32Array, image: Float32Array, g: Im2colGeometry): void {
  const { batch, channelsPerGroup: c, height, width, kernelH, kernelW, outH, outW } = g;
  image.fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++)
        for (let kh = 0; kh < kernelH; kh++)
          for (let kw = 0; kw < kernelW; kw++, o += c) {
            const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
            const pixel = ((b * height + ih) * width + iw) * c;
            for (let ch = 0; ch < c; ch++) image[pixel + ch] = Math.fround(image[pixel + ch] + col[o + ch]);
          }
}
