// f32-dwconv2d: every variant against a plain double-sum reference, within
// float tolerance: 3x3 and 5x5 kernels at stride_w 1 and 2 (the vector
// paths) over output rows of 1 through several vector widths plus every
// tail length, random pads on each side (border columns and rows in the
// padding), stride_h 1-2, multipliers 1-2, 1 or 2 input channels per
// group, bias or none, a clamp or none; and the shapes every variant leaves
// to the portable plane (7x7, 3x5, stride 3, dilation 2).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "kernels/f32-dwconv2d/f32-dwconv2d.h"

using namespace sparq;
using kcheck::Checker;

namespace {

std::vector<float> reference(const DwConv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                             const float* bias, float min, float max) {
  const std::size_t cg = s.group_channels, oc = s.channels / cg * s.multiplier;
  std::vector<float> y(s.batch * oc * s.out_h * s.out_w);
  std::size_t out = 0;
  for (std::size_t n = 0; n < s.batch; n++)
    for (std::size_t o = 0; o < oc; o++)
      for (std::size_t oh = 0; oh < s.out_h; oh++)
        for (std::size_t ow = 0; ow < s.out_w; ow++, out++) {
          double acc = bias ? bias[o] : 0.0;
          for (std::size_t c = 0; c < cg; c++)
            for (std::size_t i = 0; i < s.kernel_h; i++)
              for (std::size_t j = 0; j < s.kernel_w; j++) {
                const long ih = static_cast<long>(oh * s.stride_h + i * s.dilation_h) - static_cast<long>(s.pad_top);
                const long iw = static_cast<long>(ow * s.stride_w + j * s.dilation_w) - static_cast<long>(s.pad_left);
                if (ih < 0 || iw < 0 || ih >= static_cast<long>(s.height) || iw >= static_cast<long>(s.width)) continue;
                const std::size_t plane = n * s.channels + o / s.multiplier * cg + c;
                acc += static_cast<double>(x[(plane * s.height + ih) * s.width + iw]) *
                       w[((o * cg + c) * s.kernel_h + i) * s.kernel_w + j];
              }
          y[out] = std::min(std::max(static_cast<float>(acc), min), max);
        }
  return y;
}

// Sizes the input so the last window starts inside it, with pads below the kernel's extent.
void size_input(Checker& c, DwConv2dShape* s, std::size_t extra_h, std::size_t extra_w) {
  const std::size_t eh = (s->kernel_h - 1) * s->dilation_h + 1, ew = (s->kernel_w - 1) * s->dilation_w + 1;
  s->pad_top = c.below(eh);
  s->pad_left = c.below(ew);
  const std::size_t pad_bottom = c.below(eh), pad_right = c.below(ew);
  s->height = std::max<std::size_t>(1, (s->out_h - 1) * s->stride_h + eh + extra_h - std::min(s->pad_top + pad_bottom, (s->out_h - 1) * s->stride_h + eh - 1));
  s->width = std::max<std::size_t>(1, (s->out_w - 1) * s->stride_w + ew + extra_w - std::min(s->pad_left + pad_right, (s->out_w - 1) * s->stride_w + ew - 1));
}

void run_case(Checker& c, const DwConv2dVariant& v, DwConv2dShape s) {
  const std::size_t oc = s.channels / s.group_channels * s.multiplier, taps = s.kernel_h * s.kernel_w;
  const std::vector<float> x = c.floats(s.batch * s.channels * s.height * s.width, -2.0f, 2.0f);
  const std::vector<float> w = c.floats(oc * s.group_channels * taps, -1.0f, 1.0f);
  const std::vector<float> bias = c.floats(oc, -1.0f, 1.0f);
  const bool with_bias = c.below(2) == 0, clamped = c.below(2) == 0;
  const float inf = std::numeric_limits<float>::infinity();
  const float min = clamped ? -0.5f : -inf, max = clamped ? 1.5f : inf;
  std::vector<float> got(s.batch * oc * s.out_h * s.out_w, -7.0f);
  f32_dwconv2d(v, s, x.data(), w.data(), with_bias ? bias.data() : nullptr, min, max, got.data());
  const std::vector<float> want = reference(s, x, w, with_bias ? bias.data() : nullptr, min, max);
  c.close(got.data(), want.data(), want.size(), 1e-5f, 1e-5f, "%zux%zu s%zux%zu d%zux%zu pads %zu,%zu in %zux%zu out %zux%zu cg %zu m %zu",
          s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left, s.height, s.width,
          s.out_h, s.out_w, s.group_channels, s.multiplier);
}

}  // namespace

CHECK_FAMILY("f32-dwconv2d") {
  c.variants(kDwConv2dVariants, kDwConv2dVariantCount, [&](const DwConv2dVariant& v) {
    for (std::size_t k : {3, 5})
      for (std::size_t stride : {1, 2})
        for (std::size_t out_w : c.sizes({4, 8, 16})) {
          DwConv2dShape s{};
          s.batch = 1 + c.below(2);
          s.group_channels = 1 + c.below(2);
          s.channels = s.group_channels * (1 + c.below(3));
          s.multiplier = 1 + c.below(2);
          s.kernel_h = s.kernel_w = k;
          s.stride_w = stride;
          s.stride_h = 1 + c.below(2);
          s.dilation_h = s.dilation_w = 1;
          s.out_h = 1 + c.below(5);
          s.out_w = out_w;
          size_input(c, &s, c.below(2), c.below(2));
          c.expect(dwconv2d_variant_takes(s), "the vector path takes %zux%zu stride %zu", k, k, stride);
          run_case(c, v, s);
        }
    // The portable plane's shapes: other kernels, stride 3, dilation 2.
    const std::size_t others[][5] = {{7, 7, 1, 1, 1}, {3, 5, 1, 1, 1}, {3, 3, 3, 3, 1}, {3, 3, 1, 1, 2}, {1, 1, 2, 2, 1}};
    for (const auto& o : others) {
      DwConv2dShape s{};
      s.batch = 2;
      s.group_channels = 1;
      s.channels = 3;
      s.multiplier = 2;
      s.kernel_h = o[0];
      s.kernel_w = o[1];
      s.stride_h = o[2];
      s.stride_w = o[3];
      s.dilation_h = s.dilation_w = o[4];
      s.out_h = 4;
      s.out_w = 9;
      size_input(c, &s, 1, 0);
      run_case(c, v, s);
    }
  });
  c.best(f32_dwconv2d_best().name);
}
