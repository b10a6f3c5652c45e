// NEON store of one 16-position vector of a shifted-conv tile row
// (shifted-conv/shifted-conv.h), the counterpart of shifted-conv-store-avx512.h
// with the same results as shifted_store_lanes: a vector is four q
// registers, positions 4q .. 4q + 3 in q0 .. q3 (passed by value: a reference
// made GCC keep a kernel's accumulators in memory through its whole loop).
//
//   shifted_store(o, r, v, q0, q1, q2, q3, clamp)   float output gets bias[r] added and,
//       when `clamp`, [min, max] keeping NaN; int32 output gets
//       round-half-even(acc) (exact integer sums held in floats).
//
// NEON has no compress and no masked store: each 4-lane quarter of the
// vector's mask packs its kept lanes to the front with one tbl (byte indices
// from a 16-entry table) and writes popcount lanes; a whole quarter (the
// common case: only the lanes at a row's end are dropped) is a plain store.
// Include only from -neon files.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "shifted-conv.h"

namespace sparq {
namespace {

// Per 4-bit mask m: tbl byte indices moving the 32-bit lanes set in m to
// the front, in ascending order (bytes past popcount(m) lanes are never stored).
struct ShiftedCompressTableNeon {
  uint8_t bytes[16][16];
  constexpr ShiftedCompressTableNeon() : bytes() {
    for (unsigned m = 0; m < 16; ++m) {
      unsigned n = 0;
      for (unsigned lane = 0; lane < 4; ++lane)
        if (m >> lane & 1) {
          for (unsigned b = 0; b < 4; ++b) bytes[m][4 * n + b] = static_cast<uint8_t>(4 * lane + b);
          ++n;
        }
    }
  }
};
constexpr ShiftedCompressTableNeon kShiftedCompressNeon{};

// x's lanes kept by mask4 moved to the front.
inline uint32x4_t shifted_compress(unsigned mask4, uint32x4_t x) {
  return vreinterpretq_u32_u8(vqtbl1q_u8(vreinterpretq_u8_u32(x), vld1q_u8(kShiftedCompressNeon.bytes[mask4])));
}

// Writes the lanes of x kept by mask4 contiguously to out; returns how many.
inline std::size_t shifted_store_kept(float* out, unsigned mask4, float32x4_t x) {
  if (mask4 == 0xF) {
    vst1q_f32(out, x);
    return 4;
  }
  const float32x4_t packed = vreinterpretq_f32_u32(shifted_compress(mask4, vreinterpretq_u32_f32(x)));
  const std::size_t n = static_cast<std::size_t>(__builtin_popcount(mask4));
  if (n >= 2) vst1_f32(out, vget_low_f32(packed));
  if (n == 1) vst1q_lane_f32(out, packed, 0);
  if (n == 3) vst1q_lane_f32(out + 2, packed, 2);
  return n;
}

inline std::size_t shifted_store_kept(int32_t* out, unsigned mask4, int32x4_t x) {
  if (mask4 == 0xF) {
    vst1q_s32(out, x);
    return 4;
  }
  const int32x4_t packed = vreinterpretq_s32_u32(shifted_compress(mask4, vreinterpretq_u32_s32(x)));
  const std::size_t n = static_cast<std::size_t>(__builtin_popcount(mask4));
  if (n >= 2) vst1_s32(out, vget_low_s32(packed));
  if (n == 1) vst1q_lane_s32(out, packed, 0);
  if (n == 3) vst1q_lane_s32(out + 2, packed, 2);
  return n;
}

// x < min ? min : x, then x > max ? max : x: shifted_store_lanes's clamp,
// bit for bit. fmax/fmin would keep NaN too, but turn a -0 above min = +0
// into +0 where the scalar store keeps -0.
inline float32x4_t shifted_clamp(float32x4_t x, float32x4_t vmin, float32x4_t vmax) {
  x = vbslq_f32(vcltq_f32(x, vmin), vmin, x);
  return vbslq_f32(vcgtq_f32(x, vmax), vmax, x);
}

// Stores vector v of tile row r. Float output adds the row's bias and clamps.
inline void shifted_store(const ConvTileOutput& o, std::size_t r, std::size_t v, float32x4_t q0, float32x4_t q1,
                          float32x4_t q2, float32x4_t q3, bool clamp) {
  float32x4_t x[4] = {q0, q1, q2, q3};
  if (o.int32_out) {
    // vcvtnq rounds half to even, as nearbyint does in the default rounding mode.
    if (o.positions) {
      int32_t* out = o.yi + r * o.row_stride + v * 16;
      for (std::size_t q = 0; q < 4; ++q) vst1q_s32(out + 4 * q, vcvtnq_s32_f32(x[q]));
      return;
    }
    const unsigned keep = o.masks[v];
    int32_t* out = o.yi + r * o.row_stride + o.starts[v];
    for (std::size_t q = 0; q < 4; ++q) out += shifted_store_kept(out, keep >> (4 * q) & 0xF, vcvtnq_s32_f32(x[q]));
    return;
  }
  if (o.bias != nullptr) {
    const float32x4_t bias = vdupq_n_f32(o.bias[r]);
    for (std::size_t q = 0; q < 4; ++q) x[q] = vaddq_f32(x[q], bias);
  }
  if (clamp) {
    const float32x4_t vmin = vdupq_n_f32(o.min), vmax = vdupq_n_f32(o.max);
    for (std::size_t q = 0; q < 4; ++q) x[q] = shifted_clamp(x[q], vmin, vmax);
  }
  if (o.positions) {
    float* out = o.y + r * o.row_stride + v * 16;
    for (std::size_t q = 0; q < 4; ++q) vst1q_f32(out + 4 * q, x[q]);
    return;
  }
  const unsigned keep = o.masks[v];
  float* out = o.y + r * o.row_stride + o.starts[v];
  for (std::size_t q = 0; q < 4; ++q) out += shifted_store_kept(out, keep >> (4 * q) & 0xF, x[q]);
}

}  // namespace
}  // namespace sparq
