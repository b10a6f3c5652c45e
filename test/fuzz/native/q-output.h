// The quantized output stage (QGemmParams) as the binding's q-output.cc lets
// it through, decoded from the fuzz bytes: shared by the qu8s8-gemm and
// qu8s8-spmm harnesses.
#pragma once

#include <vector>

#include "fuzz.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

namespace fuzz {

// The arrays a QGemmParams points into, kept alive beside it.
struct QOutputStage {
  sparq::QGemmParams params;
  std::vector<int32_t> bias;
  std::vector<float> multipliers;
};

// `channels` output channels (bias and multipliers per channel).
inline QOutputStage q_output_stage(Input& in, std::size_t channels) {
  QOutputStage s;
  sparq::QGemmParams& p = s.params;
  p.a_zero_point = in.integer<uint8_t>(0, 255);  // int_arg [0, 255]
  p.output = static_cast<sparq::QOutput>(in.pick(4));
  // bias: null or one per channel (stride 1), any int32.
  if (in.flag()) {
    s.bias = in.integers<int32_t>(channels, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    p.stage.bias = s.bias.data();
    p.stage.bias_stride = 1;
  }
  // multiplier: required unless int32 output, 1 or `channels` floats, any value.
  if (p.output != sparq::QOutput::kInt32 || in.flag()) {
    const bool per_channel = in.flag();
    const float range = p.output == sparq::QOutput::kFloat32 ? 1.0f : in.flag() ? 1e-4f : 0.05f;
    for (std::size_t i = 0; i < (per_channel ? channels : 1); ++i) s.multipliers.push_back(in.value(range));
    p.stage.multiplier = s.multipliers.data();
    p.stage.multiplier_stride = per_channel ? 1 : 0;
  }
  // Quantized outputs: zero point and bounds in the type's range, out_min <= out_max.
  const bool is_uint8 = p.output == sparq::QOutput::kUint8;
  const int32_t lo = is_uint8 ? 0 : -128, hi = is_uint8 ? 255 : 127;
  if (is_uint8 || p.output == sparq::QOutput::kInt8) {
    p.stage.zero_point = in.integer<int32_t>(lo, hi);
    p.stage.out_min = in.integer<int32_t>(lo, hi);
    p.stage.out_max = in.integer<int32_t>(p.stage.out_min, hi);
  }
  // fmin, fmax: any number (number_arg), NaN and fmin > fmax included.
  p.stage.fmin = in.flag() ? -INFINITY : in.value(100.0f);
  p.stage.fmax = in.flag() ? INFINITY : in.value(100.0f);
  return s;
}

}  // namespace fuzz
