// The direct 2-D convolutions behind planConv2d: f32-conv2d (dense),
// f32-spconv2d (csr / 4-row blocks) and qu8s8-conv2d (int8 blocks), on the
// shapes the binding accepts (kernel, dilations, strides >= 1; dilation 1
// where strided; the dilated kernel inside the padded input; batch 0 too),
// float32 or uint8 input, every output kind (integer ones on int8 blocks), bias, integer bias and
// multipliers, a fused max pool or a HardSwish/HardSigmoid post-op. Every
// variant of the family is compared with its scalar one: integer outputs
// exactly, float32 within |err| <= 1e-5 * |want| + 1e-5 + taps * 2e-7.
#include <vector>

#include "fuzz.h"
#include "kernels/f32-conv2d/f32-conv2d.h"
#include "kernels/f32-spconv2d/f32-spconv2d.h"
#include "kernels/qu8s8-conv2d/qu8s8-conv2d.h"

using namespace sparq;

namespace {

enum class Family { kDense, kSparse, kInt8 };

// Runs every supported variant of `list` and the scalar one (last) through
// `conv(variant, y)` and compares their outputs.
template <typename V, typename Conv>
void compare(const V* list, std::size_t count, ConvOutputKind kind, std::size_t y_len, float atol, Conv&& conv) {
  const std::size_t elem = kind == ConvOutputKind::kUint8 || kind == ConvOutputKind::kInt8 ? 1 : 4;
  std::vector<uint8_t> want(y_len * elem, 0xA5);
  conv(list[count - 1], want.data());
  fuzz::each_variant(list, count - 1, [&](const V& v) {
    std::vector<uint8_t> got(y_len * elem, 0xA5);
    conv(v, got.data());
    if (kind == ConvOutputKind::kFloat32)
      fuzz::close_floats(v.name, "y", reinterpret_cast<const float*>(got.data()),
                         reinterpret_cast<const float*>(want.data()), y_len, 1e-5f, atol);
    else
      fuzz::same_bytes(v.name, "y", got.data(), want.data(), got.size());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  const Family family = static_cast<Family>(in.pick(3));
  ShiftedConvShape s{};
  s.batch = in.size(0, 2);
  s.channels = in.size(1, 6);
  s.out_channels = in.size(1, 20);
  s.kernel_h = in.size(1, 5), s.kernel_w = in.size(1, 5);
  s.stride_h = in.size(1, 3), s.stride_w = in.size(1, 3);
  const bool strided = s.strided();
  s.dilation_h = strided ? 1 : in.size(1, 3), s.dilation_w = strided ? 1 : in.size(1, 3);
  s.pad_top = in.size(0, 3), s.pad_left = in.size(0, 3), s.pad_bottom = in.size(0, 3), s.pad_right = in.size(0, 3);
  s.height = in.size(1, 24), s.width = in.size(1, 24);
  // The dilated kernel must fit the padded input.
  if (s.dilation_h * (s.kernel_h - 1) >= s.padded_h() || s.dilation_w * (s.kernel_w - 1) >= s.padded_w()) return 0;
  const std::size_t taps = s.taps();

  // Input: uint8 (zero point in [0, 255]) for int8 blocks and integer output, else either.
  // int8 blocks: integer output only (their kernels store int32 sums).
  const ConvOutputKind kind = static_cast<ConvOutputKind>(family == Family::kInt8 ? 1 + in.pick(3) : in.pick(4));
  const bool x_u8 = family == Family::kInt8 || kind != ConvOutputKind::kFloat32 || in.flag();
  const int32_t x_zp = x_u8 ? in.integer<int32_t>(0, 255) : 0;
  // Weights: int8 blocks take integers in [-128, 127] (else packing refuses
  // them); integer output on the float kernels takes integers whose
  // channel |w| sums times max |x - zp| stay below 2^24, the binding's
  // maxRowAbsSum rule (integral weights are the TS layer's rule: it
  // computes maxRowAbsSum for them only, the binding does not check).
  const bool integral = family == Family::kInt8 || kind != ConvOutputKind::kFloat32;
  std::vector<float> w = in.floats(s.out_channels * taps, 1.0f, false);
  if (integral) {
    const double x_max = std::max(x_zp, 255 - x_zp);
    const double limit = family == Family::kInt8 ? 127.0 : std::floor(std::min(127.0, 16777215.0 / std::max(x_max, 1.0) / taps));
    for (float& v : w) v = static_cast<float>(std::max(-128.0, std::min(limit, std::nearbyint(static_cast<double>(v) * 128.0))));
    if (family != Family::kInt8)
      for (float& v : w) v = std::max(static_cast<float>(-limit), v);  // symmetric: |w| <= limit
  }
  // Sparse families: zero some weights (whole 4-row blocks stay sparse too).
  if (family != Family::kDense)
    for (std::size_t i = 0; i < w.size(); ++i)
      if (in.pick(3) != 0) w[i] = 0.0f;

  ConvOutputParams out;
  out.kind = kind;
  std::vector<float> bias, multipliers;
  std::vector<int32_t> int_bias;
  if (in.flag()) {
    bias = in.floats(s.out_channels, 1.0f, false);
    out.bias = bias.data();
  }
  if (in.flag()) {
    int_bias = in.integers<int32_t>(s.out_channels, -100000, 100000);
    out.int_bias = int_bias.data();
  }
  const bool quantized = kind == ConvOutputKind::kUint8 || kind == ConvOutputKind::kInt8;
  if (quantized || in.flag()) {
    for (std::size_t i = 0; i < s.out_channels; ++i) multipliers.push_back(in.value(in.flag() ? 1e-3f : 0.1f));
    out.multipliers = multipliers.data();
  }
  const int32_t lo = kind == ConvOutputKind::kInt8 ? -128 : 0, hi = lo + 255;
  out.zero_point = in.integer<int32_t>(lo, hi);
  out.out_min = in.integer<int32_t>(lo, hi);
  out.out_max = in.integer<int32_t>(out.out_min, hi);
  if (in.flag()) out.min = in.value(4.0f), out.max = in.value(4.0f);  // number_arg: any number

  std::size_t y_h = s.out_h(), y_w = s.out_w();
  if (in.flag()) {
    // Pool kernel and strides >= 1, the window inside the convolution's output.
    out.pool.kernel_h = in.size(1, 3), out.pool.kernel_w = in.size(1, 3);
    out.pool.stride_h = in.size(1, 3), out.pool.stride_w = in.size(1, 3);
    if (out.pool.kernel_h > y_h || out.pool.kernel_w > y_w) return 0;
    y_h = pooled_h(out.pool, y_h), y_w = pooled_w(out.pool, y_w);
  } else if (kind == ConvOutputKind::kFloat32 && in.flag()) {
    // The post-op: float32 output, no pool; the tiles store unclamped and the activation clamps last.
    out.post_op = true;
    out.post.kind = in.flag() ? F32ActKind::kHardSwish : F32ActKind::kHardSigmoid;
    out.post.alpha = in.value(1.0f, false), out.post.beta = in.value(1.0f, false);
    out.post.lo = out.min, out.post.hi = out.max;
    out.min = -INFINITY, out.max = INFINITY;
  }
  const std::size_t y_len = s.batch * s.out_channels * y_h * y_w;

  const std::size_t x_len = s.batch * s.channels * s.height * s.width;
  std::vector<uint8_t> x_u8_data;
  std::vector<float> x_f32_data;
  ConvInput x{};
  if (x_u8) {
    x_u8_data = in.bytes(x_len);
    x.u8 = x_u8_data.data();
    x.zero_point = x_zp;
  } else {
    x_f32_data = in.floats(x_len, 1.0f, false);
    x.f32 = x_f32_data.data();
  }
  // A post-op's HardSwish doubles the error of large sums.
  const float atol = (1e-5f + static_cast<float>(taps) * 2e-7f) * (out.post_op ? 8.0f : 1.0f);
  auto with_y = [&](void* y) {
    ConvOutputParams o = out;
    o.y = y;
    return o;
  };
  switch (family) {
    case Family::kDense: {
      F32Conv2dWeights packed;
      f32_conv2d_pack(s.out_channels, taps, w.data(), &packed);
      compare(kF32Conv2dVariants, kF32Conv2dVariantCount, kind, y_len, atol,
              [&](const F32Conv2dVariant& v, void* y) { f32_conv2d(v, s, x, packed, with_y(y)); });
      break;
    }
    case Family::kSparse: {
      F32SpConv2dWeights packed;
      f32_spconv2d_pack(s.out_channels, taps, in.flag() ? 4 : 1, w.data(), &packed);
      compare(kF32SpConv2dVariants, kF32SpConv2dVariantCount, kind, y_len, atol,
              [&](const F32SpConv2dVariant& v, void* y) { f32_spconv2d(v, s, x, packed, with_y(y)); });
      break;
    }
    case Family::kInt8: {
      Qu8s8Conv2dWeights packed;
      if (!qu8s8_conv2d_pack(s.out_channels, s.channels, s.kernel_h, s.kernel_w, w.data(), &packed))
        fuzz::fail("qu8s8_conv2d_pack", "refused integer weights in [-128, 127]", 0, 0, 0);
      compare(kQu8s8Conv2dVariants, kQu8s8Conv2dVariantCount, kind, y_len, atol,
              [&](const Qu8s8Conv2dVariant& v, void* y) { qu8s8_conv2d(v, s, x, packed, with_y(y)); });
      break;
    }
  }
  return 0;
}
