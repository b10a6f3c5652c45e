// AVX-512 f32-elementwise: the loops of f32-elementwise-loops.h on 16-float
// vectors. The masked max/min forms keep the legacy operand rule (the second
// operand when either is NaN or both are zeros), so the clamp is the scalar
// one bit for bit, as the conv stores' shifted_clamp.
#include <immintrin.h>

#include "f32-elementwise-loops.h"

namespace sparq {
namespace {

struct Avx512 {
  using T = __m512;
  static constexpr std::size_t W = 16;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static __mmask16 first(std::size_t k) { return static_cast<__mmask16>((1u << k) - 1); }
  static T load_n(const float* p, std::size_t k) { return _mm512_maskz_loadu_ps(first(k), p); }
  static void store_n(float* p, T v, std::size_t k) { _mm512_mask_storeu_ps(p, first(k), v); }
  static T max_lo(T lo, T x) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xffff), lo, x); }
  static T min_hi(T hi, T x) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xffff), hi, x); }
};

}  // namespace

SPARQ_ELEMENTWISE_ENTRY_POINTS(f32_elementwise_avx512, Avx512)

}  // namespace sparq
