// AVX-512 f32-spmm, per output row:
// - 64 columns (four zmm accumulators) per step: each nonzero's index, value
//   and broadcast serve four FMAs against four contiguous loads of its X row;
// - then 16 columns at a time, the last one masked;
// - a single contiguous column (M = 1, the GEMV case): a dot product of the
//   row's values with X gathered at its indices, 16 nonzeros per gather.
// The bias seeds the accumulators; the clamp runs once per stored vector.
// Min/max, the gather and the lane extract are written as all-lanes masked
// ops: the same instructions, without GCC 12's false -Wmaybe-uninitialized on
// the plain intrinsics (bug 105593).
#include <immintrin.h>

#include <cstdint>

#include "f32-spmm.h"

namespace sparq {
namespace {

constexpr __mmask16 kAll = 0xffff;

__m512 clamp(__m512 v, __m512 lo, __m512 hi) {
  return _mm512_maskz_min_ps(kAll, _mm512_maskz_max_ps(kAll, v, lo), hi);
}

float row_dot(const F32Csr& w, std::size_t n, const float* x) {
  const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
  __m512 acc = _mm512_setzero_ps();
  int32_t p = p_begin;
  for (; p + 16 <= p_end; p += 16) {
    const __m512i k = _mm512_loadu_si512(w.indices + p);
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + p), _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll, k, x, 4), acc);
  }
  if (p < p_end) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (p_end - p)) - 1);
    const __m512i k = _mm512_maskz_loadu_epi32(mask, w.indices + p);
    const __m512 xv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, k, x, 4);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, w.values + p), xv, acc);
  }
  // Halving sums: 256-bit halves, 128-bit quarters, then within 128 bits.
  __m512 t = _mm512_maskz_add_ps(kAll, acc, _mm512_maskz_shuffle_f32x4(kAll, acc, acc, 0x4e));
  t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_shuffle_f32x4(kAll, t, t, 0xb1));
  t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_permute_ps(kAll, t, 0x4e));
  t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_permute_ps(kAll, t, 0xb1));
  return _mm512_cvtss_f32(t);
}

}  // namespace

void f32_spmm_64_avx512(const F32Csr& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                        std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                        const F32SpmmParams& params) {
  const __m512 lo = _mm512_set1_ps(params.min), hi = _mm512_set1_ps(params.max);
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const float bias_value = params.bias != nullptr ? params.bias[n] : 0.0f;
    const __m512 bias = _mm512_set1_ps(bias_value);
    const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
    float* yr = y + n * ldy;
    if (m_end - m_begin == 1 && ldx == 1) {
      const __m512 v = _mm512_set1_ps(bias_value + row_dot(w, n, x + m_begin));
      _mm512_mask_storeu_ps(yr + m_begin, 1, clamp(v, lo, hi));
      continue;
    }
    std::size_t m0 = m_begin;
    for (; m0 + 64 <= m_end; m0 += 64) {
      __m512 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
      for (int32_t p = p_begin; p < p_end; ++p) {
        const __m512 v = _mm512_set1_ps(w.values[p]);
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        a0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr), a0);
        a1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 16), a1);
        a2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 32), a2);
        a3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(xr + 48), a3);
      }
      _mm512_storeu_ps(yr + m0, clamp(a0, lo, hi));
      _mm512_storeu_ps(yr + m0 + 16, clamp(a1, lo, hi));
      _mm512_storeu_ps(yr + m0 + 32, clamp(a2, lo, hi));
      _mm512_storeu_ps(yr + m0 + 48, clamp(a3, lo, hi));
    }
    for (; m0 < m_end; m0 += 16) {
      const std::size_t left = m_end - m0;
      const __mmask16 mask = left >= 16 ? kAll : static_cast<__mmask16>((1u << left) - 1);
      __m512 a = bias;
      for (int32_t p = p_begin; p < p_end; ++p) {
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        a = _mm512_fmadd_ps(_mm512_set1_ps(w.values[p]), _mm512_maskz_loadu_ps(mask, xr), a);
      }
      _mm512_mask_storeu_ps(yr + m0, mask, clamp(a, lo, hi));
    }
  }
}

}  // namespace sparq
