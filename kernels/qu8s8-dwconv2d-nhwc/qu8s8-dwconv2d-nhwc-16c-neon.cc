// NEON qu8s8-dwconv2d-nhwc: 16 channels at a time (then 8, then the last
// few through a copy), one tap at a time: the bytes widened to int16
// (vmovl_u8) and multiplied by the tap's int16 weights into int32 lanes
// (vmlal_s16 / vmlal_high_s16), so no tap pairing is needed. Interior
// columns of 16-channel blocks run two at a time.
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

// One column's 16 channels: acc[0..3] += x * w over the taps (x the bytes at taps(t) + c).
struct Sums16 {
  int32x4_t acc[4];
  void add(uint8x16_t x, int16x8_t wl, int16x8_t wh) {
    const int16x8_t xl = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(x))), xh = vreinterpretq_s16_u16(vmovl_high_u8(x));
    acc[0] = vmlal_s16(acc[0], vget_low_s16(xl), vget_low_s16(wl));
    acc[1] = vmlal_high_s16(acc[1], xl, wl);
    acc[2] = vmlal_s16(acc[2], vget_low_s16(xh), vget_low_s16(wh));
    acc[3] = vmlal_high_s16(acc[3], xh, wh);
  }
};

// Channels [c, c + 16) of every column; interior columns two at a time, each weight vector loaded once for both.
void block16(const Qu8s8DwConv2dNhwcRow& r, std::size_t c) {
  const Sums16 bias = {{vld1q_s32(r.bias + c), vld1q_s32(r.bias + c + 4), vld1q_s32(r.bias + c + 8), vld1q_s32(r.bias + c + 12)}};
  const auto store = [&](std::size_t ow, const Sums16& s) {
    int32_t* out = r.acc + ow * r.channels + c;
    for (int k = 0; k < 4; k++) vst1q_s32(out + 4 * k, s.acc[k]);
  };
  const auto column = [&](std::size_t ow, auto taps) {
    Sums16 s = bias;
    for (std::size_t t = 0; t < r.taps; t++) {
      const int16_t* w = r.weights + t * r.channels_padded + c;
      s.add(vld1q_u8(taps(t) + c), vld1q_s16(w), vld1q_s16(w + 8));
    }
    store(ow, s);
  };
  for (std::size_t ow = 0; ow < r.out_w;) {
    const bool inner = ow >= r.interior_begin && ow < r.interior_end;
    if (!inner) {
      column(ow, Indirect{r.inputs + ow * r.tap_stride});
      ow++;
      continue;
    }
    const uint8_t* window = r.origin + (ow - r.interior_begin) * r.column_step;
    if (ow + 1 == r.interior_end) {
      column(ow, Direct{window, r.tap_offsets});
      ow++;
      continue;
    }
    const uint8_t* first = window + c;
    const uint8_t* next = first + r.column_step;
    Sums16 s0 = bias, s1 = bias;
    for (std::size_t t = 0; t < r.taps; t++) {
      const int16_t* w = r.weights + t * r.channels_padded + c;
      const int16x8_t wl = vld1q_s16(w), wh = vld1q_s16(w + 8);
      s0.add(vld1q_u8(first + r.tap_offsets[t]), wl, wh);
      s1.add(vld1q_u8(next + r.tap_offsets[t]), wl, wh);
    }
    store(ow, s0);
    store(ow + 1, s1);
    ow += 2;
  }
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
