// f32-conv2d-nhwc: the shifted-GEMM driver on every f32-gemm variant against
// a plain double-sum reference on NHWC images, within float tolerance: 3x3
// at strides 1 and 2, 1x1/2, the 7x7/2 and 3x3/2 stems on 3 channels, 3x5
// with stride 3 and dilation 2; random pads on each side (windows wholly in
// the padding too), channel counts that make one, two or three K blocks per
// window row, output channels around the 16- and 32-column panels, maps
// whose rows split into strips of every size up to MR, batches of up to 14
// images (small maps' strips across the batch, split past MR), bias or none,
// clamps; windows of up to 512 values of K gathered, wider ones read in place
// (on maps too small for strips of MR/2 pixels, gathered per K block);
// each shape also with channels-first input (x NCHW, W rows (c, kh, kw)).
#include <algorithm>
#include <limits>
#include <vector>

#include "check.h"
#include "kernels/f32-conv2d-nhwc/f32-conv2d-nhwc.h"

using namespace sparq;
using kcheck::Checker;

namespace {

// y [N, OH, OW, OC] of x [N, H, W, C] and W [KH*KW*C, OC] (rows (kh, kw, c));
// channels first, of x [N, C, H, W] and W rows (c, kh, kw).
std::vector<float> reference(const F32Conv2dNhwcShape& s, std::size_t oc, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& bias, float min, float max) {
  std::vector<float> y(s.batch * s.out_h * s.out_w * oc);
  std::size_t out = 0;
  for (std::size_t n = 0; n < s.batch; n++)
    for (std::size_t oh = 0; oh < s.out_h; oh++)
      for (std::size_t ow = 0; ow < s.out_w; ow++)
        for (std::size_t o = 0; o < oc; o++, out++) {
          double acc = bias.empty() ? 0.0 : bias[o];
          for (std::size_t i = 0; i < s.kernel_h; i++)
            for (std::size_t j = 0; j < s.kernel_w; j++) {
              const long ih = static_cast<long>(oh * s.stride_h + i * s.dilation_h) - static_cast<long>(s.pad_top);
              const long iw = static_cast<long>(ow * s.stride_w + j * s.dilation_w) - static_cast<long>(s.pad_left);
              if (ih < 0 || iw < 0 || ih >= static_cast<long>(s.height) || iw >= static_cast<long>(s.width)) continue;
              for (std::size_t ch = 0; ch < s.channels; ch++) {
                const std::size_t xi = s.channels_first ? ((n * s.channels + ch) * s.height + ih) * s.width + iw
                                                        : ((n * s.height + ih) * s.width + iw) * s.channels + ch;
                const std::size_t row = s.channels_first ? (ch * s.kernel_h + i) * s.kernel_w + j
                                                         : (i * s.kernel_w + j) * s.channels + ch;
                acc += static_cast<double>(x[xi]) * w[row * oc + o];
              }
            }
          y[out] = std::min(std::max(static_cast<float>(acc), min), max);
        }
  return y;
}

void run_case(Checker& c, const F32GemmVariant& v, F32Conv2dNhwcShape s, std::size_t oc) {
  const std::size_t eh = (s.kernel_h - 1) * s.dilation_h + 1, ew = (s.kernel_w - 1) * s.dilation_w + 1;
  // Pads up to the window's extent, so some windows may lie wholly in the padding.
  s.pad_top = c.below(eh + 1);
  s.pad_left = c.below(ew + 1);
  const std::size_t pad_bottom = c.below(eh), pad_right = c.below(ew);
  s.out_h = (s.height + s.pad_top + pad_bottom - std::min(eh, s.height + s.pad_top + pad_bottom)) / s.stride_h + 1;
  s.out_w = (s.width + s.pad_left + pad_right - std::min(ew, s.width + s.pad_left + pad_right)) / s.stride_w + 1;
  const std::size_t k = s.kernel_h * s.kernel_w * s.channels;
  const std::vector<float> x = c.floats(s.batch * s.height * s.width * s.channels, -2.0f, 2.0f);
  const std::vector<float> w = c.floats(k * oc, -1.0f, 1.0f);
  std::vector<float> bias;
  if (c.below(2) == 0) bias = c.floats(oc, -1.0f, 1.0f);
  const bool clamped = c.below(2) == 0;
  const float inf = std::numeric_limits<float>::infinity();
  F32GemmParams params;
  params.bias = bias.empty() ? nullptr : bias.data();
  params.min = clamped ? -0.5f : -inf;
  params.max = clamped ? 0.75f : inf;
  F32PackedB packed;
  f32_gemm_pack_b(k, oc, w.data(), oc, &packed);
  const F32Conv2dNhwcPlan plan = f32_conv2d_nhwc_plan(v, s);
  // One float past the end, to catch a store beyond the last pixel.
  std::vector<float> got(s.batch * s.out_h * s.out_w * oc + 1, -7.0f);
  f32_conv2d_nhwc(plan, packed, x.data(), got.data(), params);
  const std::vector<float> want = reference(s, oc, x, w, bias, params.min, params.max);
  // The float sums round once per term: the bound grows with K, as in f32-gemm's check.
  c.close(got.data(), want.data(), want.size(), 1e-5f, 1e-5f + static_cast<float>(k) * 2e-7f, "%s%zux%zu s%zux%zu d%zux%zu pads %zu,%zu in %zux%zux%zu out %zux%zux%zu",
          s.channels_first ? "channels first " : "", s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h,
          s.dilation_w, s.pad_top, s.pad_left, s.height, s.width, s.channels, s.out_h, s.out_w, oc);
  c.expect(got.back() == -7.0f, "no store past y (%zu channels)", oc);
}

}  // namespace

CHECK_FAMILY("f32-conv2d-nhwc") {
  // kernel h, w, stride h, w, dilation h, w, channels
  const std::size_t shapes[][7] = {
      {3, 3, 1, 1, 1, 1, 16}, {3, 3, 2, 2, 1, 1, 8},   {3, 3, 1, 1, 1, 1, 200}, {3, 3, 1, 1, 1, 1, 600},
      {1, 1, 2, 2, 1, 1, 24}, {7, 7, 2, 2, 1, 1, 3},   {3, 3, 2, 2, 1, 1, 3},   {3, 5, 3, 1, 1, 1, 5},
      {3, 3, 1, 2, 2, 2, 7},  {3, 3, 2, 2, 1, 1, 200}, {3, 3, 1, 1, 2, 2, 130},
  };
  c.variants(kF32GemmVariants, kF32GemmVariantCount, [&](const F32GemmVariant& v) {
    for (const auto& sh : shapes)
      for (std::size_t oc : {1, 16, 17, 33})
        for (bool channels_first : {false, true}) {
          F32Conv2dNhwcShape s{};
          s.channels_first = channels_first;
          // 17 channels: up to 14 images, so strips across the batch split past every MR.
          s.batch = 1 + c.below(oc == 17 ? 14 : 2);
          s.kernel_h = sh[0];
          s.kernel_w = sh[1];
          s.stride_h = sh[2];
          s.stride_w = sh[3];
          s.dilation_h = sh[4];
          s.dilation_w = sh[5];
          s.channels = sh[6];
          // Small maps for the wide channel counts, which cost the reference most.
          s.height = 1 + c.below(sh[6] > 100 ? 6 : 14);
          s.width = 1 + c.below(sh[6] > 100 ? 6 : 2 * v.mr + 3);
          run_case(c, v, s, oc);
        }
  });
  c.best(f32_gemm_best().name);
}
