// AVX2 f32-maxpool-grad-nhwc: the loop of f32-maxpool-grad-nhwc-loops.h on
// 8 floats of channels; masks are compare results (all ones or zeros per
// lane), kept gradients an AND with them; tails through vmaskmov.
#include <immintrin.h>

#include "f32-maxpool-grad-nhwc-loops.h"
#include "../common/f32-lanes-avx2.h"

namespace sparq {
namespace {

struct Avx2 : F32LanesAvx2 {
  using M = __m256;
  static M eq(T a, T b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M positive(T v) { return _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ); }
  static M all() { return _mm256_castsi256_ps(_mm256_set1_epi32(-1)); }
  static M and_(M a, M b) { return _mm256_and_ps(a, b); }
  static M and_not(M a, M b) { return _mm256_andnot_ps(b, a); }
  static M or_(M a, M b) { return _mm256_or_ps(a, b); }
  static T keep(M m, T v) { return _mm256_and_ps(m, v); }
  static T plus_zero(T v) { return _mm256_add_ps(v, _mm256_setzero_ps()); }
};

}  // namespace

SPARQ_MAXPOOL_GRAD_NHWC_ENTRY_POINT(f32_maxpool_grad_nhwc_avx2, Avx2)

}  // namespace sparq
