// NEON widening of uint8 image rows to float32 minus the zero point, for
// the padded images of the quantized direct convolutions (shifted-conv.h),
// the counterpart of shifted-conv-widen-avx2.cc: 16 bytes per step through
// UXTL (u8 -> u16 -> u32), SUB, SCVTF. SCVTF rounds to nearest even as the
// portable static_cast<float> does (and the differences of a uint8 zero
// point are exact anyway), so the results are the same bit for bit.
#include <arm_neon.h>

#include <cstring>

#include "shifted-conv.h"

namespace sparq {
namespace {

inline void widen16(const uint8_t* in, int32x4_t zp, float* out) {
  const uint8x16_t b = vld1q_u8(in);
  const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
  const auto quarter = [&](uint16x4_t h) {
    return vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(h)), zp));
  };
  vst1q_f32(out, quarter(vget_low_u16(lo)));
  vst1q_f32(out + 4, quarter(vget_high_u16(lo)));
  vst1q_f32(out + 8, quarter(vget_low_u16(hi)));
  vst1q_f32(out + 12, quarter(vget_high_u16(hi)));
}

}  // namespace

void shifted_widen_neon(const uint8_t* in, std::size_t n, int32_t zero_point, float* out) {
  const int32x4_t zp = vdupq_n_s32(zero_point);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) widen16(in + i, zp, out + i);
  if (i < n) {
    // The last n - i < 16 bytes through copies: the row may end the input,
    // and its floats the padded image (NEON has no masked load or store).
    uint8_t bytes[16] = {};
    float floats[16];
    std::memcpy(bytes, in + i, n - i);
    widen16(bytes, zp, floats);
    std::memcpy(out + i, floats, (n - i) * sizeof(float));
  }
}

}  // namespace sparq
