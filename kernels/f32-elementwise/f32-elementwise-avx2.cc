// AVX2 f32-elementwise: the loops of f32-elementwise-loops.h on 8-float
// vectors. max_ps / min_ps return their second operand when either is NaN
// or both are zeros, so max(lo, x) then min(hi, .) is the scalar clamp
// bit for bit (NaN and -0 kept).
#include <immintrin.h>

#include "f32-elementwise-loops.h"
#include "../common/f32-lanes-avx2.h"

namespace sparq {
namespace {

struct Avx2 : F32LanesAvx2 {
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  static T max_lo(T lo, T x) { return _mm256_max_ps(lo, x); }
  static T min_hi(T hi, T x) { return _mm256_min_ps(hi, x); }
};

}  // namespace

SPARQ_ELEMENTWISE_ENTRY_POINTS(f32_elementwise_avx2, Avx2)

}  // namespace sparq
