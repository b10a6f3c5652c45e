// AVX-512 f32-dwconv2d-nhwc row: 16 channels per vector. 3x3/5x5 kernels
// at stride_w 1-2 run the row in tiles of 8 output pixels (then one tile of
// the last 1-7) by 2 vectors of channels: 16 accumulators, enough
// independent FMA chains to cover the FMA latency, where one pixel at a
// time left the FMA units waiting on one chain and a load per FMA. Each
// input column under the tile is loaded once per kernel row and multiplied
// into every pixel whose window holds it (3x3 stride 1: 10 loads feed 24
// FMAs per vector); a kernel row's K weights are loaded once per tile and
// shared by its 8 pixels (5x5's 25 would not fit beside 16 accumulators).
// Tiles whose columns all lie in the row run without checks; the row's
// first and last tiles skip the columns in the padding. Each pixel adds its
// taps in (i, j) order from the bias. Other kernels load each tap's weights
// per pixel.
// Every load of x is masked to the channels that exist: full vectors run
// with all 16 lanes set at no cost, and the last 1-31 channels need no
// second code path (masked-off lanes never fault). Stores of full vectors
// are plain (store()): a masked store to a line not in cache is slow on
// some cores even with every lane set, as f32-gemm found.
#include <immintrin.h>

#include <algorithm>

#include "f32-dwconv2d-nhwc.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 16;

// clamp(v, lo, hi) (all-lanes masked forms: GCC 12 warns on the unmasked ones, bug 105593).
__m512 clamp(__m512 v, __m512 lo, __m512 hi) { return _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, v, lo), hi); }

// The post-activation (HardSigmoid or HardSwish, when fused), then the
// clamp, with its constants in registers.
struct Finish {
  DwConv2dNhwcPost post;
  __m512 lo, hi, alpha, beta;
  explicit Finish(const DwConv2dNhwcActivation& a)
      : post(a.post), lo(_mm512_set1_ps(a.min)), hi(_mm512_set1_ps(a.max)), alpha(_mm512_set1_ps(a.alpha)), beta(_mm512_set1_ps(a.beta)) {}
  __m512 operator()(__m512 v) const {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    if (post == DwConv2dNhwcPost::kHardSigmoid) v = clamp(_mm512_add_ps(_mm512_mul_ps(v, alpha), beta), zero, one);
    else if (post == DwConv2dNhwcPost::kHardSwish)
      v = _mm512_mul_ps(v, clamp(_mm512_add_ps(_mm512_mul_ps(v, _mm512_set1_ps(1.0f / 6.0f)), _mm512_set1_ps(0.5f)), zero, one));
    return clamp(v, lo, hi);
  }
};

// y's vector of channels under mask m: a plain store when all 16 lanes are
// set. MobileNetV2's depthwise layers at batch 16 write 2-26 MB each, far
// from cache (28x28x192 there ran 1.7x faster with plain stores).
void store(float* y, __mmask16 m, __m512 v) {
  if (m == 0xFFFF) _mm512_storeu_ps(y, v);
  else _mm512_mask_storeu_ps(y, m, v);
}

// One pixel's vector of channels c.., the window columns inside the row, weights from the packed array.
void pixel(const DwConv2dNhwcRow& r, __mmask16 m, Index c, std::size_t ow, __m512 bias, const Finish& f) {
  const DwConv2dNhwcShape& s = *r.shape;
  const Index width = static_cast<Index>(s.width), kw = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  const Index channels = static_cast<Index>(r.channels);
  const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
  const Index j0 = xs >= 0 ? 0 : (-xs + dw - 1) / dw, j1 = xs >= width ? 0 : std::min(kw, (width - xs + dw - 1) / dw);
  __m512 acc = bias;
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (Index j = j0; j < j1; j++) {
      const __m512 w = _mm512_load_ps(r.w + (static_cast<Index>(i) * kw + j) * static_cast<Index>(r.padded) + c);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r.rows[i] + (xs + j * dw) * channels + c), w, acc);
    }
  store(r.y + static_cast<Index>(ow) * channels + c, m, f(acc));
}

// Channel masks of a tile's V vectors (all 16 lanes but in the last vectors of the row).
template <std::size_t V>
struct Masks {
  __mmask16 m[V];
};

// P output pixels from output column ow on, V vectors of channels from c
// under masks m. Edge: some of the tile's input columns xs .. xs + Q - 1
// lie outside the row and are skipped (they read zero).
template <std::size_t K, std::size_t S, std::size_t P, std::size_t V, bool Edge>
__attribute__((always_inline)) inline void tile(const DwConv2dNhwcRow& r, const Masks<V>& m, Index c, Index ow, const Finish& f) {
  constexpr Index Q = static_cast<Index>((P - 1) * S + K);  // input columns under the tile
  const Index channels = static_cast<Index>(r.channels), width = static_cast<Index>(r.shape->width);
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  __m512 acc[V][P];
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; v++) {
    const __m512 bias = _mm512_load_ps(r.bias + c + static_cast<Index>(v) * kV);
#pragma GCC unroll 8
    for (std::size_t p = 0; p < P; p++) acc[v][p] = bias;
  }
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
    __m512 w[V][K];
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; v++)
#pragma GCC unroll 5
      for (std::size_t j = 0; j < K; j++) w[v][j] = _mm512_load_ps(r.w + (i * K + j) * r.padded + c + v * kV);
    const float* x = r.rows[i] + c + xs * channels;
