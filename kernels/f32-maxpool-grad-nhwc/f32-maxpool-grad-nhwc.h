// The gradient of a 2x2 stride-2 unpadded max pool of channels-last float32
// images (the trainer's MaxPool backward; the CNN downsampling):
//   dx[n, 2*oh + i, 2*ow + j, c] = dy[n, oh, ow, c] + 0 at the window's first
//   input (row-major) equal to its maximum y[n, oh, ow, c], +0 elsewhere,
// and +0 on an odd last row or column, which lies in no window. Nothing
// passes from a window whose maximum no input equals (NaN), nor, with
// positive_only, from one whose maximum is not > 0 (a pool over a ReLU's
// output, its backward fused into the pool's). dy + 0 is what dx += dy adds
// to a zeroed dx (-0 becomes +0). Each variant writes every dx value of its
// rows once, so dx needs no zeroing first; every variant equals the scalar
// one bit for bit.
#pragma once

#include <cstddef>

#include "../common/cpu-features.h"

namespace sparq {

struct MaxPoolGradNhwcShape {
  std::size_t images, height, width, channels;
  std::size_t out_h, out_w;  // height / 2 and width / 2
  bool positive_only;
};

// Output rows [row_begin, row_end) of the images * out_h rows of y and dy:
// the dx rows 2 * oh and 2 * oh + 1 of each, and the odd last row of an
// image with its last output row. Preconditions (asserted by the caller):
// out_h == height / 2, out_w == width / 2.
using MaxPoolGradNhwcFn = void (*)(const MaxPoolGradNhwcShape& s, std::size_t row_begin, std::size_t row_end, const float* x,
                                   const float* y, const float* dy, float* dx);

struct MaxPoolGradNhwcVariant {
  const char* name;  // e.g. "f32-maxpool-grad-nhwc-avx2"
  Isa isa;
  MaxPoolGradNhwcFn f32;
};

extern const MaxPoolGradNhwcVariant kMaxPoolGradNhwcVariants[];
extern const std::size_t kMaxPoolGradNhwcVariantCount;
const MaxPoolGradNhwcVariant& maxpool_grad_nhwc_best();

}  // namespace sparq
