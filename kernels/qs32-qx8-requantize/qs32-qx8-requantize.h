// qs32-qx8-requantize: int32 accumulators -> uint8/int8 (or float32).
//
// Quantized output follows ONNX QuantizeLinear applied to acc * multiplier,
// computed in float32 exactly as onnxruntime does:
//   y = saturate(round_half_even(float(acc + bias) * multiplier) + zero_point)
// where float(.) rounds to nearest even, the product is one float32 multiply
// (no FMA), and saturate clamps to [out_min, out_max] (the type's range, or a
// tighter one for a fused ReLU/clamp). Clamping is done in float before the
// conversion, which gives the same result and never overflows the int32
// conversion: clamp(round(x) + zp, lo, hi) == round(clamp(x, lo - zp, hi - zp)) + zp.
//
// Float output (fused dequantize): y = clamp(float(acc + bias) * multiplier, fmin, fmax).
//
// One call handles one row of n values; per-channel parameters step along the
// row (stride 1) and per-tensor ones are broadcast (stride 0). The gemm
// kernels call these on their int32 tiles, so every path shares one epilogue.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

enum class QType { kUint8, kInt8 };

struct RequantizeRow {
  const int32_t* bias = nullptr;  // added to acc first (wrapping int32); null for none
  std::size_t bias_stride = 0;    // 0: one value for the row; 1: per element
  const float* multiplier = nullptr;
  std::size_t multiplier_stride = 0;
  int32_t zero_point = 0;
  int32_t out_min = 0;  // inclusive, within the output type's range
  int32_t out_max = 255;
  float fmin = -INFINITY;  // float output only
  float fmax = INFINITY;
};

using RequantizeQ8Fn = void (*)(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out);
using RequantizeF32Fn = void (*)(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out);

struct RequantizeVariant {
  const char* name;  // e.g. "qs32-qx8-requantize-avx2"
  Isa isa;
  RequantizeQ8Fn to_uint8;
  RequantizeQ8Fn to_int8;
  RequantizeF32Fn to_float;
};

extern const RequantizeVariant kRequantizeVariants[];
extern const std::size_t kRequantizeVariantCount;
const RequantizeVariant& requantize_best();

}  // namespace sparq
