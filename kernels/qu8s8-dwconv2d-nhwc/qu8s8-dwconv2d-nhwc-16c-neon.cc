// NEON qu8s8-dwconv2d-nhwc: 16 channels at a time (then 8, then the last
// few through a copy), one tap at a time: the bytes widened to int16
// (vmovl_u8) and multiplied by the tap's int16 weights into int32 lanes
// (vmlal_s16 / vmlal_high_s16), so no tap pairing is needed.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

// A column's tap pixels: through the indirection row, or at fixed offsets from an interior column's window.
struct Indirect {
  const uint8_t* const* column;
  const uint8_t* operator()(std::size_t t) const { return column[t]; }
};
struct Direct {
  const uint8_t* window;
  const std::ptrdiff_t* offsets;
  const uint8_t* operator()(std::size_t t) const { return window + offsets[t]; }
};

// Runs pixel(ow, taps) for every column of the row with its taps' source.
template <typename Pixel>
inline void for_each_column(const Qu8s8DwConv2dNhwcRow& r, Pixel pixel) {
  for (std::size_t ow = 0; ow < r.out_w; ow++) {
    if (ow >= r.interior_begin && ow < r.interior_end)
      pixel(ow, Direct{r.origin + (ow - r.interior_begin) * r.column_step, r.tap_offsets});
    else
      pixel(ow, Indirect{r.inputs + ow * r.tap_stride});
  }
}

// Channels [c, c + 16) of every column.
void block16(const Qu8s8DwConv2dNhwcRow& r, std::size_t c) {
  for_each_column(r, [&](std::size_t ow, auto taps) {
    int32x4_t acc0 = vld1q_s32(r.bias + c), acc1 = vld1q_s32(r.bias + c + 4);
    int32x4_t acc2 = vld1q_s32(r.bias + c + 8), acc3 = vld1q_s32(r.bias + c + 12);
    for (std::size_t t = 0; t < r.taps; t++) {
      const uint8x16_t x = vld1q_u8(taps(t) + c);
      const int16x8_t xl = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(x))), xh = vreinterpretq_s16_u16(vmovl_high_u8(x));
      const int16_t* w = r.weights + t * r.channels_padded + c;
      const int16x8_t wl = vld1q_s16(w), wh = vld1q_s16(w + 8);
      acc0 = vmlal_s16(acc0, vget_low_s16(xl), vget_low_s16(wl));
      acc1 = vmlal_high_s16(acc1, xl, wl);
      acc2 = vmlal_s16(acc2, vget_low_s16(xh), vget_low_s16(wh));
      acc3 = vmlal_high_s16(acc3, xh, wh);
    }
    int32_t* out = r.acc + ow * r.channels + c;
    vst1q_s32(out, acc0);
    vst1q_s32(out + 4, acc1);
    vst1q_s32(out + 8, acc2);
    vst1q_s32(out + 12, acc3);
  });
}

// Eight channels' bytes at p, or the `count` < 8 left (the rest 0: their weights are 0 too).
inline int16x8_t widened8(const uint8_t* p, std::size_t count) {
  if (count >= 8) return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
  uint8_t bytes[8] = {};
  std::memcpy(bytes, p, count);
  return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(bytes)));
}

// Channels [c, c + min(8, channels - c)) of every column.
void block8(const Qu8s8DwConv2dNhwcRow& r, std::size_t c) {
  const std::size_t count = r.channels - c < 8 ? r.channels - c : 8;
  for_each_column(r, [&](std::size_t ow, auto taps) {
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    for (std::size_t t = 0; t < r.taps; t++) {
      const int16x8_t x = widened8(taps(t) + c, count), w = vld1q_s16(r.weights + t * r.channels_padded + c);
      acc0 = vmlal_s16(acc0, vget_low_s16(x), vget_low_s16(w));
      acc1 = vmlal_high_s16(acc1, x, w);
    }
    int32_t sums[8];
    vst1q_s32(sums, acc0);
    vst1q_s32(sums + 4, acc1);
    int32_t* out = r.acc + ow * r.channels + c;
    for (std::size_t i = 0; i < count; i++) out[i] = static_cast<int32_t>(static_cast<uint32_t>(sums[i]) + static_cast<uint32_t>(r.bias[c + i]));
  });
}

}  // namespace

void qu8s8_dwconv2d_nhwc_16c_neon(const Qu8s8DwConv2dNhwcRow& r) {
  std::size_t c = 0;
  for (; c + 16 <= r.channels; c += 16) block16(r, c);
  for (; c < r.channels; c += 8) block8(r, c);
}

}  // namespace sparq
