// NEON qx8-f32-dequantize: 16 bytes per iteration (one load, widened twice to
// four int32 vectors), the tail through a small buffer; each step is the
// scalar variant's, so results match it bit for bit:
//   UXTL/SXTL to 32 bits, SUB (wrapping), SCVTF (round to nearest even, as
//   static_cast<float>), one FMUL.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "qx8-f32-dequantize.h"

namespace sparq {
namespace {

// 16 bytes -> four int32 vectors, zero- or sign-extended.
template <bool kSigned>
inline void widen16(const uint8_t* p, int32x4_t out[4]) {
  const uint8x16_t b = vld1q_u8(p);
  if (kSigned) {
    const int16x8_t lo = vmovl_s8(vget_low_s8(vreinterpretq_s8_u8(b)));
    const int16x8_t hi = vmovl_s8(vget_high_s8(vreinterpretq_s8_u8(b)));
    out[0] = vmovl_s16(vget_low_s16(lo)), out[1] = vmovl_s16(vget_high_s16(lo));
    out[2] = vmovl_s16(vget_low_s16(hi)), out[3] = vmovl_s16(vget_high_s16(hi));
  } else {
    const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
    out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
    out[1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(lo)));
    out[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
    out[3] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(hi)));
  }
}

template <bool kSigned>
inline void dequantize16(const uint8_t* x, int32x4_t zp, float32x4_t scale, float* y) {
  int32x4_t v[4];
  widen16<kSigned>(x, v);
  for (int j = 0; j < 4; ++j) vst1q_f32(y + 4 * j, vmulq_f32(vcvtq_f32_s32(vsubq_s32(v[j], zp)), scale));
}

template <bool kSigned>
void dequantize(std::size_t n, const uint8_t* x, float scale, int32_t zero_point, float* y) {
  const int32x4_t zp = vdupq_n_s32(zero_point);
  const float32x4_t s = vdupq_n_f32(scale);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) dequantize16<kSigned>(x + i, zp, s, y + i);
  if (i < n) {
    uint8_t in[16] = {};
    float out[16];
    std::memcpy(in, x + i, n - i);
    dequantize16<kSigned>(in, zp, s, out);
    std::memcpy(y + i, out, (n - i) * sizeof(float));
  }
}

}  // namespace

void qx8_f32_dequantize_neon_from_uint8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize<false>(n, static_cast<const uint8_t*>(x), scale, zero_point, y);
}

void qx8_f32_dequantize_neon_from_int8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize<true>(n, static_cast<const uint8_t*>(x), scale, zero_point, y);
}

}  // namespace sparq
