// NEON f32-maxpool-grad-nhwc: the loop of f32-maxpool-grad-nhwc-loops.h on
// 4 floats of channels; masks are compare results (all ones or zeros per
// lane), kept gradients an AND with them; tails through a zero-padded copy,
// whose extra lanes are dropped.
#include <arm_neon.h>

#include <cstring>

#include "f32-maxpool-grad-nhwc-loops.h"

namespace sparq {
namespace {

struct Neon {
  using T = float32x4_t;
  using M = uint32x4_t;
  static constexpr std::size_t W = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static T load_n(const float* p, std::size_t k) {
    float t[W] = {};
    std::memcpy(t, p, k * sizeof(float));
    return load(t);
  }
  static void store_n(float* p, T v, std::size_t k) {
    float t[W];
    store(t, v);
    std::memcpy(p, t, k * sizeof(float));
  }
  static M eq(T a, T b) { return vceqq_f32(a, b); }
  static M positive(T v) { return vcgtq_f32(v, vdupq_n_f32(0.0f)); }
  static M all() { return vdupq_n_u32(~0u); }
  static M and_(M a, M b) { return vandq_u32(a, b); }
  static M and_not(M a, M b) { return vbicq_u32(a, b); }
  static M or_(M a, M b) { return vorrq_u32(a, b); }
  static T keep(M m, T v) { return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(v))); }
  static T plus_zero(T v) { return vaddq_f32(v, vdupq_n_f32(0.0f)); }
};

}  // namespace

SPARQ_MAXPOOL_GRAD_NHWC_ENTRY_POINT(f32_maxpool_grad_nhwc_neon, Neon)

}  // namespace sparq
