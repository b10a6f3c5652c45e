// Portable f32-dwconv2d-nhwc row: for each output pixel, the bias, then one
// pass over the pixel's channels per tap of the window (clipped to the
// row), then the post-activation and the clamp. The channel loops are plain
// loops a compiler may vectorize for the baseline ISA; the weights stay in
// the packed array.
#include <algorithm>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {

void f32_dwconv2d_nhwc_c1_scalar(const DwConv2dNhwcRow& r) {
  using Index = std::ptrdiff_t;
  const DwConv2dNhwcShape& s = *r.shape;
  const std::size_t channels = r.channels;
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  for (std::size_t ow = 0; ow < s.out_w; ow++) {
    const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
    // Window columns j with 0 <= xs + j*dw < width (all of them for interior pixels).
    const Index j0 = xs >= 0 ? 0 : (-xs + dw - 1) / dw;
    const Index j1 = xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw);
    float* y = r.y + ow * channels;
    std::copy(r.bias, r.bias + channels, y);
    for (std::size_t i = 0; i < s.kernel_h; i++)
      for (Index j = j0; j < j1; j++) {
        const float* x = r.rows[i] + (xs + j * dw) * static_cast<Index>(channels);
        const float* w = r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded);
        for (std::size_t c = 0; c < channels; c++) y[c] += x[c] * w[c];
      }
    const DwConv2dNhwcActivation& a = r.act;
    if (a.post == DwConv2dNhwcPost::kHardSigmoid)
      for (std::size_t c = 0; c < channels; c++) y[c] = std::min(std::max(a.alpha * y[c] + a.beta, 0.0f), 1.0f);
    else if (a.post == DwConv2dNhwcPost::kHardSwish)
      for (std::size_t c = 0; c < channels; c++) y[c] *= std::min(std::max(y[c] * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
    for (std::size_t c = 0; c < channels; c++) y[c] = std::min(std::max(y[c], a.min), a.max);
  }
}

}  // namespace sparq
