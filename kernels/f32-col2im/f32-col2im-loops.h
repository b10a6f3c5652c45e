// The loops of every f32-col2im variant, written once over an Add type that
// adds the runs whose length is only known at run time:
//   Add::add(dst, src, n)   dst[i] += src[i] for i < n
// (the scalar variant: a plain loop; the SIMD ones: whole vectors, then
// narrower ones and single floats: unlike im2col's copies, an add cannot
// rewrite a few elements with an overlapping vector). Each element gets one add per
// call, so the variants differ only in how many elements move at once, never
// in the order of any element's terms. Internal linkage, so each file's
// instantiation is compiled with its own ISA flags only.
//
// Row p = (oh, ow) of col is [kh][kw][c]. With DW = 1 and the window's
// columns inside the image, the KW taps of one kernel row land on KW adjacent
// pixels: one run of KW*C adds; otherwise a run of C per tap inside.
#pragma once

#include <algorithm>
#include <cassert>

#include "f32-col2im.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;

template <class Add>
void col2im_nhwc(const Im2colShape& s, const float* col, std::size_t ldc, float* image) {
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(ldc >= s.channels * s.kernel_h * s.kernel_w);
  const std::size_t c = s.channels, run = s.kernel_w * c;
  const Index h = static_cast<Index>(s.height), w = static_cast<Index>(s.width);
  const Index kw_count = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  std::fill_n(image, s.height * s.width * c, 0.0f);
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    const Index ih0 = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
    for (std::size_t ow = 0; ow < s.out_w; ow++) {
      const float* src = col + (oh * s.out_w + ow) * ldc;
      const Index iw0 = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
      const bool row_inside = dw == 1 && iw0 >= 0 && iw0 + kw_count <= w;
      for (std::size_t kh = 0; kh < s.kernel_h; kh++, src += run) {
        const Index ih = ih0 + static_cast<Index>(kh * s.dilation_h);
        if (ih < 0 || ih >= h) continue;
        float* pixels = image + static_cast<std::size_t>(ih * w) * c;
        if (row_inside) {
          Add::add(pixels + static_cast<std::size_t>(iw0) * c, src, run);
          continue;
        }
        for (Index kw = 0; kw < kw_count; kw++) {
          const Index iw = iw0 + kw * dw;
          if (iw >= 0 && iw < w) Add::add(pixels + static_cast<std::size_t>(iw) * c, src + static_cast<std::size_t>(kw) * c, c);
        }
      }
    }
  }
}

}  // namespace
}  // namespace sparq
