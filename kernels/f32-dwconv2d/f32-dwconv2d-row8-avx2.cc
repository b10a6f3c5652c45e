// AVX2/FMA f32-dwconv2d plane of K x K kernels (3 or 5) at stride_w S (1 or
// 2): per output row, 8 outputs per vector across the interior columns, the
// K*K weights broadcast once per plane (25 for 5x5 exceed the 16 registers;
// the spilled ones are FMA memory operands, L1 hits), the last partial
// vector with masked loads and stores, the clipped border columns portable.
//
// Stride 2: the 8 outputs of tap j read the even columns of p[0..14]
// (p = row + 2*ow - PL + j): a = p[0..7] and b = p[7..14], shuffled to
// a0 a2 b1 b3 | a4 a6 b5 b7 and lane-permuted to a0 a2 a4 a6 b1 b3 b5 b7,
// so no load reaches past the last column the window uses.
#include <immintrin.h>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

constexpr std::size_t kV = 8;

// Lanes [0, n) set.
__m256i first_lanes(std::ptrdiff_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <std::size_t S>
__m256 load_full(const float* p) {
  if constexpr (S == 1) {
    return _mm256_loadu_ps(p);
  } else {
    const __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 7), _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
  }
}

// The first n < 8 outputs' columns of load_full, nothing read past them.
template <std::size_t S>
__m256 load_part(const float* p, std::size_t n) {
  if constexpr (S == 1) {
    return _mm256_maskload_ps(p, first_lanes(static_cast<std::ptrdiff_t>(n)));
  } else {
    const std::ptrdiff_t used = 2 * static_cast<std::ptrdiff_t>(n) - 1;  // p[0 .. 2n-2]
    const __m256 a = _mm256_maskload_ps(p, first_lanes(used)), b = _mm256_maskload_ps(p + 7, first_lanes(used - 7));
    const __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
  }
}

// `start`: y's values when accumulating, else zeros.
template <std::size_t K, std::size_t S, bool kFull>
__m256 window(const float* const* rows, std::size_t x0, const __m256* w, __m256 bias, __m256 start, std::size_t n) {
  // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
  __m256 acc[2] = {bias, start};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++) {
      const float* p = rows[i] + x0 + j;
      const __m256 v = kFull ? load_full<S>(p) : load_part<S>(p, n);
      acc[i % 2] = _mm256_fmadd_ps(v, w[i * K + j], acc[i % 2]);
    }
  }
  return _mm256_add_ps(acc[0], acc[1]);
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  __m256 w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = _mm256_set1_ps(p.w[t]);
  const __m256 bias = _mm256_set1_ps(p.bias), lo = _mm256_set1_ps(p.min), hi = _mm256_set1_ps(p.max);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    float* y = p.y + oh * s.out_w;
    f32_dwconv2d_columns(p, rows, 0, p.lo, y);
    std::size_t ow = p.lo;
    for (; ow + kV <= p.hi; ow += kV) {
      const __m256 start = p.accumulate ? _mm256_loadu_ps(y + ow) : _mm256_setzero_ps();
      const __m256 r = window<K, S, true>(rows, ow * S - s.pad_left, w, bias, start, kV);
      _mm256_storeu_ps(y + ow, _mm256_min_ps(_mm256_max_ps(r, lo), hi));
    }
    if (ow < p.hi) {
      const std::size_t n = p.hi - ow;
      const __m256i lanes = first_lanes(static_cast<std::ptrdiff_t>(n));
      const __m256 start = p.accumulate ? _mm256_maskload_ps(y + ow, lanes) : _mm256_setzero_ps();
      const __m256 r = window<K, S, false>(rows, ow * S - s.pad_left, w, bias, start, n);
      _mm256_maskstore_ps(y + ow, lanes, _mm256_min_ps(_mm256_max_ps(r, lo), hi));
    }
    f32_dwconv2d_columns(p, rows, p.hi, s.out_w, y);
  }
}

}  // namespace

void f32_dwconv2d_row8_avx2(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
