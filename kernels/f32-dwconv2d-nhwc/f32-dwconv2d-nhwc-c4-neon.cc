// NEON f32-dwconv2d-nhwc row: 4 channels per vector, in the order the AVX2
// variant uses (per vector of channels, the row's pixels in order; 3x3/5x5
// at stride_w 1-2 with the K*K weights in registers, 25 of the 32 for 5x5,
// edge pixels skipping the taps outside the row; other kernels with each
// tap's weights loaded per pixel). NEON has no masked loads, so the last
// 1-3 channels run a scalar loop over the taps.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 4;

// The post-activation (HardSigmoid or HardSwish, when fused), then the clamp [lo, hi].
float32x4_t finish(float32x4_t v, const DwConv2dNhwcActivation& a, float32x4_t lo, float32x4_t hi) {
  if (a.post != DwConv2dNhwcPost::kNone) {
    const float32x4_t zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
    if (a.post == DwConv2dNhwcPost::kHardSigmoid)
      v = vminq_f32(vmaxq_f32(vaddq_f32(vmulq_n_f32(v, a.alpha), vdupq_n_f32(a.beta)), zero), one);
    else
      v = vmulq_f32(v, vminq_f32(vmaxq_f32(vaddq_f32(vmulq_n_f32(v, 1.0f / 6.0f), vdupq_n_f32(0.5f)), zero), one));
  }
  return vminq_f32(vmaxq_f32(v, lo), hi);
}

// The same for one channel.
float finish(float v, const DwConv2dNhwcActivation& a) {
  if (a.post == DwConv2dNhwcPost::kHardSigmoid) v = std::min(std::max(a.alpha * v + a.beta, 0.0f), 1.0f);
  else if (a.post == DwConv2dNhwcPost::kHardSwish) v *= std::min(std::max(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
  return std::min(std::max(v, a.min), a.max);
}

struct Window {
  Index xs, j0, j1;  // first input column, and the window columns [j0, j1) inside the row
};

Window window_at(const DwConv2dNhwcShape& s, std::size_t ow) {
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
  return {xs, xs >= 0 ? 0 : (-xs + dw - 1) / dw, xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw)};
}

// One pixel's channels [c, c + 4), window columns [j0, j1), weights from the packed array.
void pixel(const DwConv2dNhwcRow& r, Index c, std::size_t ow, float32x4_t bias, float32x4_t lo, float32x4_t hi) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Window win = window_at(s, ow);
  float32x4_t acc = bias;
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = win.j0; j < win.j1; j++) {
      const float32x4_t w = vld1q_f32(r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c);
      acc = vfmaq_f32(acc, vld1q_f32(r.rows[i] + (win.xs + j * dw) * channels + c), w);
    }
  vst1q_f32(r.y + static_cast<Index>(ow) * channels + c, finish(acc, r.act, lo, hi));
}

// The last channels [c, channels), fewer than 4, one at a time.
void tail(const DwConv2dNhwcRow& r, Index c) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  for (std::size_t ow = 0; ow < s.out_w; ow++) {
    const Window win = window_at(s, ow);
    for (Index k = c; k < channels; k++) {
      float acc = r.bias[k];
      for (std::size_t i = 0; i < s.kernel_h; i++)
        for (Index j = win.j0; j < win.j1; j++)
          acc = std::fma(r.rows[i][(win.xs + j * dw) * channels + k], r.w[(static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + k], acc);
      r.y[static_cast<Index>(ow) * channels + k] = finish(acc, r.act);
    }
  }
}

// One pixel's channels [c, c + 4) with the K*K weights in registers, window
// columns [j0, j1) (all K inside the row: the interior, where the constants
// fold the checks away). x0: the window's first column times the channels, plus c.
template <std::size_t K>
__attribute__((always_inline)) inline void fixed_pixel(const DwConv2dNhwcRow& r, Index x0, Index j0, Index j1, const float32x4_t (&w)[K * K],
                                                       float32x4_t bias, float32x4_t lo, float32x4_t hi, float* y) {
  const Index channels = static_cast<Index>(r.channels);
  float32x4_t acc = bias;
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
    for (Index j = 0; j < static_cast<Index>(K); j++)
      if (j >= j0 && j < j1) acc = vfmaq_f32(acc, vld1q_f32(r.rows[i] + (x0 + j * channels)), w[i * K + j]);
  }
  vst1q_f32(y, finish(acc, r.act, lo, hi));
}

// The row's pixels for channels [c, c + 4); K = 0: any kernel, with the taps' weights loaded per pixel.
template <std::size_t K, std::size_t S>
void channel_block(const DwConv2dNhwcRow& r, Index c) {
  const DwConv2dNhwcShape& s = *r.shape;
  const float32x4_t bias = vld1q_f32(r.bias + c), lo = vdupq_n_f32(r.act.min), hi = vdupq_n_f32(r.act.max);
  if constexpr (K == 0) {
    for (std::size_t ow = 0; ow < s.out_w; ow++) pixel(r, c, ow, bias, lo, hi);
  } else {
    const Index channels = static_cast<Index>(r.channels);
    float32x4_t w[K * K];
    for (std::size_t t = 0; t < K * K; t++) w[t] = vld1q_f32(r.w + t * r.padded + c);
    // Interior pixels [lo, hi) take every tap; edge pixels the window columns inside the row.
    std::size_t ow = 0;
    for (; ow < r.lo; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < r.hi; ow++) {
      const Index xs = static_cast<Index>(ow * S) - static_cast<Index>(s.pad_left);
      fixed_pixel<K>(r, xs * channels + c, 0, static_cast<Index>(K), w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < s.out_w; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
  }
}

template <std::size_t K, std::size_t S>
void row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  Index c = 0;
  for (; c + kV <= channels; c += kV) channel_block<K, S>(r, c);
  if (c < channels) tail(r, c);
}

}  // namespace

void f32_dwconv2d_nhwc_c4_neon(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  if (!dwconv2d_nhwc_fixed_taps(s)) return row<0, 0>(r);
  if (s.kernel_w == 3) return s.stride_w == 1 ? row<3, 1>(r) : row<3, 2>(r);
  return s.stride_w == 1 ? row<5, 1>(r) : row<5, 2>(r);
}

}  // namespace sparq
