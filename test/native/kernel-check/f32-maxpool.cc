// f32-maxpool: the 2x2 stride-2 variants (f32-maxpool-variants.inc) against
// the scalar one, bit for bit, float32 and int32 planes: rows from 1 output
// (all tail) through several vector widths plus every tail length, odd
// input sizes (the last row and column unread), float planes sprinkled with
// NaN (never wins; an all-NaN window gives -inf), -inf, +0 and -0 (the
// first of the window's zeros stays), int32 over the full range.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "kernels/f32-maxpool/f32-maxpool.h"

using namespace sparq;

namespace {

// The plain loop: each window's max over the positions inside the input.
template <typename T>
std::vector<T> plain_maxpool(const MaxPoolShape& s, const std::vector<T>& x) {
  std::vector<T> y(s.planes * s.out_h * s.out_w);
  for (std::size_t p = 0; p < s.planes; ++p)
    for (std::size_t oh = 0; oh < s.out_h; ++oh)
      for (std::size_t ow = 0; ow < s.out_w; ++ow) {
        T m = std::numeric_limits<T>::lowest();
        for (std::size_t i = 0; i < s.kernel_h; ++i)
          for (std::size_t j = 0; j < s.kernel_w; ++j) {
            const std::ptrdiff_t r = static_cast<std::ptrdiff_t>(oh * s.stride_h + i) - static_cast<std::ptrdiff_t>(s.pad_top);
            const std::ptrdiff_t q = static_cast<std::ptrdiff_t>(ow * s.stride_w + j) - static_cast<std::ptrdiff_t>(s.pad_left);
            if (r < 0 || q < 0 || r >= static_cast<std::ptrdiff_t>(s.height) || q >= static_cast<std::ptrdiff_t>(s.width)) continue;
            const T v = x[(p * s.height + static_cast<std::size_t>(r)) * s.width + static_cast<std::size_t>(q)];
            m = v > m ? v : m;
          }
        y[(p * s.out_h + oh) * s.out_w + ow] = m;
      }
  return y;
}

// u8_maxpool and s8_maxpool (one portable kernel, its 3x3/2 uint8 rows on
// SSE2 / NEON byte deinterleaves) against the plain loop: 3x3/2 padded as
// ResNet's stem pool at widths from all tail through several 16-output
// steps, and random windows, strides and pads.
void check_integer_planes(kcheck::Checker& c) {
  for (std::size_t out_w : c.sizes({16, 32})) {
    for (int random_window = 0; random_window < 2; ++random_window) {
      MaxPoolShape s{};
      s.kernel_h = random_window ? 1 + c.below(4) : 3;
      s.kernel_w = random_window ? 1 + c.below(4) : 3;
      s.stride_h = random_window ? 1 + c.below(3) : 2;
      s.stride_w = random_window ? 1 + c.below(3) : 2;
      s.pad_top = c.below(s.kernel_h);
      s.pad_left = c.below(s.kernel_w);
      s.planes = 1 + c.below(3);
      s.out_h = 1 + c.below(4);
      s.out_w = out_w;
      // Inputs the windows cover, minus up to the bottom/right padding one window may take.
      s.height = std::max<std::size_t>(1 + s.pad_top, (s.out_h - 1) * s.stride_h + s.kernel_h - s.pad_top - c.below(s.kernel_h - s.pad_top));
      s.width = std::max<std::size_t>(1 + s.pad_left, (s.out_w - 1) * s.stride_w + s.kernel_w - s.pad_left - c.below(s.kernel_w - s.pad_left));
      const std::size_t n = s.planes * s.height * s.width, outputs = s.planes * s.out_h * s.out_w;
      const std::vector<uint8_t> xu = c.integers<uint8_t>(n, 0, 255);
      std::vector<uint8_t> yu(outputs);
      u8_maxpool(s, xu.data(), yu.data());
      c.same(yu.data(), plain_maxpool(s, xu).data(), outputs, "u8 %zux%zu/%zu pad %zu of %zux%zu", s.kernel_h, s.kernel_w, s.stride_w, s.pad_left, s.height, s.width);
      const std::vector<int8_t> xs = c.integers<int8_t>(n, -128, 127);
      std::vector<int8_t> ys(outputs);
      s8_maxpool(s, xs.data(), ys.data());
      c.same(ys.data(), plain_maxpool(s, xs).data(), outputs, "s8 %zux%zu/%zu pad %zu of %zux%zu", s.kernel_h, s.kernel_w, s.stride_w, s.pad_left, s.height, s.width);
    }
  }
}

}  // namespace

CHECK_FAMILY("f32-maxpool") {
  const MaxPool2x2s2Variant& ref = kMaxPool2x2s2Variants[kMaxPool2x2s2VariantCount - 1];
  const float specials[] = {NAN, -INFINITY, INFINITY, 0.0f, -0.0f};
  c.variants(kMaxPool2x2s2Variants, kMaxPool2x2s2VariantCount, [&](const MaxPool2x2s2Variant& v) {
    // The integer planes have one kernel for every CPU: checked once, with the portable variant.
    if (&v == &ref) check_integer_planes(c);
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
