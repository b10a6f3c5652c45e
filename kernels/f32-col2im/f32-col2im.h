// col2im for NHWC images: the scatter-add inverse (the adjoint) of
// x32-im2col's NHWC entry point, which a convolution's backward pass needs:
// dX = col2im(dY * W^T) for conv = im2col(X) * W. col has out_h*out_w rows
// (row stride ldc) in im2col's NHWC order, columns (kh, kw, c) with c fastest;
// the image [height][width][channels] is first zeroed, then every tap that
// falls inside it is added into its pixel:
//   image[ih, iw, c] = sum of col[oh*OW + ow, (kh*KW + kw)*C + c]
//                      over ih = oh*SH - PT + kh*DH, iw = ow*SW - PL + kw*DW
// Taps in the padding are dropped. The sum starts from +0.0f and adds in one
// fixed order, rows (oh, ow) in row-major order, then kh, then kw: every
// variant (vectors across channels, or one kernel row at a time where its
// taps are adjacent) adds each image element's terms in that same order, so
// all variants equal the scalar one bit for bit. One call handles one image
// (the geometry is im2col's; image_channel_stride is not read).
#pragma once

#include <cstddef>

#include "../common/cpu-features.h"
#include "../x32-im2col/x32-im2col.h"

namespace sparq {

struct Col2imVariant {
  const char* name;
  Isa isa;
  void (*nhwc)(const Im2colShape& s, const float* col, std::size_t ldc, float* image);
};

// The variants (f32-col2im-variants.inc), best first.
extern const Col2imVariant kCol2imVariants[];
extern const std::size_t kCol2imVariantCount;
const Col2imVariant& col2im_best();

}  // namespace sparq
