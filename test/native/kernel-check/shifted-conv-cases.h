// Shapes and outputs shared by the direct-convolution checks (f32-conv2d,
// f32-spconv2d): random convolutions (stride 1; strides 1-3 every sixth
// case where the family takes them) whose maps run from 1x1 (the
// compact layout, several images per call) to 40 wide (rows spanning
// several 16-position vectors, dropped lanes at every row end), kernels up
// to 3x3 with dilation and padding, 1-14 output channels (every strip
// height), float32 output with bias/ReLU/clamp, exact int32 sums from
// uint8 input, and the fused 2x2 max pool (positions stored whole).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "kernels/shifted-conv/shifted-conv.h"

namespace kcheck {

struct ConvCase {
  sparq::ShiftedConvShape s;
  bool u8;       // uint8 input with a zero point, int32 output
  int stage;     // float output: 0 none, 1 bias, 2 bias + ReLU, 3 bias + [min, max]
  bool pool;     // fused 2x2 stride-2 max pool
  int special;   // 1: an Inf pixel, 2: a NaN pixel (float input)
};

inline ConvCase random_conv_case(Checker& c, int i, bool strided = false) {
  ConvCase t{};
  sparq::ShiftedConvShape& s = t.s;
  s.batch = 1 + c.below(3);
  s.channels = 1 + c.below(5);
  s.out_channels = 1 + c.below(14);
  s.kernel_h = 1 + c.below(3), s.kernel_w = 1 + c.below(3);
  s.dilation_h = 1 + c.below(2), s.dilation_w = 1 + c.below(2);
  // Strided cases: the phase-plane layout (dilation 1 there).
  if (strided && i % 6 == 5) s.dilation_h = s.dilation_w = 1, s.stride_h = 1 + c.below(3), s.stride_w = 1 + c.below(3);
  s.pad_top = c.below(2), s.pad_left = c.below(2), s.pad_bottom = c.below(2), s.pad_right = c.below(2);
  const std::size_t reach_h = s.dilation_h * (s.kernel_h - 1) + 1, reach_w = s.dilation_w * (s.kernel_w - 1) + 1;
  const std::size_t most = i % 4 == 0 ? 40 : 12;
  s.height = std::max(reach_h, 1 + c.below(most));
  s.width = std::max(reach_w, 1 + c.below(most));
  t.u8 = i % 5 == 2;
  t.stage = i % 4;
  t.pool = i % 3 == 1 && s.out_h() >= 2 && s.out_w() >= 2;
  t.special = t.u8 ? 0 : i % 11 == 3 ? 1 : i % 11 == 7 ? 2 : 0;
  return t;
}

// Calls run(input, params, variant) for the variant (variant = true) and
// then the reference (on weights both share), with the same input and
// output stage, and compares the outputs bit for bit.
template <typename Run>
void check_conv_case(Checker& c, const ConvCase& t, Run run, const char* label) {
  const sparq::ShiftedConvShape& s = t.s;
  sparq::ConvPool pool;
  if (t.pool) pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
  const std::size_t oh = t.pool ? sparq::pooled_h(pool, s.out_h()) : s.out_h();
  const std::size_t ow = t.pool ? sparq::pooled_w(pool, s.out_w()) : s.out_w();
  const std::size_t count = s.batch * s.out_channels * oh * ow;
  const std::size_t pixels = s.batch * s.channels * s.height * s.width;
  std::vector<float> x = c.floats(pixels, -1.0f, 1.0f);
  if (t.special == 1) x[c.below(pixels)] = INFINITY;
  if (t.special == 2) x[c.below(pixels)] = NAN;
  const std::vector<uint8_t> xu = c.integers<uint8_t>(pixels, 0, 255);
  const std::vector<float> bias = c.floats(s.out_channels, -1.0f, 1.0f);
  sparq::ConvInput in;
  if (t.u8) in.u8 = xu.data(), in.zero_point = static_cast<int32_t>(c.integer(0, 255));
  else in.f32 = x.data();
  sparq::ConvOutputParams p;
  p.kind = t.u8 ? sparq::ConvOutputKind::kInt32 : sparq::ConvOutputKind::kFloat32;
  p.pool = pool;
  if (!t.u8 && t.stage != 0) p.bias = bias.data();
  if (!t.u8 && t.stage == 2) p.min = 0.0f;
  if (!t.u8 && t.stage == 3) p.min = -0.5f, p.max = 0.5f;
  std::vector<float> got(count, -7.0f), want(count, -7.0f);
  std::vector<int32_t> got_i(count, -7), want_i(count, -7);
  p.y = t.u8 ? static_cast<void*>(got_i.data()) : got.data();
  run(in, p, true);
  p.y = t.u8 ? static_cast<void*>(want_i.data()) : want.data();
  run(in, p, false);
  const char* what = "%s: n=%zu c=%zu oc=%zu %zux%zu k=%zux%zu d=%zu,%zu pads=%zu,%zu,%zu,%zu %s stage %d%s special %d";
  if (t.u8)
    c.same(got_i.data(), want_i.data(), count, what, label, s.batch, s.channels, s.out_channels, s.height, s.width,
           s.kernel_h, s.kernel_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left, s.pad_bottom, s.pad_right,
           "u8->int32", t.stage, t.pool ? " pooled" : "", t.special);
  else
    c.same(got.data(), want.data(), count, what, label, s.batch, s.channels, s.out_channels, s.height, s.width,
           s.kernel_h, s.kernel_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left, s.pad_bottom, s.pad_right,
           "f32", t.stage, t.pool ? " pooled" : "", t.special);
}

// Weights for `t`: random in [-1, 1] (integers in [-127, 127] for uint8
// input, so the sums stay exact), zero with probability `zeros`.
inline std::vector<float> conv_weights(Checker& c, const ConvCase& t, float zeros) {
  std::vector<float> w(t.s.out_channels * t.s.taps());
  for (float& v : w) {
    const bool zero = c.uniform(0.0f, 1.0f) < zeros;
    v = zero ? 0.0f : t.u8 ? static_cast<float>(c.integer(-127, 127)) : c.uniform(-1.0f, 1.0f);
  }
  return w;
}

}  // namespace kcheck
