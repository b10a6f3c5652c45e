// AVX2 f32-maxpool-nhwc: the loop of f32-maxpool-nhwc-loops.h on 8 floats
// or 32 bytes of channels. vmaxps(v, m) is v > m ? v : m (m when either is
// NaN or both are zeros), the scalar compare bit for bit; integer max has no
// such cases. Float tails use vmaskmov; byte tails (AVX2 has no byte masks)
// a zero-padded copy, whose extra lanes are dropped.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "f32-maxpool-nhwc-loops.h"
#include "../common/f32-lanes-avx2.h"

namespace sparq {
namespace {

struct F32 : F32LanesAvx2 {
  using Elem = float;
  static T lowest() { return _mm256_set1_ps(-INFINITY); }
  static T keep_max(T v, T m) { return _mm256_max_ps(v, m); }
};

template <typename E>
struct Bytes {
  using Elem = E;
  using T = __m256i;
  static constexpr std::size_t W = 32;
  static T load(const E* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(E* p, T v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static T load_n(const E* p, std::size_t k) {
    E t[W] = {};
    std::memcpy(t, p, k);
    return load(t);
  }
  static void store_n(E* p, T v, std::size_t k) {
    E t[W];
    store(t, v);
    std::memcpy(p, t, k);
  }
};

struct U8 : Bytes<uint8_t> {
  static T lowest() { return _mm256_setzero_si256(); }
  static T keep_max(T v, T m) { return _mm256_max_epu8(v, m); }
};

struct S8 : Bytes<int8_t> {
  static T lowest() { return _mm256_set1_epi8(INT8_MIN); }
  static T keep_max(T v, T m) { return _mm256_max_epi8(v, m); }
};

}  // namespace

SPARQ_MAXPOOL_NHWC_ENTRY_POINTS(f32_maxpool_nhwc_avx2, F32, U8, S8)

}  // namespace sparq
