// AVX2 f32-minmax: four min and four max accumulators over 32 values per
// iteration, then 8, then a NaN-padded tail. min_ps(x, acc) is
// `x < acc ? x : acc` and returns acc when x is NaN, so NaN lanes are skipped
// (the accumulators start at +-inf and never become NaN). Min and max are
// exact selections, so the order of the reduction only matters for the sign
// of a zero result, which both variants canonicalize to +0.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <cstring>

#include "f32-minmax.h"

namespace sparq {

void f32_minmax_avx2(std::size_t n, const float* x, float* min, float* max) {
  assert(min != nullptr && max != nullptr);
  __m256 lo0 = _mm256_set1_ps(INFINITY), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  __m256 hi0 = _mm256_set1_ps(-INFINITY), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    lo0 = _mm256_min_ps(a, lo0), hi0 = _mm256_max_ps(a, hi0);
    lo1 = _mm256_min_ps(b, lo1), hi1 = _mm256_max_ps(b, hi1);
    lo2 = _mm256_min_ps(c, lo2), hi2 = _mm256_max_ps(c, hi2);
    lo3 = _mm256_min_ps(d, lo3), hi3 = _mm256_max_ps(d, hi3);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_loadu_ps(x + i);
    lo0 = _mm256_min_ps(a, lo0), hi0 = _mm256_max_ps(a, hi0);
  }
  if (i < n) {
    // NaN padding is ignored by the min/max steps, like NaN inputs.
    float tail[8] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    std::memcpy(tail, x + i, (n - i) * sizeof(float));
    const __m256 a = _mm256_loadu_ps(tail);
    lo1 = _mm256_min_ps(a, lo1), hi1 = _mm256_max_ps(a, hi1);
  }
  __m256 lo = _mm256_min_ps(_mm256_min_ps(lo0, lo1), _mm256_min_ps(lo2, lo3));
  __m256 hi = _mm256_max_ps(_mm256_max_ps(hi0, hi1), _mm256_max_ps(hi2, hi3));
  __m128 l = _mm_min_ps(_mm256_castps256_ps128(lo), _mm256_extractf128_ps(lo, 1));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(hi), _mm256_extractf128_ps(hi, 1));
  l = _mm_min_ps(l, _mm_movehl_ps(l, l));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  l = _mm_min_ss(l, _mm_shuffle_ps(l, l, 1));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  const float lo_f = _mm_cvtss_f32(l), hi_f = _mm_cvtss_f32(h);
  *min = lo_f == 0.0f ? 0.0f : lo_f;
  *max = hi_f == 0.0f ? 0.0f : hi_f;
}

}  // namespace sparq
