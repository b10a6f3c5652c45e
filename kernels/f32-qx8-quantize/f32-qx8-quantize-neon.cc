// NEON f32-qx8-quantize: 16 values per iteration, the tail through a
// zero-padded buffer, each through the scalar variant's steps operand for
// operand:
//   FDIV (IEEE division, as x / scale)
//   NaN -> +0 (AND with x == x), FMAX(lo, x), FMIN(hi, x)
//     (no NaN is left by then, so these equal the scalar selects)
//   FCVTNS (round half to even, as lrintf in the default rounding mode)
// so every element equals the scalar result bit for bit. The int32 results
// are already within the type's range, so the saturating narrows only pack.
// Vector FDIV is the throughput limit, as vdivps is on x86.
#include <arm_neon.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "f32-qx8-quantize.h"

namespace sparq {
namespace {

class Quantizer {
 public:
  Quantizer(float scale, int32_t zero_point, int32_t qmin, int32_t qmax)
      : scale_(vdupq_n_f32(scale)),
        lo_(vdupq_n_f32(static_cast<float>(qmin - zero_point))),
        hi_(vdupq_n_f32(static_cast<float>(qmax - zero_point))),
        zp_(vdupq_n_s32(zero_point)) {}

  int32x4_t operator()(float32x4_t x) const {
    float32x4_t q = vdivq_f32(x, scale_);
    q = vreinterpretq_f32_u32(vandq_u32(vceqq_f32(q, q), vreinterpretq_u32_f32(q)));  // NaN -> +0
    q = vminq_f32(hi_, vmaxq_f32(lo_, q));
    return vaddq_s32(vcvtnq_s32_f32(q), zp_);
  }

 private:
  float32x4_t scale_, lo_, hi_;
  int32x4_t zp_;
};

// 16 values at x -> 16 bytes at y.
template <bool kSigned>
inline void quantize16(const Quantizer& q, const float* x, uint8_t* y) {
  const int16x8_t a = vcombine_s16(vqmovn_s32(q(vld1q_f32(x))), vqmovn_s32(q(vld1q_f32(x + 4))));
  const int16x8_t b = vcombine_s16(vqmovn_s32(q(vld1q_f32(x + 8))), vqmovn_s32(q(vld1q_f32(x + 12))));
  const uint8x16_t packed = kSigned ? vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(a), vqmovn_s16(b)))
                                    : vcombine_u8(vqmovun_s16(a), vqmovun_s16(b));
  vst1q_u8(y, packed);
}

template <bool kSigned>
void quantize(std::size_t n, const float* x, const Quantizer& q, uint8_t* y) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) quantize16<kSigned>(q, x + i, y + i);
  if (i < n) {
    float in[16] = {};
    uint8_t out[16];
    std::memcpy(in, x + i, (n - i) * sizeof(float));
    quantize16<kSigned>(q, in, out);
    std::memcpy(y + i, out, n - i);
  }
}

}  // namespace

void f32_qx8_quantize_neon_to_uint8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= 0 && zero_point <= 255);
  quantize<false>(n, x, Quantizer(scale, zero_point, 0, 255), static_cast<uint8_t*>(y));
}

void f32_qx8_quantize_neon_to_int8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= -128 && zero_point <= 127);
  quantize<true>(n, x, Quantizer(scale, zero_point, -128, 127), static_cast<uint8_t*>(y));
}

}  // namespace sparq
