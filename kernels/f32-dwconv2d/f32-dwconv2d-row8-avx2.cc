// AVX2/FMA f32-dwconv2d plane of K x K kernels (3 or 5) at stride_w S (1 or
// 2): per output row, 8 outputs per vector across the whole row, the K*K
// weights broadcast once per plane (25 for 5x5 exceed the 16 registers; the
// spilled ones are FMA memory operands, L1 hits).
//
// Vectors inside the interior (every window column in the row) load
// without masks. The vectors at the row's ends, whose windows leave it
// (and the last partial one), load each tap with a mask of the lanes whose
// column lies in the row: vmaskmovps reads nothing under the masked-off
// lanes and never faults there, so the padding reads as zero and no scalar
// border code runs (a 7-wide map is one masked vector per row).
//
// Stride 2: the 8 outputs of tap j read the even columns of p[0..14]
// (p = row + 2*ow - PL + j): a = p[0..7] and b = p[7..14], shuffled to
// a0 a2 b1 b3 | a4 a6 b5 b7 and lane-permuted to a0 a2 a4 a6 b1 b3 b5 b7,
// so no load reaches past the last column the window uses.
#include <immintrin.h>

#include <algorithm>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kV = 8;

// Lanes l with lo <= l < hi.
__m256i lanes_between(Index lo, Index hi) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lo_v = _mm256_set1_epi32(static_cast<int>(std::clamp<Index>(lo, -1, kV)));
  const __m256i hi_v = _mm256_set1_epi32(static_cast<int>(std::clamp<Index>(hi, -1, kV)));
  return _mm256_andnot_si256(_mm256_cmpgt_epi32(lo_v, idx), _mm256_cmpgt_epi32(hi_v, idx));
}

__m256 even_columns(__m256 a, __m256 b) {
  const __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

template <std::size_t S>
__m256 load_full(const float* p) {
  if constexpr (S == 1) return _mm256_loadu_ps(p);
  else return even_columns(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 7));
}

// One tap's masks at an edge vector: the loaded elements e (p[e], from p[0]
// up to the last the vector's n outputs use) whose column c0 + e lies in [0, width).
struct TapMask {
  __m256i a, b;  // b: stride 2's second load, p[7..14]
};

template <std::size_t S>
TapMask tap_mask(Index c0, Index width, Index n) {
  const Index used = S == 1 ? n : 2 * n - 1;
  const Index lo = -c0, hi = std::min(used, width - c0);
  return {lanes_between(lo, hi), lanes_between(lo - 7, hi - 7)};
}

template <std::size_t S>
__m256 load_masked(const float* p, const TapMask& m) {
  if constexpr (S == 1) return _mm256_maskload_ps(p, m.a);
  else return even_columns(_mm256_maskload_ps(p, m.a), _mm256_maskload_ps(p + 7, m.b));
}

// An edge vector's masks (the same for every row of a plane): its n outputs
// at column ow, and for each kernel column j the lanes that lie in the row.
template <std::size_t K>
struct EdgeVector {
  Index ow, n;
  __m256i out;
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
                                   const __m256* w) {
  const Index x0 = e.ow * static_cast<Index>(S) - static_cast<Index>(p.shape->pad_left);
  float* y = y_row + e.ow;
  __m256 acc[2] = {_mm256_set1_ps(p.bias), p.accumulate ? _mm256_maskload_ps(y, e.out) : _mm256_setzero_ps()};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm256_fmadd_ps(load_masked<S>(rows[i] + x0 + static_cast<Index>(j), e.taps[j]), w[i * K + j], acc[i % 2]);
  _mm256_maskstore_ps(y, e.out, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_set1_ps(p.min)), _mm256_set1_ps(p.max)));
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  __m256 w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = _mm256_set1_ps(p.w[t]);
  const __m256 bias = _mm256_set1_ps(p.bias), lo = _mm256_set1_ps(p.min), hi = _mm256_set1_ps(p.max);
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
      for (int e = 0; e < edge_count; e++) edge_vector<K, S>(p, rows, y, edges[e], w);
    } else {
      for_each_edge([&](Index ow) { edge_vector<K, S>(p, rows, y, edge_at<K, S>(s, ow), w); });
    }
    for (Index ow = full_begin; ow < full_end; ow += kV) {
      const Index x0 = ow * static_cast<Index>(S) - pl;
      // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
      __m256 acc[2] = {bias, p.accumulate ? _mm256_loadu_ps(y + ow) : _mm256_setzero_ps()};
#pragma GCC unroll 5
      for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
        for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm256_fmadd_ps(load_full<S>(rows[i] + x0 + j), w[i * K + j], acc[i % 2]);
      _mm256_storeu_ps(y + ow, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc[0], acc[1]), lo), hi));
    }
  }
}

}  // namespace

void f32_dwconv2d_row8_avx2(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
