// AVX-512 2x2 stride-2 max pooling of float32 and int32 planes without
// padding (the usual CNN downsampling, and the pool fused into direct
// convolutions, which pools int32 sums). The portable kernel leaves rows
// shorter than 16 outputs (a CIFAR map's 15) to scalar code.
//
// Per 16 outputs of a row: two 32-value loads per input row, split into the
// even and odd columns (vpermt2ps), then the window in row-major order as
// m = max(v, m) from the first value on: vmaxps(v, m) returns m when either
// is NaN or both are zeros, so NaN never wins and of +0/-0 the first stays,
// the float semantics of f32-maxpool.h (from -infinity, the first max keeps
// its value unless NaN, which the next max then replaces: same result).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "f32-maxpool.h"

namespace sparq {
namespace {

struct Split {
  __m512i even, odd;
};

Split split_indices() {
  return {_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
          _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)};
}

__mmask16 first(std::size_t n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1); }

// m = v > m ? v : m, lane by lane (all-lanes masked form: GCC 12 warns on the unmasked one, bug 105593).
__m512 keep_max(__m512 v, __m512 m) { return _mm512_maskz_max_ps(0xFFFF, v, m); }

}  // namespace

void f32_maxpool_2x2s2_avx512(const MaxPoolShape& s, const float* x, float* y) {
  const Split idx = split_indices();
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  for (std::size_t p = 0; p < s.planes; p++) {
    const float* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const float* r0 = plane + 2 * oh * s.width;
      const float* r1 = r0 + s.width;
      for (std::size_t ow = 0; ow < s.out_w; ow += 16) {
        const std::size_t n = s.out_w - ow < 16 ? s.out_w - ow : 16;
        const __mmask16 lo = first(2 * n), hi = first(2 * n > 16 ? 2 * n - 16 : 0);
        const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ow), b0 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ow + 16);
        const __m512 a1 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ow), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ow + 16);
        __m512 m = keep_max(_mm512_permutex2var_ps(a0, idx.even, b0), lowest);
        m = keep_max(_mm512_permutex2var_ps(a0, idx.odd, b0), m);
        m = keep_max(_mm512_permutex2var_ps(a1, idx.even, b1), m);
        m = keep_max(_mm512_permutex2var_ps(a1, idx.odd, b1), m);
        _mm512_mask_storeu_ps(y + ow, first(n), m);
      }
    }
  }
}

void s32_maxpool_2x2s2_avx512(const MaxPoolShape& s, const int32_t* x, int32_t* y) {
  const Split idx = split_indices();
  for (std::size_t p = 0; p < s.planes; p++) {
    const int32_t* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const int32_t* r0 = plane + 2 * oh * s.width;
      const int32_t* r1 = r0 + s.width;
      for (std::size_t ow = 0; ow < s.out_w; ow += 16) {
        const std::size_t n = s.out_w - ow < 16 ? s.out_w - ow : 16;
        const __mmask16 lo = first(2 * n), hi = first(2 * n > 16 ? 2 * n - 16 : 0);
        const __m512i v0 = _mm512_maskz_max_epi32(0xFFFF, _mm512_maskz_loadu_epi32(lo, r0 + 2 * ow), _mm512_maskz_loadu_epi32(lo, r1 + 2 * ow));
        const __m512i v1 = _mm512_maskz_max_epi32(0xFFFF, _mm512_maskz_loadu_epi32(hi, r0 + 2 * ow + 16), _mm512_maskz_loadu_epi32(hi, r1 + 2 * ow + 16));
        const __m512i m = _mm512_maskz_max_epi32(0xFFFF, _mm512_permutex2var_epi32(v0, idx.even, v1), _mm512_permutex2var_epi32(v0, idx.odd, v1));
        _mm512_mask_storeu_epi32(y + ow, first(n), m);
      }
    }
  }
}

}  // namespace sparq
