// NEON qx8-elementwise: the loops of qx8-elementwise-loops.h on 8 float
// lanes (two float32x4). Each step is the scalar one: widening moves,
// integer subtract, exact conversion, one multiply (DQ); the op; the clamp
// as two compare-and-selects (`x < lo ? lo : x`, then `x > hi ? hi : x`);
// vdivq, NaN -> +0, the clamp and vcvtnq (half to even, as lrintf) for Q.
// The lookup is four vqtbl4q over the table's 64-byte quarters (an index
// outside a quarter reads 0 there), OR-ed.
#include <arm_neon.h>

#include "qx8-elementwise-loops.h"

namespace sparq {
namespace {

struct Neon {
  struct F {
    float32x4_t lo, hi;
  };
  struct I {
    int32x4_t lo, hi;
  };
  static constexpr std::size_t W = 8;
  template <bool S>
  static F dequantize(const uint8_t* p, I zero, F scale) {
    const int16x8_t v = S ? vmovl_s8(vld1_s8(reinterpret_cast<const int8_t*>(p))) : vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
    const int32x4_t a = S ? vmovl_s16(vget_low_s16(v)) : vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vreinterpretq_u16_s16(v))));
    const int32x4_t b = S ? vmovl_s16(vget_high_s16(v)) : vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(vreinterpretq_u16_s16(v))));
    return {vmulq_f32(vcvtq_f32_s32(vsubq_s32(a, zero.lo)), scale.lo), vmulq_f32(vcvtq_f32_s32(vsubq_s32(b, zero.hi)), scale.hi)};
  }
  // Lanes already within the 8-bit range: narrowing keeps their low bytes, the value in either signedness.
  template <bool S>
  static void store(uint8_t* p, I q) {
    vst1_u8(p, vreinterpret_u8_s8(vmovn_s16(vcombine_s16(vmovn_s32(q.lo), vmovn_s32(q.hi)))));
  }
  static int32x4_t quantize4(float32x4_t x, float32x4_t scale, float32x4_t lo, float32x4_t hi, int32x4_t zero) {
    float32x4_t q = vdivq_f32(x, scale);
    q = vbslq_f32(vceqq_f32(q, q), q, vdupq_n_f32(0.0f));
    q = vbslq_f32(vcltq_f32(q, lo), lo, q);
    q = vbslq_f32(vcgtq_f32(q, hi), hi, q);
    return vaddq_s32(vcvtnq_s32_f32(q), zero);
  }
  static I quantize(F x, F scale, F lo, F hi, I zero) {
    return {quantize4(x.lo, scale.lo, lo.lo, hi.lo, zero.lo), quantize4(x.hi, scale.hi, lo.hi, hi.hi, zero.hi)};
  }
  static F set1(float v) { return {vdupq_n_f32(v), vdupq_n_f32(v)}; }
  static I set1i(int32_t v) { return {vdupq_n_s32(v), vdupq_n_s32(v)}; }
  static F add(F a, F b) { return {vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)}; }
  static F sub(F a, F b) { return {vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)}; }
  static F mul(F a, F b) { return {vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)}; }
  static F max_lo(F lo, F x) {
    return {vbslq_f32(vcltq_f32(x.lo, lo.lo), lo.lo, x.lo), vbslq_f32(vcltq_f32(x.hi, lo.hi), lo.hi, x.hi)};
  }
  static F min_hi(F hi, F x) {
    return {vbslq_f32(vcgtq_f32(x.lo, hi.lo), hi.lo, x.lo), vbslq_f32(vcgtq_f32(x.hi, hi.hi), hi.hi, x.hi)};
  }
  static void store_floats(float* p, F v) {
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
  }
};

}  // namespace

SPARQ_QX8_ELEMENTWISE_ENTRY_POINTS(qx8_elementwise_neon, Neon)

void qx8_elementwise_neon_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  const uint8x16x4_t q0 = vld1q_u8_x4(table), q1 = vld1q_u8_x4(table + 64), q2 = vld1q_u8_x4(table + 128),
                     q3 = vld1q_u8_x4(table + 192);
  const uint8x16_t quarter = vdupq_n_u8(64);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint8x16_t v0 = vld1q_u8(x + i), v1 = vsubq_u8(v0, quarter), v2 = vsubq_u8(v1, quarter), v3 = vsubq_u8(v2, quarter);
    const uint8x16_t r = vorrq_u8(vorrq_u8(vqtbl4q_u8(q0, v0), vqtbl4q_u8(q1, v1)), vorrq_u8(vqtbl4q_u8(q2, v2), vqtbl4q_u8(q3, v3)));
    vst1q_u8(y + i, r);
  }
  for (; i < n; i++) y[i] = table[x[i]];
}

}  // namespace sparq
