// f32-qx8-quantize: float32 -> uint8/int8 exactly as ONNX QuantizeLinear:
//   y = saturate(round_half_even(x / scale) + zero_point)
// with x / scale one IEEE float32 division (as onnxruntime computes it), the
// same float-domain clamping as qs32-qx8-requantize, and NaN mapped to 0
// before rounding (so it gives the zero point). One call is one row with one
// scale and zero point; per-axis quantization calls it once per channel run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"
#include "../qs32-qx8-requantize/qs32-qx8-requantize.h"

namespace sparq {

using QuantizeFn = void (*)(std::size_t n, const float* x, float scale, int32_t zero_point, void* y);

struct QuantizeVariant {
  const char* name;  // e.g. "f32-qx8-quantize-avx2"
  Isa isa;
  QuantizeFn to_uint8;
  QuantizeFn to_int8;
};

extern const QuantizeVariant kQuantizeVariants[];
extern const std::size_t kQuantizeVariantCount;
const QuantizeVariant& quantize_best();

// y [outer, inner, channels] = row's quantization of x [outer, channels,
// inner] (NCHW float in, NHWC bytes out, as QuantizeLinear then a transpose
// give them), channel c with scales[c] and zero_points[c] (or the single
// one when a count is 1). Tiles of up to 32 channels x 256 pixels are
// quantized by `row` (a variant's to_uint8 or to_int8) into an L1 buffer
// and interleaved from there, so every byte is the row function's and the
// float image is read once instead of being transposed in memory first.
// Split across the thread pool in runs of tiles.
void quantize_channels_last(QuantizeFn row, std::size_t outer, std::size_t channels, std::size_t inner, const float* x,
                            const float* scales, std::size_t scale_count, const int32_t* zero_points,
                            std::size_t zero_point_count, void* y);

}  // namespace sparq
