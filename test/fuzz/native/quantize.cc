// f32-qx8-quantize, qx8-f32-dequantize and qs32-qx8-requantize with the
// parameters their bindings let through: any float scale or multiplier
// (zero, negative, subnormal, Inf, NaN), quantize and requantize zero points
// and bounds in the output type's range, dequantize zero points any int32,
// any bias and fmin/fmax; rows of any length and the channels-last quantize. Every variant equals the scalar
// one bit for bit (the formulas are one float operation each, no tolerance).
#include <algorithm>
#include <limits>
#include <vector>

#include "fuzz.h"
#include "kernels/f32-qx8-quantize/f32-qx8-quantize.h"
#include "kernels/qs32-qx8-requantize/qs32-qx8-requantize.h"
#include "kernels/qx8-f32-dequantize/qx8-f32-dequantize.h"

using namespace sparq;

namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();

// A dequantize zero point: mostly in a byte type's range, sometimes any int32.
int32_t any_zero_point(fuzz::Input& in) { return in.flag() ? in.integer<int32_t>(-128, 255) : in.integer<int32_t>(kMin, kMax); }

// A quantized output's zero point, in its type's range (check_byte_zero_points).
int32_t byte_zero_point(fuzz::Input& in, bool is_unsigned) {
  return is_unsigned ? in.integer<int32_t>(0, 255) : in.integer<int32_t>(-128, 127);
}

void quantize(fuzz::Input& in) {
  const std::size_t n = in.size(0, 300);
  const std::vector<float> x = in.floats(n, in.flag() ? 4.0f : 1000.0f, true);
  const float scale = in.value(in.flag() ? 0.05f : 1e-30f);
  const bool to_uint8 = in.flag();
  const int32_t zp = byte_zero_point(in, to_uint8);
  const QuantizeVariant& ref = kQuantizeVariants[kQuantizeVariantCount - 1];
  std::vector<uint8_t> want(n, 0xA5);
  (to_uint8 ? ref.to_uint8 : ref.to_int8)(n, x.data(), scale, zp, want.data());
  fuzz::each_variant(kQuantizeVariants, kQuantizeVariantCount - 1, [&](const QuantizeVariant& v) {
    std::vector<uint8_t> got(n, 0xA5);
    (to_uint8 ? v.to_uint8 : v.to_int8)(n, x.data(), scale, zp, got.data());
    fuzz::same_bytes(v.name, "quantized row", got.data(), want.data(), n);
  });
}

// quantize_channels_last against the row function per channel, transposed.
void quantize_channels_last(fuzz::Input& in) {
  const std::size_t outer = in.size(0, 3), channels = in.size(1, 70), inner = in.size(0, 300);
  const std::vector<float> x = in.floats(outer * channels * inner, 8.0f, true);
  std::vector<float> scales;
  std::vector<int32_t> zps;
  const std::size_t scale_count = in.flag() ? channels : 1;
  for (std::size_t i = 0; i < scale_count; ++i) scales.push_back(in.value(0.05f));
  const bool to_uint8 = in.flag();
  const std::size_t zp_count = in.flag() ? channels : 1;
  for (std::size_t i = 0; i < zp_count; ++i) zps.push_back(byte_zero_point(in, to_uint8));
  fuzz::each_variant(kQuantizeVariants, kQuantizeVariantCount, [&](const QuantizeVariant& v) {
    const QuantizeFn row = to_uint8 ? v.to_uint8 : v.to_int8;
    std::vector<uint8_t> got(x.size(), 0xA5), want(x.size(), 0xA5), plane(inner);
    sparq::quantize_channels_last(row, outer, channels, inner, x.data(), scales.data(), scales.size(), zps.data(),
                                  zps.size(), got.data());
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t c = 0; c < channels; ++c) {
        row(inner, x.data() + (o * channels + c) * inner, scales[scales.size() == 1 ? 0 : c], zps[zps.size() == 1 ? 0 : c],
            plane.data());
        for (std::size_t i = 0; i < inner; ++i) want[(o * inner + i) * channels + c] = plane[i];
      }
    fuzz::same_bytes(v.name, "channels-last quantize against its rows", got.data(), want.data(), got.size());
  });
}

