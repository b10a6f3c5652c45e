// qx8-f32-dequantize: uint8/int8 -> float32 exactly as ONNX DequantizeLinear:
//   y = float(x - zero_point) * scale      (one float32 multiply)
// One call is one row with one scale and zero point.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

using DequantizeFn = void (*)(std::size_t n, const void* x, float scale, int32_t zero_point, float* y);

struct DequantizeVariant {
  const char* name;  // e.g. "qx8-f32-dequantize-avx2"
  Isa isa;
  DequantizeFn from_uint8;
  DequantizeFn from_int8;
};

extern const DequantizeVariant kDequantizeVariants[];
extern const std::size_t kDequantizeVariantCount;
const DequantizeVariant& dequantize_best();

}  // namespace sparq
