// NEON f32-maxpool-nhwc: the loop of f32-maxpool-nhwc-loops.h on 4 floats
// or 16 bytes of channels. The float max is a compare-and-select,
// v > m ? v : m, as the scalar one (vmaxq_f32 would let NaN win); tails
// through a zero-padded copy, whose extra lanes are dropped.
#include <arm_neon.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "f32-maxpool-nhwc-loops.h"

namespace sparq {
namespace {

// Loads and stores of the first k < W elements through a zero-padded copy.
template <class Vec>
struct Partial {
  using E = typename Vec::Elem;
  static typename Vec::T load_n(const E* p, std::size_t k) {
    E t[Vec::W] = {};
    std::memcpy(t, p, k * sizeof(E));
    return Vec::load(t);
  }
  static void store_n(E* p, typename Vec::T v, std::size_t k) {
    E t[Vec::W];
    Vec::store(t, v);
    std::memcpy(p, t, k * sizeof(E));
  }
};

struct F32Base {
  using Elem = float;
  using T = float32x4_t;
  static constexpr std::size_t W = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static T lowest() { return vdupq_n_f32(-INFINITY); }
  static T keep_max(T v, T m) { return vbslq_f32(vcgtq_f32(v, m), v, m); }
};
struct F32 : F32Base, Partial<F32Base> {};

struct U8Base {
  using Elem = uint8_t;
  using T = uint8x16_t;
  static constexpr std::size_t W = 16;
  static T load(const uint8_t* p) { return vld1q_u8(p); }
  static void store(uint8_t* p, T v) { vst1q_u8(p, v); }
  static T lowest() { return vdupq_n_u8(0); }
  static T keep_max(T v, T m) { return vmaxq_u8(v, m); }
};
struct U8 : U8Base, Partial<U8Base> {};

struct S8Base {
  using Elem = int8_t;
  using T = int8x16_t;
  static constexpr std::size_t W = 16;
  static T load(const int8_t* p) { return vld1q_s8(p); }
  static void store(int8_t* p, T v) { vst1q_s8(p, v); }
  static T lowest() { return vdupq_n_s8(INT8_MIN); }
  static T keep_max(T v, T m) { return vmaxq_s8(v, m); }
};
struct S8 : S8Base, Partial<S8Base> {};

}  // namespace

SPARQ_MAXPOOL_NHWC_ENTRY_POINTS(f32_maxpool_nhwc_neon, F32, U8, S8)

}  // namespace sparq
