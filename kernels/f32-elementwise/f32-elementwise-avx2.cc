// AVX2 f32-elementwise: the loops of f32-elementwise-loops.h on 8-float
// vectors. max_ps / min_ps return their second operand when either is NaN
// or both are zeros, so max(lo, x) then min(hi, .) is the scalar clamp
// bit for bit (NaN and -0 kept).
#include <immintrin.h>

#include "f32-elementwise-loops.h"

namespace sparq {
namespace {

struct Avx2 {
  using T = __m256;
  static constexpr std::size_t W = 8;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  // Lanes [0, k) set, k <= 8.
  static __m256i first(std::size_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T load_n(const float* p, std::size_t k) { return _mm256_maskload_ps(p, first(k)); }
  static void store_n(float* p, T v, std::size_t k) { _mm256_maskstore_ps(p, first(k), v); }
  static T max_lo(T lo, T x) { return _mm256_max_ps(lo, x); }
  static T min_hi(T hi, T x) { return _mm256_min_ps(hi, x); }
};

}  // namespace

SPARQ_ELEMENTWISE_ENTRY_POINTS(f32_elementwise_avx2, Avx2)

}  // namespace sparq
