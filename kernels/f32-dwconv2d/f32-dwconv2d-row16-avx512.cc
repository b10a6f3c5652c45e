// AVX-512 f32-dwconv2d plane of K x K kernels (3 or 5) at stride_w S (1 or
// 2): per output row, 16 outputs per vector across the whole row, the K*K
// weights broadcast once per plane into registers (25 of the 32 for 5x5).
//
// Vectors inside the interior (every window column in the row) load
// without masks. The vectors at the row's ends, whose windows leave it
// (and the last partial one), load each tap under a mask of the lanes whose
// column lies in the row: masked-off lanes read zero and never fault, so
// the padding costs no scalar border code (a 7- or 14-wide map is one
// masked vector per row).
//
// Stride 2: the 16 outputs of tap j read the even columns of p[0..30]
// (p = row + 2*ow - PL + j): a = p[0..15] and b = p[15..30], combined by
// vpermt2ps (a's even lanes, then b's odd ones), so no load reaches past
// the last column the window uses.
#include <immintrin.h>

#include <algorithm>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 16;

// Lanes l with lo <= l < hi.
__mmask16 lanes_between(Index lo, Index hi) {
  const auto below = [](Index n) { return n <= 0 ? 0u : n >= 16 ? 0xFFFFu : (1u << n) - 1; };
  return static_cast<__mmask16>(below(hi) & ~below(lo));
}

// clamp(v, lo, hi) (all-lanes masked forms: GCC 12 warns on the unmasked ones, bug 105593).
__m512 clamp(__m512 v, __m512 lo, __m512 hi) { return _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, v, lo), hi); }

// One tap's masks at an edge vector: the loaded elements e (p[e], from p[0]
// up to the last the vector's n outputs use) whose column c0 + e lies in [0, width).
struct TapMask {
  __mmask16 a, b;  // b: stride 2's second load, p[15..30]
};

template <std::size_t S>
TapMask tap_mask(Index c0, Index width, Index n) {
  const Index used = S == 1 ? n : 2 * n - 1;
  const Index lo = -c0, hi = std::min(used, width - c0);
  return {lanes_between(lo, hi), lanes_between(lo - 15, hi - 15)};
}

template <std::size_t S>
__m512 load(const float* p, __mmask16 a, __mmask16 b, __m512i evens) {
  if constexpr (S == 1) return _mm512_maskz_loadu_ps(a, p);
  else return _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(a, p), evens, _mm512_maskz_loadu_ps(b, p + 15));
}

template <std::size_t S>
__m512 load_full(const float* p, __m512i evens) {
  if constexpr (S == 1) return _mm512_loadu_ps(p);
  else return _mm512_permutex2var_ps(_mm512_loadu_ps(p), evens, _mm512_loadu_ps(p + 15));
}

// One vector whose windows leave the row (or fewer than 16 outputs): each
// tap's columns outside [0, width) masked off. Kept out of line so the
// interior loop has the registers to itself.
template <std::size_t K, std::size_t S>
[[gnu::noinline]] void edge_vector(const DwConv2dPlane& p, const float* const* rows, Index ow, const __m512* w, __m512i evens) {
  const DwConv2dShape& s = *p.shape;
  const Index x0 = ow * static_cast<Index>(S) - static_cast<Index>(s.pad_left);
  const Index n = std::min(kV, static_cast<Index>(s.out_w) - ow);
  float* y = p.y + ow;
  const __mmask16 out_lanes = lanes_between(0, n);
  TapMask masks[K];
  for (std::size_t j = 0; j < K; j++) masks[j] = tap_mask<S>(x0 + static_cast<Index>(j), static_cast<Index>(s.width), n);
  __m512 acc[2] = {_mm512_set1_ps(p.bias), p.accumulate ? _mm512_maskz_loadu_ps(out_lanes, y) : _mm512_setzero_ps()};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++)
      acc[i % 2] = _mm512_fmadd_ps(load<S>(rows[i] + x0 + static_cast<Index>(j), masks[j].a, masks[j].b, evens), w[i * K + j], acc[i % 2]);
  _mm512_mask_storeu_ps(y, out_lanes, clamp(_mm512_add_ps(acc[0], acc[1]), _mm512_set1_ps(p.min), _mm512_set1_ps(p.max)));
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  __m512 w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = _mm512_set1_ps(p.w[t]);
  const __m512 bias = _mm512_set1_ps(p.bias), lo = _mm512_set1_ps(p.min), hi = _mm512_set1_ps(p.max);
  // a's lanes 0, 2, ..., 14, then b's 1, 3, ..., 15 (b starts at p[15]).
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
  const Index out_w = static_cast<Index>(s.out_w), pl = static_cast<Index>(s.pad_left);
  const Index interior_lo = static_cast<Index>(p.lo), interior_hi = static_cast<Index>(p.hi);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    const DwConv2dPlane row_plane = {p.shape, p.x, p.w, p.accumulate, p.bias, p.min, p.max, p.zeros, p.lo, p.hi, p.y + oh * s.out_w};
    float* y = row_plane.y;
    Index ow = 0;
    for (; ow < out_w && (ow < interior_lo || ow + kV > interior_hi); ow += kV) edge_vector<K, S>(row_plane, rows, ow, w, evens);
    for (; ow + kV <= interior_hi; ow += kV) {
      const Index x0 = ow * static_cast<Index>(S) - pl;
      // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
      __m512 acc[2] = {bias, p.accumulate ? _mm512_loadu_ps(y + ow) : _mm512_setzero_ps()};
#pragma GCC unroll 5
      for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
        for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm512_fmadd_ps(load_full<S>(rows[i] + x0 + j, evens), w[i * K + j], acc[i % 2]);
      _mm512_storeu_ps(y + ow, clamp(_mm512_add_ps(acc[0], acc[1]), lo, hi));
    }
    for (; ow < out_w; ow += kV) edge_vector<K, S>(row_plane, rows, ow, w, evens);
  }
}

}  // namespace

void f32_dwconv2d_row16_avx512(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
