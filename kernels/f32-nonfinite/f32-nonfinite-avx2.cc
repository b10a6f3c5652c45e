// AVX2 f32-nonfinite: acc = x * 0 + acc stays +0 for finite x and becomes NaN
// (for good) at the first Inf or NaN, one FMA per vector with the load folded
// in; four accumulators cover the FMA latency. The tail is read with a masked
// load (masked-off lanes read as 0).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "f32-nonfinite.h"

namespace sparq {

bool f32_nonfinite_avx2(std::size_t n, const float* x, float* copy) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    const __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
    if (copy != nullptr) {
      _mm256_storeu_ps(copy + i, v0), _mm256_storeu_ps(copy + i + 8, v1);
      _mm256_storeu_ps(copy + i + 16, v2), _mm256_storeu_ps(copy + i + 24, v3);
    }
    a0 = _mm256_fmadd_ps(v0, zero, a0), a1 = _mm256_fmadd_ps(v1, zero, a1);
    a2 = _mm256_fmadd_ps(v2, zero, a2), a3 = _mm256_fmadd_ps(v3, zero, a3);
  }
  for (; i < n; i += 8) {
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<std::size_t>(n - i, 8))),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 v = _mm256_maskload_ps(x + i, lanes);
    if (copy != nullptr) _mm256_maskstore_ps(copy + i, lanes, v);
    a0 = _mm256_fmadd_ps(v, zero, a0);
  }
  const __m256 acc = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  return _mm256_movemask_ps(_mm256_cmp_ps(acc, acc, _CMP_UNORD_Q)) != 0;
}

}  // namespace sparq
