// The loop of every f32-maxpool-grad-nhwc variant, written once over a
// vector type: each variant file defines a `Vec` (float vector T and lane
// mask M, width W, load/store and their first-k-lanes forms load_n/store_n,
// eq(a, b): a == b (false with NaN), positive(v): v > 0, all(), and_(a, b),
// and_not(a, b): a and not b, or_(a, b), and keep(m, v): v where m, +0
// elsewhere, plus_zero(v): v + 0) and instantiates it; the scalar variant's
// Vec is one float wide. Everything here has internal linkage, so each
// file's instantiation is compiled with its ISA flags only.
#pragma once

#include <cstddef>
#include <cstring>

#include "f32-maxpool-grad-nhwc.h"

namespace sparq {
namespace {

// One vector of channels of one window: `in` and `out` at its top-left
// input, rows `row` floats apart and pixels `c`; `m` its maxima, `g` its
// gradients. Full: W lanes, else the first k.
template <class Vec, bool Full>
inline void window_grad(const float* in, float* out, const float* m, const float* g, std::size_t row, std::size_t c,
                        bool positive_only, std::size_t k) {
  const auto load = [k](const float* p) { return Full ? Vec::load(p) : Vec::load_n(p, k); };
  const auto store = [k](float* p, typename Vec::T v) {
    if (Full) Vec::store(p, v);
    else Vec::store_n(p, v, k);
  };
  const typename Vec::T max = load(m), grad = Vec::plus_zero(load(g));
  const typename Vec::M pass = positive_only ? Vec::positive(max) : Vec::all();
  // Each input takes the gradient where it equals the max and no input before it did.
  const typename Vec::M e0 = Vec::eq(load(in), max), e1 = Vec::eq(load(in + c), max);
  const typename Vec::M e2 = Vec::eq(load(in + row), max), e3 = Vec::eq(load(in + row + c), max);
  const typename Vec::M before2 = Vec::or_(e0, e1), before3 = Vec::or_(before2, e2);
  store(out, Vec::keep(Vec::and_(e0, pass), grad));
  store(out + c, Vec::keep(Vec::and_(Vec::and_not(e1, e0), pass), grad));
  store(out + row, Vec::keep(Vec::and_(Vec::and_not(e2, before2), pass), grad));
  store(out + row + c, Vec::keep(Vec::and_(Vec::and_not(e3, before3), pass), grad));
}

template <class Vec>
void maxpool_grad_nhwc(const MaxPoolGradNhwcShape& s, std::size_t row_begin, std::size_t row_end, const float* x,
                       const float* y, const float* dy, float* dx) {
  constexpr std::size_t W = Vec::W;
  const std::size_t c = s.channels, row = s.width * c;
  for (std::size_t r = row_begin; r < row_end; r++) {
    const std::size_t n = r / s.out_h, oh = r % s.out_h;
    const std::size_t top = (n * s.height + 2 * oh) * row;
    const float* m = y + r * s.out_w * c;
    const float* g = dy + r * s.out_w * c;
    for (std::size_t ow = 0; ow < s.out_w; ow++, m += c, g += c) {
      const std::size_t at = top + 2 * ow * c;
      std::size_t ch = 0;
      for (; ch + W <= c; ch += W) window_grad<Vec, true>(x + at + ch, dx + at + ch, m + ch, g + ch, row, c, s.positive_only, W);
      if (ch < c) window_grad<Vec, false>(x + at + ch, dx + at + ch, m + ch, g + ch, row, c, s.positive_only, c - ch);
    }
    // An odd last column, and with an image's last output row an odd last row, lie in no window.
    if (s.width % 2 == 1)
      for (std::size_t i = 0; i < 2; i++) std::memset(dx + top + i * row + (s.width - 1) * c, 0, c * sizeof(float));
    if (s.height % 2 == 1 && oh == s.out_h - 1) std::memset(dx + top + 2 * row, 0, row * sizeof(float));
  }
}

}  // namespace
}  // namespace sparq

// Defines the entry point `symbol` on Vec.
#define SPARQ_MAXPOOL_GRAD_NHWC_ENTRY_POINT(symbol, Vec)                                                                 \
  void symbol(const MaxPoolGradNhwcShape& s, std::size_t r0, std::size_t r1, const float* x, const float* y, const float* dy, \
              float* dx) {                                                                                               \
    maxpool_grad_nhwc<Vec>(s, r0, r1, x, y, dy, dx);                                                                     \
  }
