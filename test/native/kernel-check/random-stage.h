// A random output stage for the integer convolution checks (qu8s8-conv2d-nhwc,
// qu8s8-dwconv2d, qu8s8-dwconv2d-nhwc): per-channel bias, multipliers per
// channel or one per tensor (small enough that the sums land around the
// output range, large enough that many saturate), uint8 or int8 output with
// a zero point off 0, and now and then a clamp narrower than the type (a fused
// ReLU6 whose 6 lies inside the range) or an infinite multiplier (its sums of
// 0 make NaN, which the stage takes to 0), so the variants' own narrowing and
// clamping meet every branch of the scalar requantize they must match.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "kernels/qs32-qx8-requantize/qs32-qx8-requantize.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

namespace kcheck {

struct RandomStage {
  std::vector<int32_t> bias;
  std::vector<float> multipliers;
  sparq::QOutput output;
  sparq::RequantizeRow row;  // points into bias and multipliers: keep the struct where it was made

  RandomStage(Checker& c, std::size_t channels)
      : bias(c.integers<int32_t>(channels, -30000, 30000)), multipliers(c.floats(channels, 0.0001f, 0.01f)) {
    if (c.below(8) == 0) multipliers[0] = INFINITY;
    const bool is_signed = c.below(2) == 0;
    output = is_signed ? sparq::QOutput::kInt8 : sparq::QOutput::kUint8;
    row.bias = bias.data();
    row.bias_stride = 1;
    row.multiplier = multipliers.data();
    row.multiplier_stride = c.below(2);
    row.zero_point = is_signed ? -5 : 120;
    const int32_t type_min = is_signed ? -128 : 0, type_max = is_signed ? 127 : 255;
    const bool narrow = c.below(3) == 0;
    row.out_min = narrow ? type_min + static_cast<int32_t>(c.below(100)) : type_min;
    row.out_max = narrow ? type_max - static_cast<int32_t>(c.below(100)) : type_max;
  }
  RandomStage(const RandomStage&) = delete;
  RandomStage& operator=(const RandomStage&) = delete;

  const char* type() const { return output == sparq::QOutput::kInt8 ? "int8" : "uint8"; }
};

}  // namespace kcheck
