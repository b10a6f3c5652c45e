// f32-dwconv2d-nhwc: every variant against a plain double-sum reference on
// NHWC images, within float tolerance: channel counts below, at and around
// every vector width (1-4-8-16 lanes and their tails), 3x3 and 5x5 kernels
// at stride_w 1 and 2 (the tiled paths) with random pads on each side
// and stride_h 1-2, multipliers 1-2, clamps or none after no post-activation,
// HardSigmoid or HardSwish; and the shapes the
// variants run with weights loaded per tap (7x7, 3x5, stride 3, dilation 2, 1x1).
#include <algorithm>
#include <limits>
#include <vector>

#include "check.h"
#include "kernels/f32-dwconv2d-nhwc/f32-dwconv2d-nhwc.h"

using namespace sparq;
using kcheck::Checker;

namespace {

float activated(float v, const DwConv2dNhwcActivation& a) {
  if (a.post == DwConv2dNhwcPost::kHardSigmoid) v = std::min(std::max(a.alpha * v + a.beta, 0.0f), 1.0f);
  else if (a.post == DwConv2dNhwcPost::kHardSwish) v *= std::min(std::max(v / 6.0f + 0.5f, 0.0f), 1.0f);
  return std::min(std::max(v, a.min), a.max);
}

std::vector<float> reference(const DwConv2dNhwcShape& s, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& bias, const DwConv2dNhwcActivation& act) {
  const std::size_t oc = s.channels * s.multiplier;
  std::vector<float> y(s.batch * s.out_h * s.out_w * oc);
  std::size_t out = 0;
  for (std::size_t n = 0; n < s.batch; n++)
    for (std::size_t oh = 0; oh < s.out_h; oh++)
      for (std::size_t ow = 0; ow < s.out_w; ow++)
        for (std::size_t o = 0; o < oc; o++, out++) {
          double acc = bias[o];
          for (std::size_t i = 0; i < s.kernel_h; i++)
            for (std::size_t j = 0; j < s.kernel_w; j++) {
              const long ih = static_cast<long>(oh * s.stride_h + i * s.dilation_h) - static_cast<long>(s.pad_top);
              const long iw = static_cast<long>(ow * s.stride_w + j * s.dilation_w) - static_cast<long>(s.pad_left);
              if (ih < 0 || iw < 0 || ih >= static_cast<long>(s.height) || iw >= static_cast<long>(s.width)) continue;
              acc += static_cast<double>(x[((n * s.height + ih) * s.width + iw) * s.channels + o / s.multiplier]) *
                     w[(o * s.kernel_h + i) * s.kernel_w + j];
            }
          y[out] = activated(static_cast<float>(acc), act);
        }
  return y;
}

// Sizes the input so the last window starts inside it, with pads below the kernel's extent.
void size_input(Checker& c, DwConv2dNhwcShape* s) {
  const std::size_t eh = (s->kernel_h - 1) * s->dilation_h + 1, ew = (s->kernel_w - 1) * s->dilation_w + 1;
  s->pad_top = c.below(eh);
  s->pad_left = c.below(ew);
  const std::size_t pad_bottom = c.below(eh), pad_right = c.below(ew);
  s->height = std::max<std::size_t>(1, (s->out_h - 1) * s->stride_h + eh - std::min(s->pad_top + pad_bottom, (s->out_h - 1) * s->stride_h + eh - 1));
  s->width = std::max<std::size_t>(1, (s->out_w - 1) * s->stride_w + ew - std::min(s->pad_left + pad_right, (s->out_w - 1) * s->stride_w + ew - 1));
}

void run_case(Checker& c, const DwConv2dNhwcVariant& v, const DwConv2dNhwcShape& s) {
  const std::size_t oc = s.channels * s.multiplier;
  const std::vector<float> x = c.floats(s.batch * s.height * s.width * s.channels, -2.0f, 2.0f);
  const std::vector<float> w = c.floats(oc * s.kernel_h * s.kernel_w, -1.0f, 1.0f);
  std::vector<float> bias = c.floats(oc, -1.0f, 1.0f);
  const bool with_bias = c.below(2) == 0, clamped = c.below(2) == 0;
  if (!with_bias) std::fill(bias.begin(), bias.end(), 0.0f);
  const float inf = std::numeric_limits<float>::infinity();
  DwConv2dNhwcActivation act;
  act.post = static_cast<DwConv2dNhwcPost>(c.below(3));
  act.alpha = 0.25f;
  act.beta = 0.4f;
  act.min = clamped ? -0.5f : -inf;
  act.max = clamped ? 0.75f : inf;
  const PackedDwConv2dNhwc packed = f32_dwconv2d_nhwc_pack(w.data(), with_bias ? bias.data() : nullptr, oc, s.kernel_h, s.kernel_w);
  // One float past the end, to catch a store beyond the last channel.
  std::vector<float> got(s.batch * s.out_h * s.out_w * oc + 1, -7.0f);
  f32_dwconv2d_nhwc(v, s, packed, x.data(), act, got.data());
  const std::vector<float> want = reference(s, x, w, bias, act);
  c.close(got.data(), want.data(), want.size(), 1e-5f, 1e-5f, "%zux%zu s%zux%zu d%zux%zu pads %zu,%zu in %zux%zux%zu out %zux%zu m %zu post %d",
          s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left, s.height, s.width,
          s.channels, s.out_h, s.out_w, s.multiplier, static_cast<int>(act.post));
  c.expect(got.back() == -7.0f, "no store past y (%zu channels)", oc);
}

}  // namespace

CHECK_FAMILY("f32-dwconv2d-nhwc") {
  c.variants(kDwConv2dNhwcVariants, kDwConv2dNhwcVariantCount, [&](const DwConv2dNhwcVariant& v) {
    for (std::size_t k : {3, 5})
      for (std::size_t stride : {1, 2})
        for (std::size_t channels : c.sizes({4, 8, 16, 32})) {
          DwConv2dNhwcShape s{};
          s.batch = 1 + c.below(2);
          s.channels = channels;
          s.multiplier = 1 + c.below(2);
          s.kernel_h = s.kernel_w = k;
          s.stride_w = stride;
          s.stride_h = 1 + c.below(2);
          s.dilation_h = s.dilation_w = 1;
          s.out_h = 1 + c.below(4);
          s.out_w = 1 + c.below(24);  // tiles of 8 pixels, the remainders 1-7 and the row's edges
          size_input(c, &s);
          c.expect(dwconv2d_nhwc_fixed_taps(s), "the tiled path takes %zux%zu stride %zu", k, k, stride);
          run_case(c, v, s);
        }
    // Weights loaded per tap: other kernels, stride 3, dilation 2, 1x1.
    const std::size_t others[][5] = {{7, 7, 1, 1, 1}, {3, 5, 1, 1, 1}, {3, 3, 3, 3, 1}, {3, 3, 1, 1, 2}, {1, 1, 2, 2, 1}};
    for (const auto& o : others)
      for (std::size_t channels : {3, 17}) {
        DwConv2dNhwcShape s{};
        s.batch = 2;
        s.channels = channels;
        s.multiplier = 1 + c.below(2);
        s.kernel_h = o[0];
        s.kernel_w = o[1];
        s.stride_h = o[2];
        s.stride_w = o[3];
        s.dilation_h = s.dilation_w = o[4];
        s.out_h = 4;
        s.out_w = 6;
        size_input(c, &s);
        run_case(c, v, s);
      }
  });
  c.best(f32_dwconv2d_nhwc_best().name);
}
