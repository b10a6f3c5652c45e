// AVX-512 f32-elementwise: the loops of f32-elementwise-loops.h on 16-float
// vectors. The masked max/min forms keep the legacy operand rule (the second
// operand when either is NaN or both are zeros), so the clamp is the scalar
// one bit for bit, as the conv stores' shifted_clamp.
#include <immintrin.h>

#include "f32-elementwise-loops.h"
#include "../common/f32-lanes-avx512.h"

namespace sparq {
namespace {

struct Avx512 : F32LanesAvx512 {
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static T max_lo(T lo, T x) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xffff), lo, x); }
  static T min_hi(T hi, T x) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xffff), hi, x); }
};

}  // namespace

SPARQ_ELEMENTWISE_ENTRY_POINTS(f32_elementwise_avx512, Avx512)

}  // namespace sparq
