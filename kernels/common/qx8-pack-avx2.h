// Narrowing int32 vectors (already within the int8/uint8 range) to bytes in
// element order, for the AVX2 quantize and requantize kernels. Included only
// by -avx2.cc files; internal linkage (anonymous namespace), so each includer
// compiles its own copy with its own flags and none can reach portable code.
#pragma once

#include <immintrin.h>

namespace sparq {
namespace {

// 4 x 8 int32 (already in range) -> 32 bytes in order. The 256-bit packs work
// per 128-bit lane, leaving 4-byte groups in the order a0 b0 c0 d0 | a1 b1 c1 d1
// (x0 = elements 0-3 of x, x1 = elements 4-7); the permute restores a0 a1 b0 b1 ...
template <bool kSigned>
inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b);
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i bytes = kSigned ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// 8 int32 -> 8 bytes in the low half of the result.
template <bool kSigned>
inline __m128i pack8(__m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return kSigned ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
}

}  // namespace
}  // namespace sparq
