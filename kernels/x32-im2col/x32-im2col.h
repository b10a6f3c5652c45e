// im2col for 2-D convolution on NCHW input, producing the GEMM A operand in
// "rows are output pixels" order so that conv = im2col(x) * W' with W' the
// packed [C*KH*KW, Cout] weights:
//   col[oh*OW + ow, (c*KH + kh)*KW + kw] = x[c, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW]
// or `pad_value` where that position falls outside the image. One call
// handles one image of one group. A variant serves float32 (x32) and uint8
// (x8, padded with the zero point) alike.
//
// The NHWC entry points (x32_nhwc, x8_nhwc) read one channels-last image
// [height][width][channels] and order each row's columns (kh, kw, c), c fastest:
//   col[oh*OW + ow, (kh*KW + kw)*C + c] = x[oh*SH - PT + kh*DH, ow*SW - PL + kw*DW, c]
// so each tap is one contiguous run of C values (with DW = 1, a whole kernel
// row is one run of KW*C), and conv = col * W' with W' the [KH*KW*C, Cout]
// weights in that row order. They write the output rows [oh_begin, oh_end)
// only (col still points at row 0), so one image can be split between threads;
// image_channel_stride is not read (channels are adjacent).
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
  void (*x32_nhwc)(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                   std::size_t oh_begin, std::size_t oh_end);
  void (*x8_nhwc)(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                  std::size_t oh_begin, std::size_t oh_end);
};

extern const Im2colVariant kIm2colVariants[];
extern const std::size_t kIm2colVariantCount;
const Im2colVariant& im2col_best();

}  // namespace sparq
