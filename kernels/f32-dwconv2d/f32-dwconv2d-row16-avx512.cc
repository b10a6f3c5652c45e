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

// An edge vector's masks (the same for every row of a plane): its n outputs
// at column ow, and for each kernel column j the lanes that lie in the row.
template <std::size_t K>
struct EdgeVector {
  Index ow, n;
  __mmask16 out;
  TapMask taps[K];
};

template <std::size_t K, std::size_t S>
EdgeVector<K> edge_at(const DwConv2dShape& s, Index ow) {
  EdgeVector<K> e;
  e.ow = ow;
  e.n = std::min(kV, static_cast<Index>(s.out_w) - ow);
  e.out = lanes_between(0, e.n);
  const Index x0 = ow * static_cast<Index>(S) - static_cast<Index>(s.pad_left);
  for (std::size_t j = 0; j < K; j++) e.taps[j] = tap_mask<S>(x0 + static_cast<Index>(j), static_cast<Index>(s.width), e.n);
  return e;
}

// One edge vector of the row at y_row. Kept out of line so the interior
// loop has the registers to itself.
template <std::size_t K, std::size_t S>
[[gnu::noinline]] void edge_vector(const DwConv2dPlane& p, const float* const* rows, float* y_row, const EdgeVector<K>& e,
                                   const __m512* w, __m512i evens) {
  const Index x0 = e.ow * static_cast<Index>(S) - static_cast<Index>(p.shape->pad_left);
  float* y = y_row + e.ow;
  __m512 acc[2] = {_mm512_set1_ps(p.bias), p.accumulate ? _mm512_maskz_loadu_ps(e.out, y) : _mm512_setzero_ps()};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm512_fmadd_ps(load<S>(rows[i] + x0 + static_cast<Index>(j), e.taps[j].a, e.taps[j].b, evens), w[i * K + j], acc[i % 2]);
  _mm512_mask_storeu_ps(y, e.out, clamp(_mm512_add_ps(acc[0], acc[1]), _mm512_set1_ps(p.min), _mm512_set1_ps(p.max)));
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
  // The row's vectors: edges over [0, full_begin) and [full_end, out_w), full ones between.
  const Index first_full = (static_cast<Index>(p.lo) + kV - 1) / kV * kV;
  const bool any_full = first_full + kV <= static_cast<Index>(p.hi);
  const Index full_begin = any_full ? first_full : (out_w + kV - 1) / kV * kV;
  const Index full_end = any_full ? full_begin + (static_cast<Index>(p.hi) - full_begin) / kV * kV : full_begin;
  const auto for_each_edge = [&](auto&& f) {
    for (Index ow = 0; ow < full_begin && ow < out_w; ow += kV) f(ow);
    for (Index ow = full_end; ow < out_w; ow += kV) f(ow);
  };
  // The edges' masks once per plane; pads beyond the kernel (ONNX allows
  // them) can make more edges than kept here, which then get theirs per row.
  constexpr int kKeptEdges = 4;
  EdgeVector<K> edges[kKeptEdges];
  int edge_count = 0;
  for_each_edge([&](Index ow) {
    if (edge_count < kKeptEdges) edges[edge_count] = edge_at<K, S>(s, ow);
    edge_count++;
  });
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    float* y = p.y + oh * s.out_w;
    if (edge_count <= kKeptEdges) {
      for (int e = 0; e < edge_count; e++) edge_vector<K, S>(p, rows, y, edges[e], w, evens);
    } else {
      for_each_edge([&](Index ow) { edge_vector<K, S>(p, rows, y, edge_at<K, S>(s, ow), w, evens); });
    }
    for (Index ow = full_begin; ow < full_end; ow += kV) {
      const Index x0 = ow * static_cast<Index>(S) - pl;
      // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
      __m512 acc[2] = {bias, p.accumulate ? _mm512_loadu_ps(y + ow) : _mm512_setzero_ps()};
#pragma GCC unroll 5
      for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
        for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm512_fmadd_ps(load_full<S>(rows[i] + x0 + j, evens), w[i * K + j], acc[i % 2]);
      _mm512_storeu_ps(y + ow, clamp(_mm512_add_ps(acc[0], acc[1]), lo, hi));
    }
  }
}

}  // namespace

void f32_dwconv2d_row16_avx512(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
