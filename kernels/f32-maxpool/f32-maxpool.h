// 2-D max pooling on NCHW planes, no dilation:
//   y[p, oh, ow] = max over x[p, oh*SH - PT + i, ow*SW - PL + j], i < KH, j < KW,
// positions in the padding skipped. float32 and the uint8/int8 values of QDQ
// models (max commutes with dequantization) share this file, as x8_im2col
// does; the integer planes take their own two-pass loop (any order gives
// their max), the float ones the ordered fold described next.
//
// Each window is visited in row-major order with `m = v > m ? v : m` from
// -infinity (the lowest value for the integer types), the order and compare
// of the runtime's JS loop: NaN never wins (a window of only NaN gives
// -infinity), and of +0 and -0 the first one in row-major order is kept.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

struct MaxPoolShape {
  std::size_t planes, height, width;  // N*C planes of height x width
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t pad_top, pad_left;      // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
};

// Preconditions: kernel and strides >= 1, pads < kernel, and every window
// starts inside the input ((out - 1) * stride < size + pad), so none lies
// wholly in the padding. x holds planes*height*width, y planes*out_h*out_w.
void f32_maxpool(const MaxPoolShape& s, const float* x, float* y);
void u8_maxpool(const MaxPoolShape& s, const uint8_t* x, uint8_t* y);
void s8_maxpool(const MaxPoolShape& s, const int8_t* x, int8_t* y);
// int32 planes: the sums of a convolution pooled before they are requantized
// (requantization is monotonic, so max commutes with it).
void s32_maxpool(const MaxPoolShape& s, const int32_t* x, int32_t* y);

// The 2x2 stride-2 unpadded case has its own variants
// (f32-maxpool-variants.inc); f32_maxpool and s32_maxpool run the best one
// this CPU allows on such shapes.
struct MaxPool2x2s2Variant {
  const char* name;
  Isa isa;
  void (*f32)(const MaxPoolShape& s, const float* x, float* y);
  void (*s32)(const MaxPoolShape& s, const int32_t* x, int32_t* y);
};

extern const MaxPool2x2s2Variant kMaxPool2x2s2Variants[];
extern const std::size_t kMaxPool2x2s2VariantCount;
const MaxPool2x2s2Variant& maxpool_2x2s2_best();

// f32_maxpool with the 2x2s2 variant given instead of the best one (the
// binding's `variant`, so tests and benches reach each by name); every other
// shape runs the portable kernel whichever is given.
void f32_maxpool(const MaxPool2x2s2Variant& v, const MaxPoolShape& s, const float* x, float* y);

}  // namespace sparq
