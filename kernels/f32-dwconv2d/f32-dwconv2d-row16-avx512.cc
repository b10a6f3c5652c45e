// AVX-512 f32-dwconv2d plane of K x K kernels (3 or 5) at stride_w S (1 or
// 2): per output row, 16 outputs per vector across the interior columns,
// the K*K weights broadcast once per plane into registers (25 of the 32 for
// 5x5), the last partial vector masked (so a 7- or 14-wide map still runs
// in vectors), the clipped border columns portable.
//
// Stride 2: the 16 outputs of tap j read the even columns of p[0..30]
// (p = row + 2*ow - PL + j): a = p[0..15] and b = p[15..30], combined by
// vpermt2ps (a's even lanes, then b's odd ones), so no load reaches past
// the last column the window uses.
#include <immintrin.h>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

constexpr std::size_t kV = 16;

__mmask16 first_lanes(std::ptrdiff_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
}

// clamp(v, lo, hi) (all-lanes masked forms: GCC 12 warns on the unmasked ones, bug 105593).
__m512 clamp(__m512 v, __m512 lo, __m512 hi) { return _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, v, lo), hi); }

template <std::size_t S>
__m512 load(const float* p, std::size_t n, __m512i evens) {
  if constexpr (S == 1) {
    return _mm512_maskz_loadu_ps(first_lanes(static_cast<std::ptrdiff_t>(n)), p);
  } else {
    const std::ptrdiff_t used = 2 * static_cast<std::ptrdiff_t>(n) - 1;  // p[0 .. 2n-2]
    const __m512 a = _mm512_maskz_loadu_ps(first_lanes(used), p), b = _mm512_maskz_loadu_ps(first_lanes(used - 15), p + 15);
    return _mm512_permutex2var_ps(a, evens, b);
  }
}

// `start`: y's values when accumulating, else zeros.
template <std::size_t K, std::size_t S>
__m512 window(const float* const* rows, std::size_t x0, const __m512* w, __m512 bias, __m512 start, std::size_t n, __m512i evens) {
  // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
  __m512 acc[2] = {bias, start};
#pragma GCC unroll 5
  for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
    for (std::size_t j = 0; j < K; j++)
      acc[i % 2] = _mm512_fmadd_ps(load<S>(rows[i] + x0 + j, n, evens), w[i * K + j], acc[i % 2]);
  }
  return _mm512_add_ps(acc[0], acc[1]);
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  __m512 w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = _mm512_set1_ps(p.w[t]);
  const __m512 bias = _mm512_set1_ps(p.bias), lo = _mm512_set1_ps(p.min), hi = _mm512_set1_ps(p.max);
  // a's lanes 0, 2, ..., 14, then b's 1, 3, ..., 15 (b starts at p[15]).
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    float* y = p.y + oh * s.out_w;
    f32_dwconv2d_columns(p, rows, 0, p.lo, y);
    for (std::size_t ow = p.lo; ow < p.hi; ow += kV) {
      const std::size_t n = p.hi - ow < kV ? p.hi - ow : kV;
      const __mmask16 lanes = first_lanes(static_cast<std::ptrdiff_t>(n));
      const __m512 start = p.accumulate ? _mm512_maskz_loadu_ps(lanes, y + ow) : _mm512_setzero_ps();
      const __m512 r = window<K, S>(rows, ow * S - s.pad_left, w, bias, start, n, evens);
      _mm512_mask_storeu_ps(y + ow, lanes, clamp(r, lo, hi));
    }
    f32_dwconv2d_columns(p, rows, p.hi, s.out_w, y);
  }
}

}  // namespace

void f32_dwconv2d_row16_avx512(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
