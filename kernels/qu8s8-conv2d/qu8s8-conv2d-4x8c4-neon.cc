// NEON qu8s8-conv2d microkernel for CPUs without the dot-product extension
// (Cortex-A53/A72): one block row of 4 channels, 8 positions (half a
// 16-position vector) at a time, exact in int32 for any int8 weights.
//
// Exactness: a uint8 x int8 product lies in [-32640, 32385], so with both
// sides widened to int16 one mul holds it exactly and sadalp adds adjacent
// pairs into int32 lanes. Per entry and 8 positions:
//   xw[j]  = int16 image words of positions 2j, 2j+1 (4 channels each)
//   wr[r]  = int16 weights of row r, repeated for the two positions
//   acc[r][j] += pairs of xw[j] * wr[r]: (c0c1, c2c3) of position 2j, then 2j+1
// and addp of acc[r][0], acc[r][1] (acc[r][2], acc[r][3]) gives the 4
// positions of a quarter vector. 2 instructions per 8 multiply-adds.
//
// Registers (32 q): 16 accumulators (4 rows x 4 position pairs), 4 widened
// image pairs, 4 widened row weights, and the loads: a whole 16-position
// vector would need 32 accumulators.
#include <arm_neon.h>

#include <cstdint>

#include "qu8s8-conv2d.h"
#include "qu8s8-conv2d-store-neon.h"

namespace sparq {
namespace {

// Half h (positions 8h..8h+7) of vector v.
void half(const Qu8s8Conv2dTile& t, const ConvTileOutput& out, std::size_t v, std::size_t h) {
  int32x4_t acc[4][4];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[r][j] = vdupq_n_s32(0);
  const uint8_t* x0 = t.x + v * 64 + h * 32;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const uint8_t* x = x0 + static_cast<std::size_t>(t.offsets[e]) * 4;
    const uint8x16_t xa = vld1q_u8(x), xb = vld1q_u8(x + 16);
    const int16x8_t xw[4] = {vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(xa))), vreinterpretq_s16_u16(vmovl_high_u8(xa)),
                             vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(xb))), vreinterpretq_s16_u16(vmovl_high_u8(xb))};
    const int8x16_t w4 = vld1q_s8(reinterpret_cast<const int8_t*>(t.words + 4 * e));
    const int64x2_t lo = vreinterpretq_s64_s16(vmovl_s8(vget_low_s8(w4)));  // rows 0, 1
    const int64x2_t hi = vreinterpretq_s64_s16(vmovl_high_s8(w4));        // rows 2, 3
    const int16x8_t wr[4] = {vreinterpretq_s16_s64(vdupq_laneq_s64(lo, 0)), vreinterpretq_s16_s64(vdupq_laneq_s64(lo, 1)),
                             vreinterpretq_s16_s64(vdupq_laneq_s64(hi, 0)), vreinterpretq_s16_s64(vdupq_laneq_s64(hi, 1))};
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) acc[r][j] = vpadalq_s16(acc[r][j], vmulq_s16(xw[j], wr[r]));
  }
  // Unrolled to the 4 rows with a guard: a loop to t.rows would index acc
  // at run time and keep it in memory.
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    if (static_cast<std::size_t>(r) >= t.rows) break;
    const int32x4_t correction = vdupq_n_s32(t.correction[r]);
    qconv_store_quarter(out, r, v, 2 * h, vsubq_s32(vpaddq_s32(acc[r][0], acc[r][1]), correction));
    qconv_store_quarter(out, r, v, 2 * h + 1, vsubq_s32(vpaddq_s32(acc[r][2], acc[r][3]), correction));
  }
}

}  // namespace

void qu8s8_conv2d_4x8c4_neon(const Qu8s8Conv2dTile& t) {
  const ConvTileOutput out = t.out;  // a local: the stores cannot alias it
  for (std::size_t v = 0; v < t.vectors; ++v) {
    half(t, out, v, 0);
    half(t, out, v, 1);
  }
}

}  // namespace sparq
