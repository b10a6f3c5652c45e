// NEON f32-dwconv2d-nhwc row: 4 channels per vector. 3x3/5x5 kernels at
// stride_w 1-2 run the row in tiles of 8 output pixels (then one tile of
// the last 1-7) by 2 vectors of channels: 16 accumulators, enough
// independent FMA chains for cores with 2-4 FMA pipes, where one pixel at a
// time left them waiting on one chain and a load per FMA. Each input column
// under the tile is loaded once per kernel row and multiplied into every
// pixel whose window holds it (3x3 stride 1: 10 loads feed 24 FMAs per
// vector); a kernel row's K weights are loaded once per tile and shared by
// its 8 pixels. Tiles whose columns all lie in the row run without checks;
// the row's first and last tiles skip the columns in the padding. Each
// pixel adds its taps in (i, j) order from the bias. Other kernels load
// each tap's weights per pixel. NEON has no masked loads: a last lone
// vector of 4 channels runs 1-vector tiles, the last 1-3 channels a scalar
// loop over the taps.
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

// P output pixels from output column ow on, V vectors of channels from c.
// Edge: some of the tile's input columns xs .. xs + Q - 1 lie outside the
// row and are skipped (they read zero).
template <std::size_t K, std::size_t S, std::size_t P, std::size_t V, bool Edge>
__attribute__((always_inline)) inline void tile(const DwConv2dNhwcRow& r, Index c, Index ow, float32x4_t lo, float32x4_t hi) {
  constexpr Index Q = static_cast<Index>((P - 1) * S + K);  // input columns under the tile
  const Index channels = static_cast<Index>(r.channels), width = static_cast<Index>(r.shape->width);
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  float32x4_t acc[V][P];
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; v++) {
    const float32x4_t bias = vld1q_f32(r.bias + c + static_cast<Index>(v) * kV);
#pragma GCC unroll 8
    for (std::size_t p = 0; p < P; p++) acc[v][p] = bias;
  }
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
    float32x4_t w[V][K];
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; v++)
#pragma GCC unroll 5
      for (std::size_t j = 0; j < K; j++) w[v][j] = vld1q_f32(r.w + (i * K + j) * r.padded + c + v * kV);
    const float* x = r.rows[i] + c + xs * channels;
#pragma GCC unroll 32
    for (Index q = 0; q < Q; q++, x += channels) {
      if (Edge && (xs + q < 0 || xs + q >= width)) continue;
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; v++) {
        const float32x4_t in = vld1q_f32(x + v * kV);
        // Pixel p's window starts at column p*S: `in` is its tap j = q - p*S.
#pragma GCC unroll 8
        for (std::size_t p = 0; p < P; p++) {
          const Index j = q - static_cast<Index>(p * S);
          if (j >= 0 && j < static_cast<Index>(K)) acc[v][p] = vfmaq_f32(acc[v][p], in, w[v][j]);
        }
      }
    }
  }
  float* y = r.y + ow * channels + c;
#pragma GCC unroll 8
  for (std::size_t p = 0; p < P; p++, y += channels)
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; v++) vst1q_f32(y + v * kV, finish(acc[v][p], r.act, lo, hi));
}

// A tile whose columns reach past the row's ends (out of line: two per row at most).
template <std::size_t K, std::size_t S, std::size_t P, std::size_t V>
__attribute__((noinline)) void edge_tile(const DwConv2dNhwcRow& r, Index c, Index ow, float32x4_t lo, float32x4_t hi) {
  tile<K, S, P, V, true>(r, c, ow, lo, hi);
}

template <std::size_t K, std::size_t S, std::size_t P, std::size_t V>
__attribute__((always_inline)) inline void any_tile(const DwConv2dNhwcRow& r, Index c, Index ow, float32x4_t lo, float32x4_t hi) {
  const Index xs = ow * static_cast<Index>(S) - static_cast<Index>(r.shape->pad_left);
  if (xs >= 0 && xs + static_cast<Index>((P - 1) * S + K) <= static_cast<Index>(r.shape->width))
    tile<K, S, P, V, false>(r, c, ow, lo, hi);
  else
    edge_tile<K, S, P, V>(r, c, ow, lo, hi);
}

// The last n = 1-7 pixels of the row, from ow.
template <std::size_t K, std::size_t S, std::size_t V, std::size_t P = 7>
void rest(const DwConv2dNhwcRow& r, Index c, Index ow, Index n, float32x4_t lo, float32x4_t hi) {
  if constexpr (P > 0) {
    if (n == static_cast<Index>(P)) return any_tile<K, S, P, V>(r, c, ow, lo, hi);
    rest<K, S, V, P - 1>(r, c, ow, n, lo, hi);
  }
}

// The row's pixels for V vectors of channels from c: tiles of 8 pixels, then the rest.
template <std::size_t K, std::size_t S, std::size_t V>
void channel_block(const DwConv2dNhwcRow& r, Index c) {
  const float32x4_t lo = vdupq_n_f32(r.act.min), hi = vdupq_n_f32(r.act.max);
  const Index out_w = static_cast<Index>(r.shape->out_w);
  Index ow = 0;
  for (; ow + 8 <= out_w; ow += 8) any_tile<K, S, 8, V>(r, c, ow, lo, hi);
  if (ow < out_w) rest<K, S, V>(r, c, ow, out_w - ow, lo, hi);
}

// Any kernel, with the taps' weights loaded per pixel.
void any_kernel_row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  const float32x4_t lo = vdupq_n_f32(r.act.min), hi = vdupq_n_f32(r.act.max);
  Index c = 0;
  for (; c + kV <= channels; c += kV) {
    const float32x4_t bias = vld1q_f32(r.bias + c);
    for (std::size_t ow = 0; ow < r.shape->out_w; ow++) pixel(r, c, ow, bias, lo, hi);
  }
  if (c < channels) tail(r, c);
}

// Pairs of vectors, then a lone vector, then the last 1-3 channels.
template <std::size_t K, std::size_t S>
void row(const DwConv2dNhwcRow& r) {
  const Index channels = static_cast<Index>(r.channels);
  Index c = 0;
  for (; c + 2 * kV <= channels; c += 2 * kV) channel_block<K, S, 2>(r, c);
  if (c + kV <= channels) channel_block<K, S, 1>(r, c), c += kV;
  if (c < channels) tail(r, c);
}

}  // namespace

void f32_dwconv2d_nhwc_c4_neon(const DwConv2dNhwcRow& r) {
  const DwConv2dNhwcShape& s = *r.shape;
  if (!dwconv2d_nhwc_fixed_taps(s)) return any_kernel_row(r);
  if (s.kernel_w == 3) return s.stride_w == 1 ? row<3, 1>(r) : row<3, 2>(r);
  return s.stride_w == 1 ? row<5, 1>(r) : row<5, 2>(r);
}

}  // namespace sparq
