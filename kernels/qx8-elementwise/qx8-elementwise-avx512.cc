// AVX-512 qx8-elementwise: the loops of qx8-elementwise-loops.h on 16 float
// lanes, the AVX2 steps at twice the width (the legacy max/min operand rule
// keeps NaN as the scalar clamp; vcvtps2dq rounds half to even; vpmovdb
// narrows lanes already within the 8-bit range). The lookup splits each byte
// into nibbles: the table's 16 rows of 16 bytes each broadcast to every
// 128-bit lane, and for each row h a vpshufb by the low nibble, merged under
// the mask of bytes whose high nibble is h (32 ops per 64 bytes; vpermi2b
// would need AVX-512 VBMI, which this level does not include).
// Conversions, max and min are written as all-lanes masked ops, which
// compile to the same instructions: GCC 12 warns on the plain intrinsics
// (their undefined pass-through operand trips -Wmaybe-uninitialized, GCC
// bug 105593).
#include <immintrin.h>

#include "qx8-elementwise-loops.h"

namespace sparq {
namespace {

constexpr __mmask16 kAll = 0xffff;

struct Avx512 {
  using F = __m512;
  using I = __m512i;
  static constexpr std::size_t W = 16;
  template <bool S>
  static F dequantize(const uint8_t* p, I zero, F scale) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const I v = S ? _mm512_maskz_cvtepi8_epi32(kAll, bytes) : _mm512_maskz_cvtepu8_epi32(kAll, bytes);
    return _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, _mm512_sub_epi32(v, zero)), scale);
  }
  template <bool S>
  static void store(uint8_t* p, I q) { _mm512_mask_cvtepi32_storeu_epi8(p, kAll, q); }
  static I quantize(F x, F scale, F lo, F hi, I zero) {
    F q = _mm512_div_ps(x, scale);
    q = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(q, q, _CMP_ORD_Q), q);
    q = min_hi(hi, max_lo(lo, q));
    return _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, q), zero);
  }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static I set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F max_lo(F lo, F x) { return _mm512_maskz_max_ps(kAll, lo, x); }
  static F min_hi(F hi, F x) { return _mm512_maskz_min_ps(kAll, hi, x); }
  static void store_floats(float* p, F v) { _mm512_storeu_ps(p, v); }
};

}  // namespace

SPARQ_QX8_ELEMENTWISE_ENTRY_POINTS(qx8_elementwise_avx512, Avx512)

void qx8_elementwise_avx512_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  __m512i rows[16];
  for (std::size_t h = 0; h < 16; h++) rows[h] = _mm512_maskz_broadcast_i32x4(kAll, _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * h)));
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  auto look = [&](__m512i v) {
    const __m512i lo = _mm512_and_si512(v, nibble);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
    __m512i r = _mm512_setzero_si512();
    for (std::size_t h = 0; h < 16; h++)
      r = _mm512_mask_shuffle_epi8(r, _mm512_cmpeq_epi8_mask(hi, _mm512_set1_epi8(static_cast<char>(h))), rows[h], lo);
    return r;
  };
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(y + i, look(_mm512_loadu_si512(x + i)));
  if (i < n) {
    const __mmask64 tail = _cvtu64_mask64((~uint64_t{0}) >> (64 - (n - i)));
    _mm512_mask_storeu_epi8(y + i, tail, look(_mm512_maskz_loadu_epi8(tail, x + i)));
  }
}

}  // namespace sparq