#pragma GCC unroll 32
    for (Index q = 0; q < Q; q++, x += channels) {
      if (Edge && (xs + q < 0 || xs + q >= width)) continue;
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; v++) {
        const __m512 in = _mm512_maskz_loadu_ps(m.m[v], x + v * kV);
        // Pixel p's window starts at column p*S: `in` is its tap j = q - p*S.
#pragma GCC unroll 8
        for (std::size_t p = 0; p < P; p++) {
          const Index j = q - static_cast<Index>(p * S);
          if (j >= 0 && j < static_cast<Index>(K)) acc[v][p] = _mm512_fmadd_ps(in, w[v][j], acc[v][p]);
        }
      }
    }
  }
  float* y = r.y + ow * channels + c;
#pragma GCC unroll 8
  for (std::size_t p = 0; p < P; p++, y += channels)
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; v++) store(y + v * kV, m.m[v], f(acc[v][p]));
}

// A tile whose columns reach past the row's ends (out of line: two per row at most).
template <std::size_t K, std::size_t S, std::size_t P, std::size_t V>
__attribute__((noinline)) void edge_tile(const DwConv2dNhwcRow& r, const Masks<V>& m, Index c, Index ow, const Finish& f) {
  tile<K, S, P, V, true>(r, m, c, ow, f);
}

template <std::size_t K, std::size_t S, std::size_t P, std::size_t V>
__attribute__((always_inline)) inline void any_tile(const DwConv2dNhwcRow& r, const Masks<V>& m, Index c, Index ow, const Finish& f) {
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  if (xs >= 0 && xs + static_cast<Index>((P - 1) * S + K) <= static_cast<Index>(r.shape->width))
    tile<K, S, P, V, false>(r, m, c, ow, f);
  else
    edge_tile<K, S, P, V>(r, m, c, ow, f);
}

// The last n = 1-7 pixels of the row, from ow.
template <std::size_t K, std::size_t S, std::size_t V, std::size_t P = 7>
void rest(const DwConv2dNhwcRow& r, const Masks<V>& m, Index c, Index ow, Index n, const Finish& f) {
  if constexpr (P > 0) {
    if (n == static_cast<Index>(P)) return any_tile<K, S, P, V>(r, m, c, ow, f);
    rest<K, S, V, P - 1>(r, m, c, ow, n, f);
  }
}

// The row's pixels for V vectors of channels from c: tiles of 8 pixels, then the rest.
template <std::size_t K, std::size_t S, std::size_t V>
void channel_block(const DwConv2dNhwcRow& r, Index c, const Masks<V>& m, const Finish& f) {
  const Index out_w = static_cast<Index>(r.shape->out_w);
  Index ow = 0;
  for (; ow + 8 <= out_w; ow += 8) any_tile<K, S, 8, V>(r, m, c, ow, f);
  if (ow < out_w) rest<K, S, V>(r, m, c, ow, out_w - ow, f);
}

// Any kernel, with the taps' weights loaded per pixel.
void any_kernel_row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  const Finish f(r.act);
  for (Index c = 0; c < channels; c += kV) {
    const __mmask16 m = static_cast<__mmask16>((1u << std::min(kV, channels - c)) - 1);
    const __m512 bias = _mm512_load_ps(r.bias + c);
    for (std::size_t ow = 0; ow < r.shape->out_w; ow++) pixel(r, m, c, ow, bias, f);
  }
}

// Pairs of vectors of channels (16 accumulators per tile of 8 pixels:
// enough independent chains to cover the FMA latency), then one vector
// (or a pair under masks) for the last 1-31 channels.
template <std::size_t K, std::size_t S>
void row(const DwConv2dNhwcRow& r) {
  const Finish f(r.act);
  const Index channels = static_cast<Index>(r.channels);
  Index c = 0;
  for (; c + 2 * kV <= channels; c += 2 * kV) channel_block<K, S, 2>(r, c, Masks<2>{{0xFFFF, 0xFFFF}}, f);
  const Index n = channels - c;
  const auto mask = [](Index lanes) { return static_cast<__mmask16>((1u << std::clamp<Index>(lanes, 0, kV)) - 1); };
  if (n > kV) channel_block<K, S, 2>(r, c, Masks<2>{{0xFFFF, mask(n - kV)}}, f);
  else if (n > 0) channel_block<K, S, 1>(r, c, Masks<1>{{mask(n)}}, f);
}

}  // namespace

void f32_dwconv2d_nhwc_c16_avx512(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  if (!dwconv2d_nhwc_fixed_taps(s)) return any_kernel_row(r);
  if (s.kernel_w == 3) return s.stride_w == 1 ? row<3, 1>(r) : row<3, 2>(r);
  return s.stride_w == 1 ? row<5, 1>(r) : row<5, 2>(r);
}

}  // namespace sparq
