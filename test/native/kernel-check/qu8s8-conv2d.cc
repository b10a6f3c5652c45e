// qu8s8-conv2d: every variant against the scalar one through the driver,
// exact, on the same packed weights: random shapes (channels and output
// channels around the blocks of 4, maps from 1x1 up, kernels 1x1 to 5x5,
// dilation, asymmetric padding, strides 1-3 (every fourth trial, the
// phase-plane layout), batch 1-3), full-range weights (-128..127)
// pruned in 4x4 blocks at random densities (and some trials within
// [-64, 64]), full-range pixels with a random
// zero point, every integer output (int32, uint8, int8 with bias and
// per-channel multipliers) and fused max pools.
#include <algorithm>
#include <cstring>
#include <vector>

#include "check.h"
#include "kernels/qu8s8-conv2d/qu8s8-conv2d.h"

using namespace sparq;

namespace {

void run(kcheck::Checker& c, const Qu8s8Conv2dVariant& v, const Qu8s8Conv2dVariant& ref, int trial) {
  ShiftedConvShape s{};
  s.batch = 1 + c.below(3);
  s.channels = 1 + c.below(trial % 4 == 0 ? 40 : 10);
  s.out_channels = 1 + c.below(13);
  s.height = 1 + c.below(trial % 3 == 0 ? 30 : 9);
  s.width = 1 + c.below(trial % 3 == 1 ? 30 : 9);
  s.kernel_h = 1 + c.below(trial % 5 == 0 ? 5 : 3);
  s.kernel_w = 1 + c.below(trial % 5 == 0 ? 5 : 3);
  s.dilation_h = 1 + c.below(4) / 3;
  s.dilation_w = 1 + c.below(4) / 3;
  if (trial % 4 == 3) s.dilation_h = s.dilation_w = 1, s.stride_h = 1 + c.below(3), s.stride_w = 1 + c.below(3);
  s.pad_top = c.below(3);
  s.pad_left = c.below(3);
  s.pad_bottom = c.below(3);
  s.pad_right = c.below(3);
  // The dilated kernel must fit the padded input.
  while (s.padded_h() < s.dilation_h * (s.kernel_h - 1) + 1) ++s.pad_bottom;
  while (s.padded_w() < s.dilation_w * (s.kernel_w - 1) + 1) ++s.pad_right;

  // Weights pruned in blocks of 4 output x 4 input channels at one tap.
  const std::size_t taps = s.kernel_h * s.kernel_w;
  const float density = c.uniform(0.0f, 1.0f);
  // Some trials keep every weight in [-64, 64], the narrow range some x86 kernels take a faster path on.
  const int64_t w_lo = trial % 7 == 0 ? -64 : -128, w_hi = trial % 7 == 0 ? 64 : 127;
  std::vector<float> w(s.out_channels * s.channels * taps, 0.0f);
  for (std::size_t o0 = 0; o0 < s.out_channels; o0 += 4)
    for (std::size_t c0 = 0; c0 < s.channels; c0 += 4)
      for (std::size_t t = 0; t < taps; ++t) {
        if (c.uniform(0.0f, 1.0f) >= density) continue;
        for (std::size_t o = o0; o < std::min(o0 + 4, s.out_channels); ++o)
          for (std::size_t ch = c0; ch < std::min(c0 + 4, s.channels); ++ch)
            w[(o * s.channels + ch) * taps + t] = static_cast<float>(c.integer(w_lo, w_hi));
      }
  Qu8s8Conv2dWeights packed;
  if (!c.expect(qu8s8_conv2d_pack(s.out_channels, s.channels, s.kernel_h, s.kernel_w, w.data(), &packed),
                "trial %d: packing integer weights", trial))
    return;

  std::vector<uint8_t> x(s.batch * s.channels * s.height * s.width);
  for (uint8_t& e : x) e = static_cast<uint8_t>(c.integer(0, 255));
  ConvInput in;
  in.u8 = x.data();
  in.zero_point = static_cast<int32_t>(c.integer(0, 255));

  ConvOutputParams out;
  const ConvOutputKind kinds[] = {ConvOutputKind::kInt32, ConvOutputKind::kUint8, ConvOutputKind::kInt8};
  out.kind = kinds[trial % 3];
  const std::vector<int32_t> bias = c.integers<int32_t>(s.out_channels, -(1 << 16), 1 << 16);
  if (c.below(2) == 0) out.int_bias = bias.data();
  std::vector<float> multipliers(s.out_channels);
  for (float& m : multipliers) m = c.uniform(-1e-3f, 1e-3f);
  if (out.kind != ConvOutputKind::kInt32) {
    out.multipliers = multipliers.data();
    const int lo = out.kind == ConvOutputKind::kUint8 ? 0 : -128;
    out.zero_point = static_cast<int32_t>(c.integer(lo, lo + 255));
    out.out_min = static_cast<int32_t>(c.integer(lo, lo + 20));
    out.out_max = static_cast<int32_t>(c.integer(lo + 235, lo + 255));
  }
  std::size_t out_h = s.out_h(), out_w = s.out_w();
  if (c.below(3) == 0) {
    out.pool.kernel_h = 1 + c.below(std::min<std::size_t>(3, out_h));
    out.pool.kernel_w = 1 + c.below(std::min<std::size_t>(3, out_w));
    out.pool.stride_h = 1 + c.below(2);
    out.pool.stride_w = 1 + c.below(2);
    out_h = pooled_h(out.pool, out_h);
    out_w = pooled_w(out.pool, out_w);
  }
  const std::size_t elem = out.kind == ConvOutputKind::kInt32 ? 4 : 1;
  const std::size_t bytes = s.batch * s.out_channels * out_h * out_w * elem;
  std::vector<uint8_t> got(bytes + 8, 0xA5), want(got);  // 8 bytes past the output must keep their fill
  out.y = got.data();
  qu8s8_conv2d(v, s, in, packed, out);
  out.y = want.data();
  qu8s8_conv2d(ref, s, in, packed, out);
  c.same(got.data(), want.data(), got.size(),
         "trial %d: n=%zu c=%zu %zux%zu oc=%zu k=%zux%zu d=%zu,%zu pad=%zu,%zu,%zu,%zu pool=%zux%zu/%zu,%zu out=%d", trial,
         s.batch, s.channels, s.height, s.width, s.out_channels, s.kernel_h, s.kernel_w, s.dilation_h, s.dilation_w,
         s.pad_top, s.pad_left, s.pad_bottom, s.pad_right, out.pool.kernel_h, out.pool.kernel_w, out.pool.stride_h,
         out.pool.stride_w, static_cast<int>(out.kind));
  if (out.kind != ConvOutputKind::kInt32 || out.pool.active()) return;
  // int32 output also against the plain convolution (interleaving, padding
  // and the zero-point correction included).
  std::vector<int32_t> plain(s.batch * s.out_channels * out_h * out_w), stored(plain.size());
  std::memcpy(stored.data(), got.data(), plain.size() * 4);
  for (std::size_t n = 0; n < s.batch; ++n)
    for (std::size_t o = 0; o < s.out_channels; ++o)
      for (std::size_t oh = 0; oh < out_h; ++oh)
        for (std::size_t ow = 0; ow < out_w; ++ow) {
          int32_t acc = out.int_bias != nullptr ? out.int_bias[o] : 0;
          for (std::size_t ch = 0; ch < s.channels; ++ch)
            for (std::size_t i = 0; i < s.kernel_h; ++i)
              for (std::size_t j = 0; j < s.kernel_w; ++j) {
                // Padded rows and columns hold the zero point: they add nothing.
                const std::size_t ph = oh * s.stride_h + i * s.dilation_h, pw = ow * s.stride_w + j * s.dilation_w;
                if (ph < s.pad_top || ph >= s.pad_top + s.height || pw < s.pad_left || pw >= s.pad_left + s.width) continue;
                const int32_t xv = x[((n * s.channels + ch) * s.height + ph - s.pad_top) * s.width + pw - s.pad_left];
                acc += static_cast<int32_t>(w[(o * s.channels + ch) * taps + i * s.kernel_w + j]) * (xv - in.zero_point);
              }
          plain[((n * s.out_channels + o) * out_h + oh) * out_w + ow] = acc;
        }
  c.same(stored.data(), plain.data(), plain.size(), "trial %d: int32 against the plain convolution", trial);
}

}  // namespace

CHECK_FAMILY("qu8s8-conv2d") {
  const Qu8s8Conv2dVariant& ref = kQu8s8Conv2dVariants[kQu8s8Conv2dVariantCount - 1];
  c.variants(kQu8s8Conv2dVariants, kQu8s8Conv2dVariantCount, [&](const Qu8s8Conv2dVariant& v) {
    for (int trial = 0; trial < 90; ++trial) run(c, v, ref, trial);
  });
  c.best(qu8s8_conv2d_best().name);
}
