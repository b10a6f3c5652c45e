// AVX2 f32-dwconv2d-nhwc row: 8 channels per vector. For each vector of
// channels, the row's pixels in order: 3x3 and 5x5 kernels at stride_w 1-2
// run the K*K taps unrolled with the weights loaded once per vector of
// channels (9 registers for 3x3; 5x5's 25 spill to the stack, still one L1
// load per tap), edge pixels skipping the taps outside the row; other
// kernels load each tap's weights from the packed array per pixel. The last 1-7 channels load and store under a
// mask (vmaskmovps never touches the masked-off lanes' memory), the full
// vectors without.
#include <immintrin.h>

#include <algorithm>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 8;

// Loads and stores of one vector of channels: all 8, or the first n under a mask.
template <bool Tail>
struct Lanes {
  __m256i mask;
  explicit Lanes(Index n) : mask(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}
  __m256 load(const float* p) const {
    if constexpr (Tail) return _mm256_maskload_ps(p, mask);
    else return _mm256_loadu_ps(p);
  }
  void store(float* p, __m256 v) const {
    if constexpr (Tail) _mm256_maskstore_ps(p, mask, v);
    else _mm256_storeu_ps(p, v);
  }
};

// The post-activation (HardSigmoid or HardSwish, when fused), then the clamp [lo, hi].
__m256 finish(__m256 v, const DwConv2dNhwcActivation& a, __m256 lo, __m256 hi) {
  if (a.post != DwConv2dNhwcPost::kNone) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    if (a.post == DwConv2dNhwcPost::kHardSigmoid)
      v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(a.alpha)), _mm256_set1_ps(a.beta)), zero), one);
    else
      v = _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.0f / 6.0f)), _mm256_set1_ps(0.5f)), zero), one));
  }
  return _mm256_min_ps(_mm256_max_ps(v, lo), hi);
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
template <bool Tail>
void pixel(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, std::size_t ow, __m256 bias, __m256 lo, __m256 hi) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index channels = static_cast<Index>(r.channels), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Window win = window_at(s, ow);
  __m256 acc = bias;
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = win.j0; j < win.j1; j++) {
      const __m256 w = _mm256_load_ps(r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c);
      acc = _mm256_fmadd_ps(lanes.load(r.rows[i] + (win.xs + j * dw) * channels + c), w, acc);
    }
  lanes.store(r.y + static_cast<Index>(ow) * channels + c, finish(acc, r.act, lo, hi));
}

// One pixel's channels with the K*K weights in registers, window columns
// [j0, j1) (all K inside the row: the interior, where the constants fold
// the checks away). x0: the window's first column times the channels, plus c.
template <std::size_t K, bool Tail>
__attribute__((always_inline)) inline void fixed_pixel(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index x0, Index j0, Index j1,
                                                       const __m256 (&w)[K * K], __m256 bias, __m256 lo, __m256 hi, float* y) {
  const Index channels = static_cast<Index>(r.channels);
  __m256 acc = bias;
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
    for (Index j = 0; j < static_cast<Index>(K); j++)
      if (j >= j0 && j < j1) acc = _mm256_fmadd_ps(lanes.load(r.rows[i] + (x0 + j * channels)), w[i * K + j], acc);
  }
  lanes.store(y, finish(acc, r.act, lo, hi));
}

// The row's pixels for channels [c, c + 8) (or the last n under a mask);
// K = 0: any kernel, with the taps' weights loaded per pixel.
template <std::size_t K, std::size_t S, bool Tail>
void channel_block(const DwConv2dNhwcRow& r, Index c) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Lanes<Tail> lanes(static_cast<Index>(r.channels) - c);
  const __m256 bias = _mm256_load_ps(r.bias + c), lo = _mm256_set1_ps(r.act.min), hi = _mm256_set1_ps(r.act.max);
  if constexpr (K == 0) {
    for (std::size_t ow = 0; ow < s.out_w; ow++) pixel(r, lanes, c, ow, bias, lo, hi);
  } else {
    const Index channels = static_cast<Index>(r.channels);
    __m256 w[K * K];
    for (std::size_t t = 0; t < K * K; t++) w[t] = _mm256_load_ps(r.w + t * r.padded + c);
    // Interior pixels [lo, hi) take every tap; edge pixels the window columns inside the row.
    std::size_t ow = 0;
    for (; ow < r.lo; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, lanes, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < r.hi; ow++) {
      const Index xs = static_cast<Index>(ow * S) - static_cast<Index>(s.pad_left);
      fixed_pixel<K>(r, lanes, xs * channels + c, 0, static_cast<Index>(K), w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
    for (; ow < s.out_w; ow++) {
      const Window win = window_at(s, ow);
      fixed_pixel<K>(r, lanes, win.xs * channels + c, win.j0, win.j1, w, bias, lo, hi, r.y + static_cast<Index>(ow) * channels + c);
    }
  }
}

template <std::size_t K, std::size_t S>
void row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  Index c = 0;
  for (; c + kV <= channels; c += kV) channel_block<K, S, false>(r, c);
  if (c < channels) channel_block<K, S, true>(r, c);
}

}  // namespace

void f32_dwconv2d_nhwc_c8_avx2(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  if (!dwconv2d_nhwc_fixed_taps(s)) return row<0, 0>(r);
  if (s.kernel_w == 3) return s.stride_w == 1 ? row<3, 1>(r) : row<3, 2>(r);
  return s.stride_w == 1 ? row<5, 1>(r) : row<5, 2>(r);
}

}  // namespace sparq
