// Portable f32-dwconv2d-nhwc row: for each output pixel, its channels in
// blocks of 8 held in a local array (the bias, then the window's taps,
// clipped to the row, in (i, j) order, then the post-activation and the
// clamp), so each tap is one pass over 8 independent sums that a compiler
// vectorizes for the baseline ISA (accumulating into y itself would not
// vectorize: y may alias x or w as far as the compiler knows). The
// weights stay in the packed array.
#include <algorithm>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kBlock = 8;

float finish(float v, const DwConv2dNhwcActivation& a) {
  if (a.post == DwConv2dNhwcPost::kHardSigmoid) v = std::min(std::max(a.alpha * v + a.beta, 0.0f), 1.0f);
  else if (a.post == DwConv2dNhwcPost::kHardSwish) v *= std::min(std::max(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
  return std::min(std::max(v, a.min), a.max);
}

// Channels [c, c + n) of one pixel whose window starts at input column xs,
// window columns [j0, j1); N: n when known at compile time (full blocks).
template <Index N>
void channels_of_pixel(const DwConv2dNhwcRow& r, Index c, Index n, Index xs, Index j0, Index j1, float* y) {
  if constexpr (N > 0) n = N;
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  float acc[kBlock];
  for (Index k = 0; k < n; k++) acc[k] = r.bias[c + k];
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = j0; j < j1; j++) {
      const float* x = r.rows[i] + (xs + j * dw) * channels + c;
      const float* w = r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c;
      for (Index k = 0; k < n; k++) acc[k] += x[k] * w[k];
    }
  for (Index k = 0; k < n; k++) y[k] = finish(acc[k], r.act);
}

}  // namespace

void f32_dwconv2d_nhwc_c1_scalar(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels);
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  for (std::size_t ow = 0; ow < s.out_w; ow++) {
    const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
    // Window columns j with 0 <= xs + j*dw < width (all of them for interior pixels).
    const Index j0 = xs >= 0 ? 0 : (-xs + dw - 1) / dw;
    const Index j1 = xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw);
    float* y = r.y + static_cast<Index>(ow) * channels;
    Index c = 0;
    for (; c + kBlock <= channels; c += kBlock) channels_of_pixel<kBlock>(r, c, kBlock, xs, j0, j1, y + c);
    if (c < channels) channels_of_pixel<0>(r, c, channels - c, xs, j0, j1, y + c);
  }
}

}  // namespace sparq
