// Portable qu8s8-dwconv2d-nhwc: one channel at a time. Every other variant
// must match it bit for bit (and the NCHW reference, transposed).
#include <cstdint>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {

void qu8s8_dwconv2d_nhwc_1c_scalar(const Qu8s8DwConv2dNhwcRow& r) {
  for (std::size_t ow = 0; ow < r.out_w; ow++) {
    const bool inner = ow >= r.interior_begin && ow < r.interior_end;
    const uint8_t* window = inner ? r.origin + (ow - r.interior_begin) * r.column_step : nullptr;
    const uint8_t* const* column = r.inputs + ow * r.tap_stride;
    int32_t* out = r.acc + ow * r.channels;
    for (std::size_t c = 0; c < r.channels; c++) {
      uint32_t sum = static_cast<uint32_t>(r.bias[c]);  // wraps modulo 2^32, as the vector adds do
      for (std::size_t t = 0; t < r.taps; t++) {
        const uint8_t* pixel = inner ? window + r.tap_offsets[t] : column[t];
        sum += static_cast<uint32_t>(int32_t{pixel[c]} * r.weights[t * r.channels_padded + c]);
      }
      out[c] = static_cast<int32_t>(sum);
    }
  }
}

}  // namespace sparq
