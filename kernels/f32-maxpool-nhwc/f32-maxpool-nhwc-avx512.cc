// AVX-512 f32-maxpool-nhwc: the loop of f32-maxpool-nhwc-loops.h on 16
// floats or 64 bytes of channels, tails through masked loads and stores.
// The float max is the all-lanes masked form of vmaxps(v, m): v > m ? v : m
// (m when either is NaN or both are zeros), the scalar compare bit for bit
// (GCC 12 warns on the unmasked one, bug 105593).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "f32-maxpool-nhwc-loops.h"
#include "../common/f32-lanes-avx512.h"

namespace sparq {
namespace {

struct F32 : F32LanesAvx512 {
  using Elem = float;
  static T lowest() { return _mm512_set1_ps(-INFINITY); }
  static T keep_max(T v, T m) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), v, m); }
};

template <typename E>
struct Bytes {
  using Elem = E;
  using T = __m512i;
  static constexpr std::size_t W = 64;
  static __mmask64 first(std::size_t k) { return k >= 64 ? ~__mmask64{0} : (__mmask64{1} << k) - 1; }
  static T load(const E* p) { return _mm512_loadu_si512(p); }
  static void store(E* p, T v) { _mm512_storeu_si512(p, v); }
  static T load_n(const E* p, std::size_t k) { return _mm512_maskz_loadu_epi8(first(k), p); }
  static void store_n(E* p, T v, std::size_t k) { _mm512_mask_storeu_epi8(p, first(k), v); }
};

struct U8 : Bytes<uint8_t> {
  static T lowest() { return _mm512_setzero_si512(); }
  static T keep_max(T v, T m) { return _mm512_max_epu8(v, m); }
};

struct S8 : Bytes<int8_t> {
  static T lowest() { return _mm512_set1_epi8(INT8_MIN); }
  static T keep_max(T v, T m) { return _mm512_max_epi8(v, m); }
};

}  // namespace

SPARQ_MAXPOOL_NHWC_ENTRY_POINTS(f32_maxpool_nhwc_avx512, F32, U8, S8)

}  // namespace sparq
