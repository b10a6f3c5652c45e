// qu8s8-dwconv2d-nhwc: every variant's int32 sums against the plain formula
// (qu8s8-dwconv2d-nhwc.h), and its uint8/int8 outputs against the scalar
// variant's, bit for bit: channel counts below, at and past the vector widths
// (8, 16, 32, 64), 3x3 and 5x5 (the unrolled tap pairs and stack rows) and
// other kernels (9 rows: 3 stacks of 4), strides, dilation, asymmetric and
// oversized pads, channel multipliers, x zero points 0/128/255, int8 and
// uint8 weights with zero points 255 off the extreme weights and weights
// that fit int8 (the VNNI and dot-product stack rows), pixels 0 and 255.
#include <cstdint>
#include <vector>

#include "check.h"
#include "conv-windows.h"
#include "random-stage.h"
#include "kernels/qu8s8-dwconv2d-nhwc/qu8s8-dwconv2d-nhwc.h"

using namespace sparq;

namespace {

// w holds the weights less their zero points, [out_channels][kernel_h * kernel_w].
std::vector<int32_t> plain_sums(const DwConv2dShape& s, const uint8_t* x, int32_t zx, const std::vector<int32_t>& w) {
  std::vector<int32_t> y;
  const std::size_t out_channels = s.channels * s.multiplier;
  for (std::size_t n = 0; n < s.batch; n++)
    for (std::size_t oh = 0; oh < s.out_h; oh++)
      for (std::size_t ow = 0; ow < s.out_w; ow++)
        for (std::size_t o = 0; o < out_channels; o++) {
          uint32_t sum = 0;
          kcheck::for_each_tap(s, oh, ow, [&](std::size_t i, std::size_t j, std::size_t ih, std::size_t iw) {
            const int32_t v = x[((n * s.height + ih) * s.width + iw) * s.channels + o / s.multiplier] - zx;
            sum += static_cast<uint32_t>(v * w[(o * s.kernel_h + i) * s.kernel_w + j]);
          });
          y.push_back(static_cast<int32_t>(sum));
        }
  return y;
}

}  // namespace

CHECK_FAMILY("qu8s8-dwconv2d-nhwc") {
  const Qu8s8DwConv2dNhwcVariant& ref = kQu8s8DwConv2dNhwcVariants[kQu8s8DwConv2dNhwcVariantCount - 1];
  const kcheck::ConvWindow windows[] = {
      {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, {5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
      {5, 5, 2, 2, 1, 1, 2, 2, 1, 2}, {3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {2, 4, 3, 2, 1, 1, 0, 3, 1, 0},
      {3, 3, 1, 1, 1, 1, 4, 4, 4, 4}, {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, {9, 2, 2, 1, 1, 2, 4, 0, 4, 1},
      // Row pairs (3-row kernels at vertical stride 1) that slide at stride 2, and that do not slide.
      {3, 3, 1, 2, 1, 1, 2, 1, 0, 1}, {3, 5, 1, 2, 1, 1, 1, 2, 1, 2}, {3, 3, 1, 1, 1, 2, 1, 2, 1, 2}};
  c.variants(kQu8s8DwConv2dNhwcVariants, kQu8s8DwConv2dNhwcVariantCount, [&](const Qu8s8DwConv2dNhwcVariant& v) {
    for (const kcheck::ConvWindow& win : windows)
      for (std::size_t channels : c.sizes({8, 16, 32, 64})) {
        DwConv2dShape s{};
        s.batch = 1 + c.below(2);
        s.channels = channels;
        s.multiplier = c.below(4) == 0 ? 2 : 1;
        s.group_channels = 1;
        s.height = 1 + c.below(7);
        s.width = 1 + c.below(7);
        if (!win.apply(s)) continue;
        const uint8_t zero_points[] = {0, 128, 255};
        const uint8_t zx = zero_points[c.below(3)];
        std::vector<uint8_t> x = c.integers<uint8_t>(s.batch * s.height * s.width * s.channels, 0, 255);
        for (uint8_t& e : x)
          if (c.below(4) == 0) e = c.below(2) == 0 ? 0 : 255;
        const std::size_t out_channels = s.channels * s.multiplier, taps = s.kernel_h * s.kernel_w;
        // int8 weights with per-channel zero points (channel 0: -128 less 127), or uint8 ones with one (0 less
        // 255); or weights that fit int8 less their zero points (the stack rows of byte dot products): uint8 ones with
        // zero point 128, or symmetric int8 ones (channel 0 at -128).
        const std::size_t kind = c.below(4);
        const bool w_unsigned = kind == 0 || kind == 2;
        std::vector<int32_t> wz = w_unsigned ? std::vector<int32_t>{kind == 0 ? 255 : 128} : c.integers<int32_t>(out_channels, -128, 127);
        std::vector<uint8_t> w = c.integers<uint8_t>(out_channels * taps, 0, 255);
        for (std::size_t t = 0; t < taps; t++) w[t] = w_unsigned ? 0 : 0x80;
        if (kind == 1) wz[0] = 127;
        if (kind == 3) wz.assign(out_channels, 0);
        std::vector<int32_t> off(w.size());
        for (std::size_t i = 0; i < w.size(); i++)
          off[i] = (w_unsigned ? int32_t{w[i]} : int32_t{static_cast<int8_t>(w[i])}) - wz[w_unsigned ? 0 : i / taps];
        const Qu8s8DwConv2dNhwcWeights packed = qu8s8_dwconv2d_nhwc_pack(v, out_channels, s.kernel_h, s.kernel_w, w.data(), w_unsigned, wz.data(), w_unsigned ? 0 : 1);
        const std::size_t n = s.batch * s.out_h * s.out_w * out_channels;
        Qu8s8DwConv2dParams params;
        params.x_zero_point = zx;
        std::vector<int32_t> sums(n, -7);
        qu8s8_dwconv2d_nhwc(v, s, packed, x.data(), sums.data(), params);
        const std::vector<int32_t> want = plain_sums(s, x.data(), zx, off);
        c.same(sums.data(), want.data(), n, "int32 %zux%zu/%zu,%zu %zu channels x%zu %zux%zu zx %d", s.kernel_h, s.kernel_w, s.stride_h,
               s.stride_w, s.channels, s.multiplier, s.height, s.width, zx);
        const kcheck::RandomStage stage(c, out_channels);
        params.stage = stage.row;
        params.output = stage.output;
        std::vector<uint8_t> got(n, 7), expect(n, 7);
        qu8s8_dwconv2d_nhwc(v, s, packed, x.data(), got.data(), params);
        qu8s8_dwconv2d_nhwc(ref, s, packed, x.data(), expect.data(), params);
        c.same(got.data(), expect.data(), n, "%s %zux%zu/%zu,%zu %zu channels x%zu %zux%zu zx %d", stage.type(), s.kernel_h,
               s.kernel_w, s.stride_h, s.stride_w, s.channels, s.multiplier, s.height, s.width, zx);
      }
  });
  c.best(qu8s8_dwconv2d_nhwc_best().name);
}
