// AVX2 f32-spmm: per output row, 16 columns of M (two ymm accumulators) per
// step; each nonzero is one broadcast and two FMAs against two contiguous
// loads of its X row. The bias seeds the accumulators; the clamp runs once
// per step. A masked 8-wide tail covers M % 16.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "f32-spmm.h"

namespace sparq {
namespace {

__m256i tail_mask(std::size_t remaining) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(remaining)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

void f32_spmm_16_avx2(const F32Csr& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                      std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                      const F32SpmmParams& params) {
  const __m256 lo = _mm256_set1_ps(params.min), hi = _mm256_set1_ps(params.max);
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const __m256 bias = _mm256_set1_ps(params.bias != nullptr ? params.bias[n] : 0.0f);
    const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
    float* yr = y + n * ldy;
    std::size_t m0 = m_begin;
    for (; m0 + 16 <= m_end; m0 += 16) {
      __m256 a0 = bias, a1 = bias;
      for (int32_t p = p_begin; p < p_end; ++p) {
        const __m256 v = _mm256_broadcast_ss(w.values + p);
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr), a0);
        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8), a1);
      }
      _mm256_storeu_ps(yr + m0, _mm256_min_ps(_mm256_max_ps(a0, lo), hi));
      _mm256_storeu_ps(yr + m0 + 8, _mm256_min_ps(_mm256_max_ps(a1, lo), hi));
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
