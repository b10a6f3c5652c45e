// 2-D max pooling of channels-last images, any kernel, stride and padding,
// no dilation:
//   y[n, oh, ow, c] = max over x[n, oh*SH - PT + i, ow*SW - PL + j, c], i < KH, j < KW,
// positions in the padding skipped. Each output pixel's window is a run of
// whole pixels of C contiguous values, so every variant vectorizes across
// channels; float32 for float models, uint8/int8 for the quantized values of
// QDQ models (max commutes with the monotonic dequantization).
//
// The window is visited in row-major order with `m = v > m ? v : m` from
// -infinity (the lowest value for the integer types): the order and compare
// of f32-maxpool.h on NCHW planes, so NaN never wins, of +0 and -0 the first
// in row-major order is kept, and every variant equals the NCHW kernels on
// the transposed image bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

struct MaxPoolNhwcShape {
  std::size_t images, height, width, channels;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
};

// Output rows [row_begin, row_end) of the images * out_h rows of y (each
// out_w * channels values), read from the whole x. Preconditions (asserted
// by the caller): kernel and strides >= 1, pads < kernel, every window
// starts inside the input ((out - 1) * stride < size + pad).
template <typename T>
using MaxPoolNhwcFn = void (*)(const MaxPoolNhwcShape& s, std::size_t row_begin, std::size_t row_end, const T* x, T* y);

struct MaxPoolNhwcVariant {
  const char* name;  // e.g. "f32-maxpool-nhwc-avx2"
  Isa isa;
  MaxPoolNhwcFn<float> f32;
  MaxPoolNhwcFn<uint8_t> u8;
  MaxPoolNhwcFn<int8_t> s8;
};

extern const MaxPoolNhwcVariant kMaxPoolNhwcVariants[];
extern const std::size_t kMaxPoolNhwcVariantCount;
const MaxPoolNhwcVariant& maxpool_nhwc_best();

}  // namespace sparq
