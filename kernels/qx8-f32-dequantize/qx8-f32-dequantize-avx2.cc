// AVX2 qx8-f32-dequantize: 32 values per iteration (four 8-byte widening
// loads), then 8, then a tail through a small buffer; each step is the scalar
// variant's, so results match it bit for bit:
//   vpmovzxbd / vpmovsxbd, vpsubd (wrapping), cvtepi32_ps, one mul_ps.
//
// Everything here is file-local except the entry points, so no AVX2 code can
// be picked by the linker for a portable caller.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "qx8-f32-dequantize.h"

namespace sparq {
namespace {

// 8 bytes at p -> 8 int32, zero- or sign-extended.
template <bool kSigned>
inline __m256i widen8(const uint8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return kSigned ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

template <bool kSigned>
void dequantize(std::size_t n, const uint8_t* x, float scale, int32_t zero_point, float* y) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  auto convert = [&](__m256i v) { return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, zp)), s); };
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_ps(y + i, convert(widen8<kSigned>(x + i)));
    _mm256_storeu_ps(y + i + 8, convert(widen8<kSigned>(x + i + 8)));
    _mm256_storeu_ps(y + i + 16, convert(widen8<kSigned>(x + i + 16)));
    _mm256_storeu_ps(y + i + 24, convert(widen8<kSigned>(x + i + 24)));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, convert(widen8<kSigned>(x + i)));
  if (i < n) {
    // Copy the last n - i < 8 bytes so the 8-byte load stays inside x.
    uint8_t bytes[8] = {0};
    std::memcpy(bytes, x + i, n - i);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, convert(widen8<kSigned>(bytes)));
  }
}

}  // namespace

void qx8_f32_dequantize_avx2_from_uint8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize<false>(n, static_cast<const uint8_t*>(x), scale, zero_point, y);
}

void qx8_f32_dequantize_avx2_from_int8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize<true>(n, static_cast<const uint8_t*>(x), scale, zero_point, y);
}

}  // namespace sparq
