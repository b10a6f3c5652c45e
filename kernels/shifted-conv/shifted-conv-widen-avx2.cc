// AVX2 widening of uint8 image rows to float32 minus the zero point, for
// the padded images of the quantized direct convolutions (shifted-conv.h),
// as shifted-conv-widen-avx512.cc does where AVX-512 is missing: the portable
// loop ran at about an element per cycle and took a sixth of a pruned int8
// layer. The values are small integers, exact in float either way.
#include <immintrin.h>

#include <cstring>

#include "shifted-conv.h"

namespace sparq {

void shifted_widen_avx2(const uint8_t* in, std::size_t n, int32_t zero_point, float* out) {
  const __m256i zp = _mm256_set1_epi32(zero_point);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i)));
    _mm256_storeu_ps(out + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, zp)));
  }
  if (i < n) {
    // The last n - i < 8 bytes through a copy (the row may end the input),
    // stored under a mask (it may end the padded image).
    const int rest = static_cast<int>(n - i);
    uint64_t bytes = 0;
    std::memcpy(&bytes, in + i, n - i);
    const __m256i v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(bytes)));
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rest), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(out + i, mask, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, zp)));
  }
}

}  // namespace sparq
