// qu8s8-dwconv2d: every variant's int32 sums against the plain formula
// (qu8s8-dwconv2d.h), and its uint8/int8 outputs against the scalar
// variant's, bit for bit: widths below, at and past the vector lengths,
// strides 1, 2 (the even/odd split) and 3 (the portable builder), 3x3, 5x5
// and other kernels, dilation, asymmetric and oversized pads, zero points
// 0/128/255 with the extreme weights -128 and 127 and pixels 0 and 255.
#include <cstdint>
#include <vector>

#include "check.h"
#include "conv-windows.h"
#include "random-stage.h"
#include "kernels/qu8s8-dwconv2d/qu8s8-dwconv2d.h"

using namespace sparq;

namespace {

std::vector<int32_t> plain_sums(const DwConv2dShape& s, const uint8_t* x, int32_t zx, const int8_t* w) {
  std::vector<int32_t> y;
  const std::size_t out_channels = s.channels * s.multiplier;
  for (std::size_t p = 0; p < s.batch * out_channels; p++) {
    const std::size_t c = p % out_channels, plane = (p / out_channels) * s.channels + c / s.multiplier;
    for (std::size_t oh = 0; oh < s.out_h; oh++)
      for (std::size_t ow = 0; ow < s.out_w; ow++) {
        uint32_t sum = 0;
        kcheck::for_each_tap(s, oh, ow, [&](std::size_t i, std::size_t j, std::size_t ih, std::size_t iw) {
          const int32_t v = x[(plane * s.height + ih) * s.width + iw] - zx;
          sum += static_cast<uint32_t>(v * w[(c * s.kernel_h + i) * s.kernel_w + j]);
        });
        y.push_back(static_cast<int32_t>(sum));
      }
  }
  return y;
}

}  // namespace

CHECK_FAMILY("qu8s8-dwconv2d") {
  const Qu8s8DwConv2dVariant& ref = kQu8s8DwConv2dVariants[kQu8s8DwConv2dVariantCount - 1];
  const kcheck::ConvWindow windows[] = {
      {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, {5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
      {5, 5, 2, 2, 1, 1, 2, 2, 1, 2}, {3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {2, 4, 3, 2, 1, 1, 0, 3, 1, 0},
      {3, 3, 1, 3, 1, 2, 1, 1, 1, 1}, {3, 3, 1, 1, 1, 1, 4, 4, 4, 4}, {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}};
  c.variants(kQu8s8DwConv2dVariants, kQu8s8DwConv2dVariantCount, [&](const Qu8s8DwConv2dVariant& v) {
    for (const kcheck::ConvWindow& win : windows)
      for (std::size_t width : c.sizes({8, 16})) {
        DwConv2dShape s{};
        s.batch = 1 + c.below(2);
        s.channels = 1 + c.below(3);
        s.multiplier = 1 + c.below(2);
        s.group_channels = 1;
        s.height = 1 + c.below(9);
        s.width = width;
        if (!win.apply(s)) continue;
        const uint8_t zero_points[] = {0, 128, 255};
        const uint8_t zx = zero_points[c.below(3)];
        std::vector<uint8_t> x = c.integers<uint8_t>(s.batch * s.channels * s.height * s.width, 0, 255);
        for (uint8_t& e : x)
          if (c.below(4) == 0) e = c.below(2) == 0 ? 0 : 255;
        const std::size_t out_channels = s.channels * s.multiplier;
        std::vector<int8_t> w = c.integers<int8_t>(out_channels * s.kernel_h * s.kernel_w, -128, 127);
        for (std::size_t t = 0; t < s.kernel_h * s.kernel_w; t++) w[t] = -128;  // channel 0: the extreme weight
        const std::size_t n = s.batch * out_channels * s.out_h * s.out_w;
        Qu8s8DwConv2dParams params;
        params.x_zero_point = zx;
        std::vector<int32_t> sums(n, -7);
        qu8s8_dwconv2d(v, s, x.data(), w.data(), sums.data(), params);
        const std::vector<int32_t> want = plain_sums(s, x.data(), zx, w.data());
        c.same(sums.data(), want.data(), n, "int32 %zux%zu/%zu,%zu %zu planes of %zux%zu zx %d", s.kernel_h, s.kernel_w, s.stride_h,
               s.stride_w, s.batch * out_channels, s.height, s.width, zx);
        const kcheck::RandomStage stage(c, out_channels);
        params.stage = stage.row;
        params.output = stage.output;
        std::vector<uint8_t> got(n, 7), expect(n, 7);
        qu8s8_dwconv2d(v, s, x.data(), w.data(), got.data(), params);
        qu8s8_dwconv2d(ref, s, x.data(), w.data(), expect.data(), params);
        c.same(got.data(), expect.data(), n, "%s %zux%zu/%zu,%zu %zu planes of %zux%zu zx %d", stage.type(), s.kernel_h,
               s.kernel_w, s.stride_h, s.stride_w, s.batch * out_channels, s.height, s.width, zx);
      }
  });
  c.best(qu8s8_dwconv2d_best().name);
}