void dequantize(fuzz::Input& in) {
  const std::size_t n = in.size(0, 300);
  const std::vector<uint8_t> x = in.bytes(n);
  const float scale = in.value(in.flag() ? 0.05f : 1e30f);
  const int32_t zp = any_zero_point(in);
  const bool from_uint8 = in.flag();
  const DequantizeVariant& ref = kDequantizeVariants[kDequantizeVariantCount - 1];
  std::vector<float> want(n, -7.0f);
  (from_uint8 ? ref.from_uint8 : ref.from_int8)(n, x.data(), scale, zp, want.data());
  fuzz::each_variant(kDequantizeVariants, kDequantizeVariantCount - 1, [&](const DequantizeVariant& v) {
    std::vector<float> got(n, -7.0f);
    (from_uint8 ? v.from_uint8 : v.from_int8)(n, x.data(), scale, zp, got.data());
    fuzz::same_floats(v.name, "dequantized row", got.data(), want.data(), n);
  });
}

void requantize(fuzz::Input& in) {
  const std::size_t n = in.size(0, 300);
  const std::vector<int32_t> acc = in.flag() ? in.integers<int32_t>(n, kMin, kMax) : in.integers<int32_t>(n, -100000, 100000);
  RequantizeRow p;
  std::vector<int32_t> bias;
  std::vector<float> multipliers;
  if (in.flag()) {
    p.bias_stride = in.flag() ? 1 : 0;
    bias = in.integers<int32_t>(p.bias_stride == 1 ? std::max<std::size_t>(n, 1) : 1, kMin, kMax);
    p.bias = bias.data();
  }
  p.multiplier_stride = in.flag() ? 1 : 0;
  const float range = in.flag() ? 1e-3f : 10.0f;
  // One per element, or one; never none (the binding's arrays have 1 or `channels` values).
  for (std::size_t i = 0; i < (p.multiplier_stride == 1 ? std::max<std::size_t>(n, 1) : 1); ++i)
    multipliers.push_back(in.value(range));
  p.multiplier = multipliers.data();
  const int kind = static_cast<int>(in.pick(3));  // uint8, int8, float32
  const int32_t lo = kind == 0 ? 0 : -128, hi = kind == 0 ? 255 : 127;
  p.zero_point = in.integer<int32_t>(lo, hi);
  p.out_min = in.integer<int32_t>(lo, hi);
  p.out_max = in.integer<int32_t>(p.out_min, hi);
  p.fmin = in.flag() ? -INFINITY : in.value(100.0f);
  p.fmax = in.flag() ? INFINITY : in.value(100.0f);
  const std::size_t elem = kind == 2 ? 4 : 1;
  auto run = [&](const RequantizeVariant& v, void* out) {
    if (kind == 2)
      v.to_float(n, acc.data(), p, static_cast<float*>(out));
    else
      (kind == 0 ? v.to_uint8 : v.to_int8)(n, acc.data(), p, out);
  };
  const RequantizeVariant& ref = kRequantizeVariants[kRequantizeVariantCount - 1];
  std::vector<uint8_t> want(n * elem, 0xA5);
  run(ref, want.data());
  fuzz::each_variant(kRequantizeVariants, kRequantizeVariantCount - 1, [&](const RequantizeVariant& v) {
    std::vector<uint8_t> got(n * elem, 0xA5);
    run(v, got.data());
    if (kind == 2)
      fuzz::same_floats(v.name, "requantized row", reinterpret_cast<const float*>(got.data()),
                        reinterpret_cast<const float*>(want.data()), n);
    else
      fuzz::same_bytes(v.name, "requantized row", got.data(), want.data(), got.size());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  switch (in.pick(4)) {
    case 0: quantize(in); break;
    case 1: quantize_channels_last(in); break;
    case 2: dequantize(in); break;
    default: requantize(in);
  }
  return 0;
}
