// The loop of every f32-maxpool-nhwc variant, written once over a vector
// type: each variant file defines, per element type, a `Vec` (Elem, T, width
// W, load, store, their first-k-lanes forms load_n/store_n, lowest() and
// keep_max(v, m) = v > m ? v : m lane by lane) and instantiates it; the
// scalar variant's Vec is one element wide. Everything here has internal
// linkage, so each file's instantiations are compiled with its ISA flags only.
#pragma once

#include <algorithm>
#include <cstddef>

#include "f32-maxpool-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;

// The window maxima of `lanes` vectors of channels at `in` (pixel (y0, x0) of
// the window), rows `row` values apart, pixels `pixel` apart, in row-major order.
template <class Vec, std::size_t kLanes, bool Full>
inline void window_max(const typename Vec::Elem* in, std::size_t rows, std::size_t cols, std::size_t row,
                       std::size_t pixel, typename Vec::Elem* out, std::size_t k) {
  typename Vec::T m[kLanes];
  for (std::size_t l = 0; l < kLanes; l++) m[l] = Vec::lowest();
  for (std::size_t i = 0; i < rows; i++, in += row)
    for (std::size_t j = 0; j < cols; j++)
      for (std::size_t l = 0; l < kLanes; l++)
        m[l] = Vec::keep_max(Full ? Vec::load(in + j * pixel + l * Vec::W) : Vec::load_n(in + j * pixel, k), m[l]);
  for (std::size_t l = 0; l < kLanes; l++) {
    if (Full) Vec::store(out + l * Vec::W, m[l]);
    else Vec::store_n(out, m[l], k);
  }
}

template <class Vec>
void maxpool_nhwc(const MaxPoolNhwcShape& s, std::size_t row_begin, std::size_t row_end, const typename Vec::Elem* x,
                  typename Vec::Elem* y) {
  constexpr std::size_t W = Vec::W;
  const std::size_t c = s.channels, pixel = c, row = s.width * c;
  const Index h = static_cast<Index>(s.height), w = static_cast<Index>(s.width);
  for (std::size_t r = row_begin; r < row_end; r++) {
    const std::size_t n = r / s.out_h, oh = r % s.out_h;
    const Index ys = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
    const Index y0 = std::max<Index>(ys, 0), y1 = std::min<Index>(ys + static_cast<Index>(s.kernel_h), h);
    const typename Vec::Elem* image = x + n * s.height * row;
    typename Vec::Elem* out = y + r * s.out_w * c;
    for (std::size_t ow = 0; ow < s.out_w; ow++, out += c) {
      const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
      const Index x0 = std::max<Index>(xs, 0), x1 = std::min<Index>(xs + static_cast<Index>(s.kernel_w), w);
      const typename Vec::Elem* in = image + static_cast<std::size_t>(y0) * row + static_cast<std::size_t>(x0) * pixel;
      const std::size_t rows = static_cast<std::size_t>(y1 - y0), cols = static_cast<std::size_t>(x1 - x0);
      std::size_t ch = 0;
      for (; ch + 4 * W <= c; ch += 4 * W) window_max<Vec, 4, true>(in + ch, rows, cols, row, pixel, out + ch, W);
      for (; ch + W <= c; ch += W) window_max<Vec, 1, true>(in + ch, rows, cols, row, pixel, out + ch, W);
      if (ch < c) window_max<Vec, 1, false>(in + ch, rows, cols, row, pixel, out + ch, c - ch);
    }
  }
}

}  // namespace
}  // namespace sparq

// Defines the entry points of variant `prefix` on F32, U8 and S8 (its Vecs).
#define SPARQ_MAXPOOL_NHWC_ENTRY_POINTS(prefix, F32, U8, S8)                                                     \
  void prefix##_f32(const MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const float* x, float* y) {       \
    maxpool_nhwc<F32>(s, r0, r1, x, y);                                                                          \
  }                                                                                                              \
  void prefix##_u8(const MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const uint8_t* x, uint8_t* y) {    \
    maxpool_nhwc<U8>(s, r0, r1, x, y);                                                                           \
  }                                                                                                              \
  void prefix##_s8(const MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const int8_t* x, int8_t* y) {      \
    maxpool_nhwc<S8>(s, r0, r1, x, y);                                                                           \
  }
