// AVX-512 f32-maxpool-grad-nhwc: the loop of f32-maxpool-grad-nhwc-loops.h
// on 16 floats of channels; masks are mask registers, kept gradients a
// zero-masked move; tails through masked loads and stores.
#include <immintrin.h>

#include "f32-maxpool-grad-nhwc-loops.h"
#include "../common/f32-lanes-avx512.h"

namespace sparq {
namespace {

struct Avx512 : F32LanesAvx512 {
  using M = __mmask16;
  static M eq(T a, T b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M positive(T v) { return _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ); }
  static M all() { return static_cast<M>(0xFFFF); }
  static M and_(M a, M b) { return static_cast<M>(a & b); }
  static M and_not(M a, M b) { return static_cast<M>(a & ~b); }
  static M or_(M a, M b) { return static_cast<M>(a | b); }
  static T keep(M m, T v) { return _mm512_maskz_mov_ps(m, v); }
  static T plus_zero(T v) { return _mm512_add_ps(v, _mm512_setzero_ps()); }
};

}  // namespace

SPARQ_MAXPOOL_GRAD_NHWC_ENTRY_POINT(f32_maxpool_grad_nhwc_avx512, Avx512)

}  // namespace sparq
