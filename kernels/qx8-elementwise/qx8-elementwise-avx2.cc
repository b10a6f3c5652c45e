// AVX2 qx8-elementwise: the loops of qx8-elementwise-loops.h on 8 float
// lanes. Each step is the scalar one operand for operand: vpmov{z,s}xbd,
// vpsubd and vcvtdq2ps (exact), vmulps (DQ); the op; max_ps(lo, x) then
// min_ps(hi, x), which return x when it is NaN, as the scalar clamp keeps
// it; vdivps, NaN -> +0, the clamp and vcvtps2dq (half to even under the
// default MXCSR, as lrintf) for Q. The lookup splits each byte into
// nibbles: for each of the table's 16 rows h, a vpshufb of the row by the
// low nibble, blended in where the high nibble is h (48 ops per 32 bytes).
#include <immintrin.h>

#include "qx8-elementwise-loops.h"
#include "../common/qx8-pack-avx2.h"

namespace sparq {
namespace {

struct Avx2 {
  using F = __m256;
  using I = __m256i;
  static constexpr std::size_t W = 8;
  template <bool S>
  static F dequantize(const uint8_t* p, I zero, F scale) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    const I v = S ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes);
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, zero)), scale);
  }
  template <bool S>
  static void store(uint8_t* p, I q) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), pack8<S>(q)); }
  static I quantize(F x, F scale, F lo, F hi, I zero) {
    F q = _mm256_div_ps(x, scale);
    q = _mm256_and_ps(q, _mm256_cmp_ps(q, q, _CMP_ORD_Q));
    q = _mm256_min_ps(hi, _mm256_max_ps(lo, q));
    return _mm256_add_epi32(_mm256_cvtps_epi32(q), zero);
  }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static I set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F max_lo(F lo, F x) { return _mm256_max_ps(lo, x); }
  static F min_hi(F hi, F x) { return _mm256_min_ps(hi, x); }
  static void store_floats(float* p, F v) { _mm256_storeu_ps(p, v); }
};

}  // namespace

SPARQ_QX8_ELEMENTWISE_ENTRY_POINTS(qx8_elementwise_avx2, Avx2)

void qx8_elementwise_avx2_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  __m256i rows[16];
  for (std::size_t h = 0; h < 16; h++) rows[h] = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * h)));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
    __m256i r = _mm256_setzero_si256();
    for (std::size_t h = 0; h < 16; h++)
      r = _mm256_blendv_epi8(r, _mm256_shuffle_epi8(rows[h], lo), _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(static_cast<char>(h))));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), r);
  }
  for (; i < n; i++) y[i] = table[x[i]];
}

}  // namespace sparq
