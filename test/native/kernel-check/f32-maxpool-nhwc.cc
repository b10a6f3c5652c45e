// f32-maxpool-nhwc: every variant against the scalar one, bit for bit,
// float32, uint8 and int8 channels-last images: channel counts across every
// vector width's 4-vector blocks, single vectors and tails, 3x3 stride-2
// windows padded by 1 (ResNet's stem pool) and unpadded 2x2 stride-2 ones,
// float images sprinkled with NaN (never wins), infinities and zeros of
// both signs (the first of a window's zeros stays).
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "kernels/f32-maxpool-nhwc/f32-maxpool-nhwc.h"

using namespace sparq;

CHECK_FAMILY("f32-maxpool-nhwc") {
  const MaxPoolNhwcVariant& ref = kMaxPoolNhwcVariants[kMaxPoolNhwcVariantCount - 1];
  const float specials[] = {NAN, -INFINITY, INFINITY, 0.0f, -0.0f};
  c.variants(kMaxPoolNhwcVariants, kMaxPoolNhwcVariantCount, [&](const MaxPoolNhwcVariant& v) {
    for (std::size_t channels : c.sizes({4, 16, 64})) {
      for (int window = 0; window < 2; ++window) {
        MaxPoolNhwcShape s{};
        s.images = 1 + c.below(2);
        s.channels = channels;
        s.height = 3 + c.below(5);
        s.width = 3 + c.below(5);
        s.kernel_h = s.kernel_w = window == 0 ? 3 : 2;
        s.stride_h = s.stride_w = 2;
        s.pad_top = s.pad_left = window == 0 ? 1 : 0;
        s.out_h = window == 0 ? (s.height - 1) / 2 + 1 : s.height / 2;
        s.out_w = window == 0 ? (s.width - 1) / 2 + 1 : s.width / 2;
        const std::size_t n = s.images * s.height * s.width * channels, outputs = s.images * s.out_h * s.out_w * channels;
        const std::size_t rows = s.images * s.out_h;
        std::vector<float> x = c.floats(n, -1.0f, 1.0f);
        for (float& e : x)
          if (c.below(3) == 0) e = specials[c.below(5)];
        std::vector<float> got(outputs, -7.0f), want(outputs, -7.0f);
        // Two calls splitting the output rows, as the binding's tasks do.
        v.f32(s, 0, rows / 2, x.data(), got.data());
        v.f32(s, rows / 2, rows, x.data(), got.data());
        ref.f32(s, 0, rows, x.data(), want.data());
        c.same(got.data(), want.data(), outputs, "f32 C=%zu %zux%zu window %d", channels, s.height, s.width, window);
        const std::vector<uint8_t> xu = c.integers<uint8_t>(n, 0, 255);
        std::vector<uint8_t> gu(outputs, 7), wu(outputs, 7);
        v.u8(s, 0, rows, xu.data(), gu.data());
        ref.u8(s, 0, rows, xu.data(), wu.data());
        c.same(gu.data(), wu.data(), outputs, "u8 C=%zu %zux%zu window %d", channels, s.height, s.width, window);
        const std::vector<int8_t> xs = c.integers<int8_t>(n, -128, 127);
        std::vector<int8_t> gs(outputs, 7), ws(outputs, 7);
        v.s8(s, 0, rows, xs.data(), gs.data());
        ref.s8(s, 0, rows, xs.data(), ws.data());
        c.same(gs.data(), ws.data(), outputs, "s8 C=%zu %zux%zu window %d", channels, s.height, s.width, window);
      }
    }
  });
  c.best(maxpool_nhwc_best().name);
}
