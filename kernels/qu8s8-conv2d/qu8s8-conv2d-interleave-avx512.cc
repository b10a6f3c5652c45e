// AVX-512 interleaving of 4 uint8 channel rows into 32-bit position words
// (qu8s8-conv2d's image layout): 16 positions per step, each channel
// zero-extended to a lane and shifted into its byte. The portable loop
// assembled words byte by byte and was a fifth of a pruned layer.
#include <immintrin.h>

#include "qu8s8-conv2d.h"

namespace sparq {

void qu8s8_conv2d_interleave_avx512(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                    std::size_t n, uint32_t* out) {
  const __mmask16 all = 0xFFFF;
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512i b0 = _mm512_maskz_cvtepu8_epi32(all, _mm_maskz_loadu_epi8(m, c0 + i));
    const __m512i b1 = _mm512_maskz_cvtepu8_epi32(all, _mm_maskz_loadu_epi8(m, c1 + i));
    const __m512i b2 = _mm512_maskz_cvtepu8_epi32(all, _mm_maskz_loadu_epi8(m, c2 + i));
    const __m512i b3 = _mm512_maskz_cvtepu8_epi32(all, _mm_maskz_loadu_epi8(m, c3 + i));
    const __m512i lo = _mm512_maskz_or_epi32(all, b0, _mm512_maskz_slli_epi32(all, b1, 8));
    const __m512i hi = _mm512_maskz_or_epi32(all, _mm512_maskz_slli_epi32(all, b2, 16), _mm512_maskz_slli_epi32(all, b3, 24));
    _mm512_mask_storeu_epi32(out + i, m, _mm512_maskz_or_epi32(all, lo, hi));
  }
}

}  // namespace sparq
