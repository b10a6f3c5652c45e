// AVX2 2x2 stride-2 max pooling of float32 and int32 planes without
// padding, the counterpart of f32-maxpool-2x2s2-avx512.cc with the same
// results.
//
// Per 8 outputs of a row: two 8-value loads per input row, split into the
// even and odd columns (vshufps picks them within 128-bit lanes, vpermpd
// puts the 64-bit halves in order), then the window in row-major order as
// m = max(v, m) from -infinity: vmaxps(v, m) is v > m ? v : m, returning m
// when either is NaN or both are zeros, so NaN never wins and of +0/-0 the
// first stays, the float semantics of f32-maxpool.h. The last n < 8 outputs
// of a row load and store only their 2n inputs and n outputs (vmaskmov).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "f32-maxpool.h"

namespace sparq {
namespace {

// Lanes [0, n) set, n clamped to [0, 8].
__m256i first(std::size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 8 ? n : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Columns 0, 2, .., 14 (even) or 1, 3, .., 15 (odd) of the 16 values a, b.
__m256 even(__m256 a, __m256 b) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
}
__m256 odd(__m256 a, __m256 b) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
}

// The window maxima of 8 outputs from rows r0, r1 (16 values each, as loaded).
__m256 window_max(__m256 a0, __m256 b0, __m256 a1, __m256 b1) {
  __m256 m = _mm256_max_ps(even(a0, b0), _mm256_set1_ps(-INFINITY));
  m = _mm256_max_ps(odd(a0, b0), m);
  m = _mm256_max_ps(even(a1, b1), m);
  return _mm256_max_ps(odd(a1, b1), m);
}

__m256i window_max(__m256i a0, __m256i b0, __m256i a1, __m256i b1) {
  // Integer max is order-free: the rows first, then the column pairs.
  const __m256 a = _mm256_castsi256_ps(_mm256_max_epi32(a0, a1)), b = _mm256_castsi256_ps(_mm256_max_epi32(b0, b1));
  return _mm256_max_epi32(_mm256_castps_si256(even(a, b)), _mm256_castps_si256(odd(a, b)));
}

}  // namespace

void f32_maxpool_2x2s2_avx2(const MaxPoolShape& s, const float* x, float* y) {
  for (std::size_t p = 0; p < s.planes; p++) {
    const float* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const float* r0 = plane + 2 * oh * s.width;
      const float* r1 = r0 + s.width;
      std::size_t ow = 0;
      for (; ow + 8 <= s.out_w; ow += 8)
        _mm256_storeu_ps(y + ow, window_max(_mm256_loadu_ps(r0 + 2 * ow), _mm256_loadu_ps(r0 + 2 * ow + 8),
                                            _mm256_loadu_ps(r1 + 2 * ow), _mm256_loadu_ps(r1 + 2 * ow + 8)));
      if (ow == s.out_w) continue;
      const std::size_t n = s.out_w - ow;
      const __m256i lo = first(2 * n), hi = first(2 * n > 8 ? 2 * n - 8 : 0);
      _mm256_maskstore_ps(y + ow, first(n), window_max(_mm256_maskload_ps(r0 + 2 * ow, lo), _mm256_maskload_ps(r0 + 2 * ow + 8, hi),
                                                       _mm256_maskload_ps(r1 + 2 * ow, lo), _mm256_maskload_ps(r1 + 2 * ow + 8, hi)));
    }
  }
}

void s32_maxpool_2x2s2_avx2(const MaxPoolShape& s, const int32_t* x, int32_t* y) {
  auto load = [](const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
  auto load_masked = [](const int32_t* p, __m256i m) { return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), m); };
  for (std::size_t p = 0; p < s.planes; p++) {
    const int32_t* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const int32_t* r0 = plane + 2 * oh * s.width;
      const int32_t* r1 = r0 + s.width;
      std::size_t ow = 0;
      for (; ow + 8 <= s.out_w; ow += 8)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + ow),
                            window_max(load(r0 + 2 * ow), load(r0 + 2 * ow + 8), load(r1 + 2 * ow), load(r1 + 2 * ow + 8)));
      if (ow == s.out_w) continue;
      const std::size_t n = s.out_w - ow;
      const __m256i lo = first(2 * n), hi = first(2 * n > 8 ? 2 * n - 8 : 0);
      _mm256_maskstore_epi32(reinterpret_cast<int*>(y + ow), first(n),
                             window_max(load_masked(r0 + 2 * ow, lo), load_masked(r0 + 2 * ow + 8, hi),
                                        load_masked(r1 + 2 * ow, lo), load_masked(r1 + 2 * ow + 8, hi)));
    }
  }
}

}  // namespace sparq
