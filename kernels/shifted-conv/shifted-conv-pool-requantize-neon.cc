// NEON 2x2 stride-2 max pooling of int32 conv sums fused with their
// requantization to uint8/int8 (shifted-conv.h), the counterpart of
// shifted-conv-pool-requantize-avx2.cc: one pass from the tile rows to the
// output, where the portable path pools into a scratch and requantizes it.
// LD2 splits 8 sums of a row into its even and odd columns, so a window's
// max is three SMAX and no shuffle. The requantization is
// qs32-qx8-requantize-neon.cc's, step for step (bit for bit the scalar one):
//   ADD bias (wrapping), SCVTF (round to nearest even), FMUL (one multiply),
//   NaN -> +0 (AND with x == x), FMAX(lo, x), FMIN(hi, x), FCVTNS (round
//   half to even), ADD zero point,
// lo/hi being the output range minus the zero point.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "shifted-conv.h"

namespace sparq {
namespace {

struct RowParams {
  int32x4_t bias, zp;
  float32x4_t mult, lo, hi;
};

// The requantized maxima of 4 windows: 8 sums of rows r0 and r1 from column
// 2 * ow. In range after the clamp, so each value's low byte is its uint8 or
// int8 byte and the narrowing (XTN, which truncates) keeps it.
inline int16x4_t pool4(const int32_t* r0, const int32_t* r1, const RowParams& p) {
  const int32x4x2_t a = vld2q_s32(r0), b = vld2q_s32(r1);
  const int32x4_t m = vmaxq_s32(vmaxq_s32(a.val[0], a.val[1]), vmaxq_s32(b.val[0], b.val[1]));
  float32x4_t x = vmulq_f32(vcvtq_f32_s32(vaddq_s32(m, p.bias)), p.mult);
  x = vreinterpretq_f32_u32(vandq_u32(vceqq_f32(x, x), vreinterpretq_u32_f32(x)));  // NaN -> +0
  x = vminq_f32(p.hi, vmaxq_f32(p.lo, x));
  return vmovn_s32(vaddq_s32(vcvtnq_s32_f32(x), p.zp));
}

}  // namespace

void shifted_pool_requantize_neon(const ShiftedPoolRequantize& p) {
  RowParams rp;
  rp.zp = vdupq_n_s32(p.zero_point);
  rp.lo = vdupq_n_f32(static_cast<float>(p.out_min - p.zero_point));
  rp.hi = vdupq_n_f32(static_cast<float>(p.out_max - p.zero_point));
  for (std::size_t r = 0; r < p.rows; ++r) {
    const int32_t* plane = p.sums + r * p.plane_stride;
    uint8_t* out = p.out + r * p.out_h * p.out_w;
    rp.bias = vdupq_n_s32(p.bias == nullptr ? 0 : p.bias[r]);
    rp.mult = vdupq_n_f32(p.multipliers[r]);
    for (std::size_t oh = 0; oh < p.out_h; ++oh, out += p.out_w) {
      const int32_t* r0 = plane + 2 * oh * p.width;
      const int32_t* r1 = r0 + p.width;
      std::size_t ow = 0;
      for (; ow + 16 <= p.out_w; ow += 16) {
        const int16x8_t a = vcombine_s16(pool4(r0 + 2 * ow, r1 + 2 * ow, rp), pool4(r0 + 2 * ow + 8, r1 + 2 * ow + 8, rp));
        const int16x8_t b = vcombine_s16(pool4(r0 + 2 * ow + 16, r1 + 2 * ow + 16, rp), pool4(r0 + 2 * ow + 24, r1 + 2 * ow + 24, rp));
        vst1q_u8(out + ow, vreinterpretq_u8_s8(vcombine_s8(vmovn_s16(a), vmovn_s16(b))));
      }
      // 4 windows read exactly their 8 sums of each row, inside the row.
      for (; ow + 4 <= p.out_w; ow += 4) {
        const int8x8_t bytes = vmovn_s16(vcombine_s16(pool4(r0 + 2 * ow, r1 + 2 * ow, rp), vdup_n_s16(0)));
        std::memcpy(out + ow, &bytes, 4);
      }
      if (ow < p.out_w) {
        // The last 1-3 windows through zero-padded copies: the sums past
        // them may be past the end of the scratch.
        const std::size_t n = p.out_w - ow;
        int32_t a[8] = {}, b[8] = {};
        std::memcpy(a, r0 + 2 * ow, 2 * n * sizeof(int32_t));
        std::memcpy(b, r1 + 2 * ow, 2 * n * sizeof(int32_t));
        const int8x8_t bytes = vmovn_s16(vcombine_s16(pool4(a, b, rp), vdup_n_s16(0)));
        std::memcpy(out + ow, &bytes, n);
      }
    }
  }
}

}  // namespace sparq
