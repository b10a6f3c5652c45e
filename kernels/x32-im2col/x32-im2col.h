// im2col for 2-D convolution on NCHW input, producing the GEMM A operand in
// "rows are output pixels" order so that conv = im2col(x) * W' with W' the
// packed [C*KH*KW, Cout] weights:
//   col[oh*OW + ow, (c*KH + kh)*KW + kw] = x[c, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW]
// or `pad_value` where that position falls outside the image. One call
// handles one image of one group. A variant serves float32 (x32) and uint8
// (x8, padded with the zero point) alike.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

struct Im2colShape {
  std::size_t channels, height, width;             // input image (one group)
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left;                   // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
  std::size_t image_channel_stride;                // elements between channels in the input (>= height*width)
};

// The variants (x32-im2col-variants.inc), best first. col has out_h*out_w
// rows of channels*kernel_h*kernel_w elements (row stride ldc).
struct Im2colVariant {
  const char* name;
  Isa isa;
  void (*x32)(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc);
  void (*x8)(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc);
};

extern const Im2colVariant kIm2colVariants[];
extern const std::size_t kIm2colVariantCount;
const Im2colVariant& im2col_best();

}  // namespace sparq
