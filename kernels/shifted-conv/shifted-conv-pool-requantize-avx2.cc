// AVX2 2x2 stride-2 max pooling of int32 conv sums fused with their
// requantization to uint8/int8 (shifted-conv.h), as
// shifted-conv-pool-requantize-avx512.cc does where AVX-512 is missing: one
// pass from the tile rows to the output, 8 outputs at a time. The
// requantization is qs32-qx8-requantize's, step for step:
//   float(max + bias) (round to nearest even), one multiply, NaN -> +0,
//   max(lo, x), min(hi, x), round half to even (cvtps under the default
//   MXCSR), + zero point,
// lo/hi being the output range minus the zero point.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "shifted-conv.h"

namespace sparq {

namespace {

// Lanes [0, n) set, n <= 8.
inline __m256i first_lanes(std::size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// max over the 2x2 windows of 8 outputs: 16 sums of rows r0 and r1 from
// column 2 * ow, the first 2n of them read (masked loads past a row's last
// window, which may end the scratch).
inline __m256i window_max(const int32_t* r0, const int32_t* r1, std::size_t n) {
  __m256i a0, a1, b0, b1;
  if (n == 8) {
    a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0));
    a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + 8));
    b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1));
    b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1 + 8));
  } else {
    const __m256i m0 = first_lanes(2 * n >= 8 ? 8 : 2 * n), m1 = first_lanes(2 * n > 8 ? 2 * n - 8 : 0);
    a0 = _mm256_maskload_epi32(reinterpret_cast<const int*>(r0), m0);
    a1 = _mm256_maskload_epi32(reinterpret_cast<const int*>(r0 + 8), m1);
    b0 = _mm256_maskload_epi32(reinterpret_cast<const int*>(r1), m0);
    b1 = _mm256_maskload_epi32(reinterpret_cast<const int*>(r1 + 8), m1);
  }
  // Vertical max, then even and odd columns side by side: shufps works per
  // 128-bit lane (outputs 0 1 4 5 | 2 3 6 7), and one permute restores the order.
  const __m256 v0 = _mm256_castsi256_ps(_mm256_max_epi32(a0, b0)), v1 = _mm256_castsi256_ps(_mm256_max_epi32(a1, b1));
  const __m256i even = _mm256_castps_si256(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m256i odd = _mm256_castps_si256(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm256_permute4x64_epi64(_mm256_max_epi32(even, odd), _MM_SHUFFLE(3, 1, 2, 0));
}

}  // namespace

void shifted_pool_requantize_avx2(const ShiftedPoolRequantize& p) {
  const __m256 lo = _mm256_set1_ps(static_cast<float>(p.out_min - p.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(p.out_max - p.zero_point));
  const __m256i zp = _mm256_set1_epi32(p.zero_point);
  const __m256i low_byte = _mm256_set1_epi32(0xFF);
  for (std::size_t r = 0; r < p.rows; ++r) {
    const int32_t* plane = p.sums + r * p.plane_stride;
    uint8_t* out = p.out + r * p.out_h * p.out_w;
    const __m256i bias = _mm256_set1_epi32(p.bias == nullptr ? 0 : p.bias[r]);
    const __m256 mult = _mm256_set1_ps(p.multipliers[r]);
    for (std::size_t oh = 0; oh < p.out_h; ++oh, out += p.out_w) {
      const int32_t* r0 = plane + 2 * oh * p.width;
      const int32_t* r1 = r0 + p.width;
      for (std::size_t ow = 0; ow < p.out_w; ow += 8) {
        const std::size_t n = p.out_w - ow < 8 ? p.out_w - ow : 8;
        const __m256i m = window_max(r0 + 2 * ow, r1 + 2 * ow, n);
        __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(m, bias)), mult);
        x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q));  // NaN -> +0
        x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
        // In range after the clamp: the low byte of each value is its uint8
        // or int8 byte, and the masked values pack to bytes without saturating.
        const __m256i q = _mm256_and_si256(_mm256_add_epi32(_mm256_cvtps_epi32(x), zp), low_byte);
        const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        const __m128i bytes = _mm_packus_epi16(words, words);
        if (n == 8) {
          _mm_storel_epi64(reinterpret_cast<__m128i*>(out + ow), bytes);
        } else {
          const uint64_t all = static_cast<uint64_t>(_mm_cvtsi128_si64(bytes));
          std::memcpy(out + ow, &all, n);
        }
      }
    }
  }
}

}  // namespace sparq
