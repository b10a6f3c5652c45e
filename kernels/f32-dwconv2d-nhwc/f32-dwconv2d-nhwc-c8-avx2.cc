// AVX2 f32-dwconv2d-nhwc row: 8 channels per vector. For each vector of
// channels, 3x3/5x5 kernels at stride_w 1-2 run the row in tiles of 8
// output pixels (then one tile of the last 1-7): 8 accumulators, enough
// independent FMA chains to cover the FMA latency, where one pixel at a
// time left the FMA units waiting on one chain and a load per FMA. Each
// input column under the tile is loaded once per kernel row and multiplied
// into every pixel whose window holds it (3x3 stride 1: 10 loads feed 24
// FMAs); a kernel row's K weights are loaded once per tile and shared by
// its 8 pixels (16 registers hold 8 accumulators and one kernel row's
// weights, not 9 or 25 taps). Tiles whose columns all lie in the row run
// without checks; the row's first and last tiles skip the columns in the
// padding. Each pixel adds its taps in (i, j) order from the bias. Other
// kernels load each tap's weights per pixel. The last 1-7 channels load and
// store under a mask (vmaskmovps never touches the masked-off lanes'
// memory), the full vectors without.
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

// One pixel's vector of channels c.., the window columns inside the row, weights from the packed array.
template <bool Tail>
void pixel(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, std::size_t ow, __m256 bias, __m256 lo, __m256 hi) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Index channels = static_cast<Index>(r.channels);
  const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
  const Index j0 = xs >= 0 ? 0 : (-xs + dw - 1) / dw, j1 = xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw);
  __m256 acc = bias;
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = j0; j < j1; j++) {
      const __m256 w = _mm256_load_ps(r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c);
      acc = _mm256_fmadd_ps(lanes.load(r.rows[i] + (xs + j * dw) * channels + c), w, acc);
    }
  lanes.store(r.y + static_cast<Index>(ow) * channels + c, finish(acc, r.act, lo, hi));
}

// P output pixels from output column ow on, channels [c, c + 8) (or the
// last ones under a mask). Edge: some of the tile's input columns
// xs .. xs + Q - 1 lie outside the row and are skipped (they read zero).
template <std::size_t K, std::size_t S, std::size_t P, bool Tail, bool Edge>
__attribute__((always_inline)) inline void tile(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, Index ow, __m256 bias,
                                                __m256 lo, __m256 hi) {
  constexpr Index Q = static_cast<Index>((P - 1) * S + K);  // input columns under the tile
  const Index channels = static_cast<Index>(r.channels), width = static_cast<Index>(r.shape->width);
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  __m256 acc[P];
#pragma GCC unroll 8
  for (std::size_t p = 0; p < P; p++) acc[p] = bias;
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
    __m256 w[K];
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++) w[j] = _mm256_load_ps(r.w + (i * K + j) * r.padded + c);
    const float* x = r.rows[i] + c + xs * channels;
#pragma GCC unroll 32
    for (Index q = 0; q < Q; q++, x += channels) {
      if (Edge && (xs + q < 0 || xs + q >= width)) continue;
      const __m256 in = lanes.load(x);
      // Pixel p's window starts at column p*S: `in` is its tap j = q - p*S.
#pragma GCC unroll 8
      for (std::size_t p = 0; p < P; p++) {
        const Index j = q - static_cast<Index>(p * S);
        if (j >= 0 && j < static_cast<Index>(K)) acc[p] = _mm256_fmadd_ps(in, w[j], acc[p]);
      }
    }
  }
  float* y = r.y + ow * channels + c;
#pragma GCC unroll 8
  for (std::size_t p = 0; p < P; p++, y += channels) lanes.store(y, finish(acc[p], r.act, lo, hi));
}

// A tile whose columns reach past the row's ends (out of line: two per row at most).
template <std::size_t K, std::size_t S, std::size_t P, bool Tail>
__attribute__((noinline)) void edge_tile(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, Index ow, __m256 bias, __m256 lo,
                                         __m256 hi) {
  tile<K, S, P, Tail, true>(r, lanes, c, ow, bias, lo, hi);
}

template <std::size_t K, std::size_t S, std::size_t P, bool Tail>
__attribute__((always_inline)) inline void any_tile(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, Index ow, __m256 bias,
                                                    __m256 lo, __m256 hi) {
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  if (xs >= 0 && xs + static_cast<Index>((P - 1) * S + K) <= static_cast<Index>(r.shape->width))
    tile<K, S, P, Tail, false>(r, lanes, c, ow, bias, lo, hi);
  else
    edge_tile<K, S, P, Tail>(r, lanes, c, ow, bias, lo, hi);
}

// The last n = 1-7 pixels of the row, from ow.
template <std::size_t K, std::size_t S, bool Tail, std::size_t P = 7>
void rest(const DwConv2dNhwcRow& r, const Lanes<Tail>& lanes, Index c, Index ow, Index n, __m256 bias, __m256 lo, __m256 hi) {
  if constexpr (P > 0) {
    if (n == static_cast<Index>(P)) return any_tile<K, S, P, Tail>(r, lanes, c, ow, bias, lo, hi);
    rest<K, S, Tail, P - 1>(r, lanes, c, ow, n, bias, lo, hi);
  }
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
    const Index out_w = static_cast<Index>(s.out_w);
    Index ow = 0;
    for (; ow + 8 <= out_w; ow += 8) any_tile<K, S, 8, Tail>(r, lanes, c, ow, bias, lo, hi);
    if (ow < out_w) rest<K, S, Tail>(r, lanes, c, ow, out_w - ow, bias, lo, hi);
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
