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

// One vector whose windows leave the row (or fewer than 8 outputs): each
// tap's columns outside [0, width) masked off. Kept out of line so the
// interior loop has the registers to itself.
template <std::size_t K, std::size_t S>
[[gnu::noinline]] void edge_vector(const DwConv2dPlane& p, const float* const* rows, Index ow, const __m256* w) {
  const DwConv2dShape& s = *p.shape;
  const Index x0 = ow * static_cast<Index>(S) - static_cast<Index>(s.pad_left);
  const Index n = std::min(kV, static_cast<Index>(s.out_w) - ow);
  float* y = p.y + ow;
  const __m256i out_lanes = lanes_between(0, n);
  TapMask masks[K];
  for (std::size_t j = 0; j < K; j++) masks[j] = tap_mask<S>(x0 + static_cast<Index>(j), static_cast<Index>(s.width), n);
  __m256 acc[2] = {_mm256_set1_ps(p.bias), p.accumulate ? _mm256_maskload_ps(y, out_lanes) : _mm256_setzero_ps()};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++)
      acc[i % 2] = _mm256_fmadd_ps(load_masked<S>(rows[i] + x0 + static_cast<Index>(j), masks[j]), w[i * K + j], acc[i % 2]);
  const __m256 r = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_set1_ps(p.min)), _mm256_set1_ps(p.max));
  _mm256_maskstore_ps(y, out_lanes, r);
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  __m256 w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = _mm256_set1_ps(p.w[t]);
  const __m256 bias = _mm256_set1_ps(p.bias), lo = _mm256_set1_ps(p.min), hi = _mm256_set1_ps(p.max);
  const Index out_w = static_cast<Index>(s.out_w), pl = static_cast<Index>(s.pad_left);
  const Index interior_lo = static_cast<Index>(p.lo), interior_hi = static_cast<Index>(p.hi);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    const DwConv2dPlane row_plane = {p.shape, p.x, p.w, p.accumulate, p.bias, p.min, p.max, p.zeros, p.lo, p.hi, p.y + oh * s.out_w};
    float* y = row_plane.y;
    Index ow = 0;
    for (; ow < out_w && (ow < interior_lo || ow + kV > interior_hi); ow += kV) edge_vector<K, S>(row_plane, rows, ow, w);
    for (; ow + kV <= interior_hi; ow += kV) {
      const Index x0 = ow * static_cast<Index>(S) - pl;
      // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
      __m256 acc[2] = {bias, p.accumulate ? _mm256_loadu_ps(y + ow) : _mm256_setzero_ps()};
#pragma GCC unroll 5
      for (std::size_t i = 0; i < K; i++)
#pragma GCC unroll 5
        for (std::size_t j = 0; j < K; j++) acc[i % 2] = _mm256_fmadd_ps(load_full<S>(rows[i] + x0 + j), w[i * K + j], acc[i % 2]);
      _mm256_storeu_ps(y + ow, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc[0], acc[1]), lo), hi));
    }
    for (; ow < out_w; ow += kV) edge_vector<K, S>(row_plane, rows, ow, w);
  }
}

}  // namespace

void f32_dwconv2d_row8_avx2(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
