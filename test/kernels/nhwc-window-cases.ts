// The NHWC window sweep the im2col and col2im tests share (col2im is im2col's
// adjoint): kernels 1x1, 3x3 and 5x2, strides (1, 2) and (2, 1), dilations
// and symmetric and asymmetric pads over the given [n, h, w, c] images,
// leaving out windows larger than their padded input.
import { convGeometry } from '../../src/ops/im2col.js';

export type NhwcDims = readonly [number, number, number, number];

export function* nhwcWindowCases(images: readonly NhwcDims[]) {
  for (const dims of images) {
    const [n, h, w, c] = dims;
    for (const [kh, kw] of [[1, 1], [3, 3], [5, 2]])
      for (const stride of [1, 2])
        for (const dilations of [[1, 1], [2, 1], [1, 2]] as const)
          for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [2, 0, 1, 2]] as const) {
            const options = { kernelShape: [kh, kw] as const, strides: [stride, 3 - stride] as const, dilations, pads };
            let geometry;
            try {
              geometry = convGeometry([n, c, h, w], options);
            } catch {
              continue; // kernel larger than the padded input
            }
            yield { dims, options, geometry };
          }
  }
}
