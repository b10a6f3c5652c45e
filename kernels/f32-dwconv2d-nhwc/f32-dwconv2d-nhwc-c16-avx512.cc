// AVX-512 f32-dwconv2d-nhwc row: 16 channels per vector, in the order the
// AVX2 variant uses (per vector of channels, the row's pixels in order;
// 3x3/5x5 at stride_w 1-2 with the K*K weights in registers, 25 of the 32
// for 5x5, edge pixels skipping the taps outside the row; other kernels
// with each tap's weights loaded per pixel).
// Every load and store of x and y is masked to the channels that exist:
// full vectors run with all 16 lanes set at no cost, and the last 1-15
// channels need no second code path (masked-off lanes never fault).
#include <immintrin.h>

#include <algorithm>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 16;

// clamp(v, lo, hi) (all-lanes masked forms: GCC 12 warns on the unmasked ones, bug 105593).
__m512 clamp(__m512 v, __m512 lo, __m512 hi) { return _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, v, lo), hi); }

// The post-activation (HardSigmoid or HardSwish, when fused), then the clamp [lo, hi].
__m512 finish(__m512 v, const DwConv2dNhwcActivation& a, __m512 lo, __m512 hi) {
  if (a.post != DwConv2dNhwcPost::kNone) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    if (a.post == DwConv2dNhwcPost::kHardSigmoid)
      v = clamp(_mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(a.alpha)), _mm512_set1_ps(a.beta)), zero, one);
    else
      v = _mm512_mul_ps(v, clamp(_mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(1.0f / 6.0f)), _mm512_set1_ps(0.5f)), zero, one));
  }
  return clamp(v, lo, hi);
}

struct Window {
  Index xs, j0, j1;  // first input column, and the window columns [j0, j1) inside the row
};

Window window_at(const DwConv2dNhwcShape& s, std::size_t ow) {
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
  return {xs, xs >= 0 ? 0 : (-xs + dw - 1) / dw, xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw)};
}

// One pixel's vector of channels c.., window columns [j0, j1), weights from the packed array.
void pixel(const DwConv2dNhwcRow& r, __mmask16 m, Index c, std::size_t ow, __m512 bias, __m512 lo, __m512 hi) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Window win = window_at(s, ow);
  __m512 acc = bias;
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = win.j0; j < win.j1; j++) {
      const __m512 w = _mm512_load_ps(r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r.rows[i] + (win.xs + j * dw) * channels + c), w, acc);
    }
  _mm512_mask_storeu_ps(r.y + static_cast<Index>(ow) * channels + c, m, finish(acc, r.act, lo, hi));
}

// One pixel's channels under mask m with the K*K weights in registers,
// window columns [j0, j1) (all K inside the row: the interior, where the
// constants fold the checks away). x0: the window's first column times the
// channels, plus c.
template <std::size_t K>
__attribute__((always_inline)) inline void fixed_pixel(const DwConv2dNhwcRow& r, __mmask16 m, Index x0, Index j0, Index j1,
                                                       const __m512 (&w)[K * K], __m512 bias, __m512 lo, __m512 hi, float* y) {
  const Index channels = static_cast<Index>(r.channels);
  __m512 acc = bias;
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
    for (Index j = 0; j < static_cast<Index>(K); j++)
      if (j >= j0 && j < j1) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r.rows[i] + (x0 + j * channels)), w[i * K + j], acc);
  }
  _mm512_mask_storeu_ps(y, m, finish(acc, r.act, lo, hi));
}

// The row's pixels for channels [c, c + 16) under mask m; K = 0: any
// kernel, with the taps' weights loaded per pixel.
template <std::size_t K, std::size_t S>
void channel_block(const DwConv2dNhwcRow& r, Index c, __mmask16 m) {
  const DwConv2dNhwcShape& s = *r.shape;
  const __m512 bias = _mm512_load_ps(r.bias + c), lo = _mm512_set1_ps(r.act.min), hi = _mm512_set1_ps(r.act.max);
  if constexpr (K == 0) {
    for (std::size_t ow = 0; ow < s.out_w; ow++) pixel(r, m, c, ow, bias, lo, hi);
  } else {
    const Index channels = static_cast<Index>(r.channels);
    __m512 w[K * K];
    for (std::size_t t = 0; t < K * K; t++) w[t] = _mm512_load_ps(r.w + t * r.padded + c);
    // Interior pixels [lo, hi) take every tap; edge pixels the window columns inside the row.
    std::size_t ow = 0;
    for (; ow < r.lo; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, m, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < r.hi; ow++) {
      const Index xs = static_cast<Index>(ow * S) - static_cast<Index>(s.pad_left);
      fixed_pixel<K>(r, m, xs * channels + c, 0, static_cast<Index>(K), w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < s.out_w; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, m, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
  }
}

template <std::size_t K, std::size_t S>
void row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  for (Index c = 0; c < channels; c += kV) {
    const Index n = std::min(kV, channels - c);
    channel_block<K, S>(r, c, static_cast<__mmask16>((1u << n) - 1));
  }
}

}  // namespace

void f32_dwconv2d_nhwc_c16_avx512(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  if (!dwconv2d_nhwc_fixed_taps(s)) return row<0, 0>(r);
  if (s.kernel_w == 3) return s.stride_w == 1 ? row<3, 1>(r) : row<3, 2>(r);
  return s.stride_w == 1 ? row<5, 1>(r) : row<5, 2>(r);
}

}  // namespace sparq
