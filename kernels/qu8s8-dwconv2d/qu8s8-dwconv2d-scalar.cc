// Portable qu8s8-dwconv2d: the pair layout (qu8s8-dwconv2d.h) built and
// summed one word at a time. Every other variant must match it bit for bit
// (and the reference, which sums the plain formula).
#include <cstdint>

#include "qu8s8-dwconv2d.h"

namespace sparq {

void qu8s8_dwconv2d_pack_scalar(const Qu8s8DwConv2dPlane& p, std::size_t word_begin) {
  const int32_t zx = p.zero_point;
  for (std::size_t r = 0; r < p.pair_rows; r++) {
    const uint8_t* a = p.padded + r * p.row_gcd * p.padded_stride;
    const uint8_t* b = a + p.dilation_h * p.padded_stride;
    for (std::size_t phase = 0; phase < p.stride_w; phase++) {
      int32_t* out = p.pairs + (r * p.stride_w + phase) * p.phase_width;
      for (std::size_t j = word_begin; j < p.phase_width; j++) {
        const std::size_t column = j * p.stride_w + phase;
        const uint32_t lo = static_cast<uint16_t>(a[column] - zx), hi = static_cast<uint16_t>(b[column] - zx);
        out[j] = static_cast<int32_t>(lo | hi << 16);
      }
    }
  }
}

void qu8s8_dwconv2d_scalar(const Qu8s8DwConv2dPlane& p) {
  qu8s8_dwconv2d_pack_scalar(p, 0);
  for (std::size_t oh = 0; oh < p.out_h; oh++) {
    const int32_t* base = p.pairs + oh * p.row_step;
    int32_t* out = p.acc + oh * p.out_w;
    for (std::size_t ow = 0; ow < p.out_w; ow++) {
      uint32_t sum = 0;  // wraps modulo 2^32, as the vector adds do
      for (std::size_t t = 0; t < p.taps; t++) {
        const int32_t word = base[p.tap_offsets[t] + static_cast<std::ptrdiff_t>(ow)], weight = p.tap_weights[t];
        const int32_t pair = static_cast<int16_t>(word) * static_cast<int16_t>(weight) +
                             static_cast<int16_t>(word >> 16) * static_cast<int16_t>(weight >> 16);
        sum += static_cast<uint32_t>(pair);
      }
      out[ow] = static_cast<int32_t>(sum);
    }
  }
}

}  // namespace sparq
