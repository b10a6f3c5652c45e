// NEON f32-elementwise: the loops of f32-elementwise-loops.h on 4-float
// vectors. The clamp is two compare-and-selects, `x < lo ? lo : x` then
// `x > hi ? hi : x`, as the scalar one (vmaxq/vminq would turn NaN into
// NaN too but pick +0 over -0 where the scalar keeps x).
#include <arm_neon.h>

#include <cstring>

#include "f32-elementwise-loops.h"

namespace sparq {
namespace {

struct Neon {
  using T = float32x4_t;
  static constexpr std::size_t W = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static T set1(float v) { return vdupq_n_f32(v); }
  static T add(T a, T b) { return vaddq_f32(a, b); }
  static T sub(T a, T b) { return vsubq_f32(a, b); }
  static T mul(T a, T b) { return vmulq_f32(a, b); }
  static T div(T a, T b) { return vdivq_f32(a, b); }
  // No masked loads: the k < 4 values through a zero-padded copy.
  static T load_n(const float* p, std::size_t k) {
    float t[W] = {};
    std::memcpy(t, p, k * sizeof(float));
    return vld1q_f32(t);
  }
  static void store_n(float* p, T v, std::size_t k) {
    float t[W];
    vst1q_f32(t, v);
    std::memcpy(p, t, k * sizeof(float));
  }
  static T max_lo(T lo, T x) { return vbslq_f32(vcltq_f32(x, lo), lo, x); }
  static T min_hi(T hi, T x) { return vbslq_f32(vcgtq_f32(x, hi), hi, x); }
};

}  // namespace

SPARQ_ELEMENTWISE_ENTRY_POINTS(f32_elementwise_neon, Neon)

}  // namespace sparq
