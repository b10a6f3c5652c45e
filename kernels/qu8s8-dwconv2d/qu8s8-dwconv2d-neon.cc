// NEON qu8s8-dwconv2d: the pair layout (qu8s8-dwconv2d.h) built 16 words at
// a time for strides 1 and 2 (vsubl_u8 widens less the zero point, vld2q_u8
// splits a stride-2 row into its even and odd columns, vst2q_s16 interleaves
// the pair rows), and summed 8 outputs at a time. NEON has no vpmaddwd; per
// tap and 4 outputs, vmulq_s16 multiplies both halves of each word by its
// weight (exact: every product fits int16) and vpadalq_s16 adds each pair
// into its int32 lane, the same pair sums.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-dwconv2d.h"

namespace sparq {
namespace {

constexpr std::size_t kWords = 16;

// Words j .. j+15 from 16 columns of each pair row, less the zero point.
inline void store_pairs(int32_t* out, uint8x16_t a, uint8x16_t b, uint8x16_t zx) {
  const int16x8x2_t lo = {{vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(a), vget_low_u8(zx))),
                           vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(b), vget_low_u8(zx)))}};
  const int16x8x2_t hi = {{vreinterpretq_s16_u16(vsubl_high_u8(a, zx)), vreinterpretq_s16_u16(vsubl_high_u8(b, zx))}};
  vst2q_s16(reinterpret_cast<int16_t*>(out), lo);
  vst2q_s16(reinterpret_cast<int16_t*>(out + 8), hi);
}

void pack(const Qu8s8DwConv2dPlane& p) {
  if (p.stride_w > 2) return qu8s8_dwconv2d_pack_scalar(p, 0);
  const std::size_t vector_words = p.phase_width / kWords * kWords;
  const uint8x16_t zx = vdupq_n_u8(p.zero_point);
  for (std::size_t r = 0; r < p.pair_rows; r++) {
    const uint8_t* a = p.padded + r * p.row_gcd * p.padded_stride;
    const uint8_t* b = a + p.dilation_h * p.padded_stride;
    int32_t* out = p.pairs + r * p.stride_w * p.phase_width;
    for (std::size_t j = 0; j < vector_words; j += kWords) {
      if (p.stride_w == 1) {
        store_pairs(out + j, vld1q_u8(a + j), vld1q_u8(b + j), zx);
        continue;
      }
      const uint8x16x2_t va = vld2q_u8(a + 2 * j), vb = vld2q_u8(b + 2 * j);
      store_pairs(out + j, va.val[0], vb.val[0], zx);
      store_pairs(out + p.phase_width + j, va.val[1], vb.val[1], zx);
    }
  }
  if (vector_words < p.phase_width) qu8s8_dwconv2d_pack_scalar(p, vector_words);
}

inline int32x4_t add_pairs(int32x4_t acc, const int32_t* words, int16x8_t weight) {
  return vpadalq_s16(acc, vmulq_s16(vreinterpretq_s16_s32(vld1q_s32(words)), weight));
}

// kTaps known at compile time (3x3, 5x5) or 0.
template <std::size_t kTaps>
void sums(const Qu8s8DwConv2dPlane& p) {
  constexpr std::size_t kMax = kTaps != 0 ? kTaps : 1;
  const std::size_t taps = kTaps != 0 ? kTaps : p.taps;
  int16x8_t weights[kMax];
  std::ptrdiff_t offsets[kMax];
  if (kTaps != 0)
    for (std::size_t t = 0; t < kMax; t++) {
      weights[t] = vreinterpretq_s16_s32(vdupq_n_s32(p.tap_weights[t]));
      offsets[t] = p.tap_offsets[t];
    }
  for (std::size_t oh = 0; oh < p.out_h; oh++) {
    const int32_t* base = p.pairs + oh * p.row_step;
    int32_t* out = p.acc + oh * p.out_w;
    for (std::size_t ow = 0; ow < p.out_w; ow += 8) {
      int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
      for (std::size_t t = 0; t < taps; t++) {
        const std::ptrdiff_t offset = kTaps != 0 ? offsets[t] : p.tap_offsets[t];
        const int16x8_t w = kTaps != 0 ? weights[t] : vreinterpretq_s16_s32(vdupq_n_s32(p.tap_weights[t]));
        acc0 = add_pairs(acc0, base + offset + ow, w);
        acc1 = add_pairs(acc1, base + offset + ow + 4, w);
      }
      if (ow + 8 <= p.out_w) {
        vst1q_s32(out + ow, acc0);
        vst1q_s32(out + ow + 4, acc1);
        continue;
      }
      int32_t last[8];
      vst1q_s32(last, acc0);
      vst1q_s32(last + 4, acc1);
      std::memcpy(out + ow, last, (p.out_w - ow) * sizeof(int32_t));
    }
  }
}

}  // namespace

void qu8s8_dwconv2d_neon(const Qu8s8DwConv2dPlane& p) {
  pack(p);
  if (p.taps == 6) return sums<6>(p);
  if (p.taps == 15) return sums<15>(p);
  sums<0>(p);
}

}  // namespace sparq
