// f32-maxpool: the 2x2 stride-2 variants (f32-maxpool-variants.inc) against
// the scalar one, bit for bit, float32 and int32 planes: rows from 1 output
// (all tail) through several vector widths plus every tail length, odd
// input sizes (the last row and column unread), float planes sprinkled with
// NaN (never wins; an all-NaN window gives -inf), -inf, +0 and -0 (the
// first of the window's zeros stays), int32 over the full range.
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "kernels/f32-maxpool/f32-maxpool.h"

using namespace sparq;

CHECK_FAMILY("f32-maxpool") {
  const MaxPool2x2s2Variant& ref = kMaxPool2x2s2Variants[kMaxPool2x2s2VariantCount - 1];
  const float specials[] = {NAN, -INFINITY, INFINITY, 0.0f, -0.0f};
  c.variants(kMaxPool2x2s2Variants, kMaxPool2x2s2VariantCount, [&](const MaxPool2x2s2Variant& v) {
    for (std::size_t out_w : c.sizes({4, 8, 16})) {
      MaxPoolShape s{};
      s.planes = 1 + c.below(3);
      s.out_h = 1 + c.below(4);
      s.out_w = out_w;
      s.height = 2 * s.out_h + c.below(2);
      s.width = 2 * out_w + c.below(2);
      s.kernel_h = s.kernel_w = s.stride_h = s.stride_w = 2;
      const std::size_t n = s.planes * s.height * s.width, outputs = s.planes * s.out_h * s.out_w;
      for (int kind = 0; kind < 3; ++kind) {
        // kind 0: plain values; 1: half specials; 2: only NaN and zeros of both signs.
        std::vector<float> x = c.floats(n, -1.0f, 1.0f);
        if (kind == 1)
          for (float& e : x)
            if (c.below(2) == 0) e = specials[c.below(5)];
        if (kind == 2)
          for (float& e : x) e = specials[c.below(2) == 0 ? 0 : 3 + c.below(2)];
        std::vector<float> got(outputs, -7.0f), want(outputs, -7.0f);
        v.f32(s, x.data(), got.data());
        ref.f32(s, x.data(), want.data());
        c.same(got.data(), want.data(), outputs, "f32 %zu planes of %zux%zu kind %d", s.planes, s.height, s.width, kind);
      }
      const std::vector<int32_t> xi = c.integers<int32_t>(n, INT32_MIN, INT32_MAX);
      std::vector<int32_t> got(outputs, -7), want(outputs, -7);
      v.s32(s, xi.data(), got.data());
      ref.s32(s, xi.data(), want.data());
      c.same(got.data(), want.data(), outputs, "s32 %zu planes of %zux%zu", s.planes, s.height, s.width);
    }
  });
  c.best(maxpool_2x2s2_best().name);
}
