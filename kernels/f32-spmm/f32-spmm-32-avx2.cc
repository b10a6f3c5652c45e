// AVX2 f32-spmm, per output row:
// - M >= 32 left: 32 columns (four ymm accumulators) per step, so each
//   nonzero's index, value and broadcast serve four FMAs against four
//   contiguous loads of its X row;
// - then 8 columns at a time, the last one masked;
// - a single contiguous column (M = 1, the GEMV case): a dot product of the
//   row's values with X gathered at its indices, 8 nonzeros per gather and FMA.
// The bias seeds the accumulators; the clamp runs once per stored vector.
#include <immintrin.h>

#include <cstdint>

#include "f32-spmm.h"

namespace sparq {
namespace {

__m256i tail_mask(std::size_t remaining) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(remaining)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

float horizontal_sum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// y[n] for a contiguous X vector (ldx == 1: the indices are the offsets).
float row_dot(const F32Csr& w, std::size_t n, const float* x) {
  const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
  __m256 acc = _mm256_setzero_ps();
  int32_t p = p_begin;
  for (; p + 8 <= p_end; p += 8) {
    const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.indices + p));
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(w.values + p), _mm256_i32gather_ps(x, k, 4), acc);
  }
  float sum = horizontal_sum(acc);
  for (; p < p_end; ++p) sum += w.values[p] * x[w.indices[p]];
  return sum;
}

}  // namespace

void f32_spmm_32_avx2(const F32Csr& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                      std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                      const F32SpmmParams& params) {
  const __m256 lo = _mm256_set1_ps(params.min), hi = _mm256_set1_ps(params.max);
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const float bias_value = params.bias != nullptr ? params.bias[n] : 0.0f;
    const __m256 bias = _mm256_set1_ps(bias_value);
    const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
    float* yr = y + n * ldy;
    if (m_end - m_begin == 1 && ldx == 1) {
      const float v = bias_value + row_dot(w, n, x + m_begin);
      yr[m_begin] = _mm_cvtss_f32(_mm_min_ss(_mm_max_ss(_mm_set_ss(v), _mm256_castps256_ps128(lo)), _mm256_castps256_ps128(hi)));
      continue;
    }
    std::size_t m0 = m_begin;
    for (; m0 + 32 <= m_end; m0 += 32) {
      __m256 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
      for (int32_t p = p_begin; p < p_end; ++p) {
        const __m256 v = _mm256_broadcast_ss(w.values + p);
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr), a0);
        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8), a1);
        a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 16), a2);
        a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 24), a3);
      }
      _mm256_storeu_ps(yr + m0, _mm256_min_ps(_mm256_max_ps(a0, lo), hi));
      _mm256_storeu_ps(yr + m0 + 8, _mm256_min_ps(_mm256_max_ps(a1, lo), hi));
      _mm256_storeu_ps(yr + m0 + 16, _mm256_min_ps(_mm256_max_ps(a2, lo), hi));
      _mm256_storeu_ps(yr + m0 + 24, _mm256_min_ps(_mm256_max_ps(a3, lo), hi));
    }
    for (; m0 < m_end; m0 += 8) {
      const __m256i mask = tail_mask(m_end - m0);
      __m256 a = bias;
      for (int32_t p = p_begin; p < p_end; ++p) {
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        a = _mm256_fmadd_ps(_mm256_broadcast_ss(w.values + p), _mm256_maskload_ps(xr, mask), a);
      }
      _mm256_maskstore_ps(yr + m0, mask, _mm256_min_ps(_mm256_max_ps(a, lo), hi));
    }
  }
}

}  // namespace sparq
