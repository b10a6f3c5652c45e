// AVX-512 2x2 stride-2 max pooling of int32 conv sums fused with their
// requantization to uint8/int8, for the conv sinks (shifted-conv.h): one
// pass from the tile rows to the output, instead of a pooled int32 buffer
// and a requantize call per row. Pooling before requantizing gives the same
// values (requantization is monotonic). The requantization is
// qs32-qx8-requantize's, step for step:
//   float(max + bias) (round to nearest even), one multiply, NaN -> +0,
//   max(lo, x), min(hi, x), round half to even (cvtps under the default
//   MXCSR), + zero point,
// lo/hi being the output range minus the zero point.
#include <immintrin.h>

#include <cstdint>

#include "shifted-conv.h"

namespace sparq {

void shifted_pool_requantize_avx512(const ShiftedPoolRequantize& p) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(p.out_min - p.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(p.out_max - p.zero_point));
  const __m512i zp = _mm512_set1_epi32(p.zero_point);
  const __mmask16 all = 0xFFFF;
  for (std::size_t r = 0; r < p.rows; ++r) {
    const int32_t* plane = p.sums + r * p.plane_stride;
    uint8_t* out = p.out + r * p.out_h * p.out_w;
    const __m512i bias = _mm512_set1_epi32(p.bias == nullptr ? 0 : p.bias[r]);
    const __m512 mult = _mm512_set1_ps(p.multipliers[r]);
    for (std::size_t oh = 0; oh < p.out_h; ++oh, out += p.out_w) {
      const int32_t* r0 = plane + 2 * oh * p.width;
      const int32_t* r1 = r0 + p.width;
      for (std::size_t ow = 0; ow < p.out_w; ow += 16) {
        const std::size_t n = p.out_w - ow < 16 ? p.out_w - ow : 16;
        const __mmask16 lo_mask = static_cast<__mmask16>(2 * n >= 16 ? 0xFFFF : (1u << (2 * n)) - 1);
        const __mmask16 hi_mask = static_cast<__mmask16>(2 * n > 16 ? (1u << (2 * n - 16)) - 1 : 0);
        const __m512i v0 = _mm512_maskz_max_epi32(all, _mm512_maskz_loadu_epi32(lo_mask, r0 + 2 * ow), _mm512_maskz_loadu_epi32(lo_mask, r1 + 2 * ow));
        const __m512i v1 = _mm512_maskz_max_epi32(all, _mm512_maskz_loadu_epi32(hi_mask, r0 + 2 * ow + 16), _mm512_maskz_loadu_epi32(hi_mask, r1 + 2 * ow + 16));
        const __m512i m = _mm512_maskz_max_epi32(all, _mm512_permutex2var_epi32(v0, even, v1), _mm512_permutex2var_epi32(v0, odd, v1));
        __m512 x = _mm512_maskz_mul_ps(all, _mm512_maskz_cvtepi32_ps(all, _mm512_maskz_add_epi32(all, m, bias)), mult);
        x = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x);  // NaN -> +0
        x = _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, x));
        const __m512i q = _mm512_maskz_add_epi32(all, _mm512_maskz_cvtps_epi32(all, x), zp);
        // In range after the clamp: truncation to bytes keeps every value.
        const __mmask16 first = static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1);
        _mm_mask_storeu_epi8(out + ow, first, _mm512_maskz_cvtepi32_epi8(all, q));
      }
    }
  }
}

}  // namespace sparq
