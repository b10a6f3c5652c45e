// f32-col2im: every variant (f32-col2im-variants.inc) against the definition
// in f32-col2im.h, summed in its order, bit for bit: random floats (so the
// order of the adds shows in the rounding), kernel widths 1-7, strides,
// dilations, pads on every side, output sizes past the padded image (taps
// that read only padding), row strides wider than the rows, channel counts
// across the vector widths (taps of 1 to 40 floats), and an image that held
// garbage before (col2im zeroes it).
#include "check.h"
#include "im2col-windows.h"
#include "kernels/f32-col2im/f32-col2im.h"

using namespace sparq;

namespace {

std::vector<float> naive(const Im2colShape& s, const std::vector<float>& col, std::size_t ldc) {
  std::vector<float> image(s.height * s.width * s.channels, 0.0f);
  for (std::size_t oh = 0; oh < s.out_h; ++oh)
    for (std::size_t ow = 0; ow < s.out_w; ++ow)
      for (std::size_t kh = 0; kh < s.kernel_h; ++kh)
        for (std::size_t kw = 0; kw < s.kernel_w; ++kw) {
          const auto ih = static_cast<std::ptrdiff_t>(oh * s.stride_h + kh * s.dilation_h) - static_cast<std::ptrdiff_t>(s.pad_top);
          const auto iw = static_cast<std::ptrdiff_t>(ow * s.stride_w + kw * s.dilation_w) - static_cast<std::ptrdiff_t>(s.pad_left);
          if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(s.height) || iw >= static_cast<std::ptrdiff_t>(s.width)) continue;
          for (std::size_t ch = 0; ch < s.channels; ++ch)
            image[(static_cast<std::size_t>(ih) * s.width + static_cast<std::size_t>(iw)) * s.channels + ch] +=
                col[(oh * s.out_w + ow) * ldc + (kh * s.kernel_w + kw) * s.channels + ch];
        }
  return image;
}

}  // namespace

CHECK_FAMILY("f32-col2im") {
  c.variants(kCol2imVariants, kCol2imVariantCount, [&](const Col2imVariant& v) {
    for (std::size_t kw : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{7}})
      for (int trial = 0; trial < 8; ++trial) {
        Im2colShape s = kcheck::random_im2col_window(c, kw, trial);
        s.channels = 1 + c.below(40);
        const std::size_t ldc = s.channels * s.kernel_h * s.kernel_w + c.below(3);
        const std::vector<float> col = c.floats(s.out_h * s.out_w * ldc, -1.0f, 1.0f);
        std::vector<float> got(s.height * s.width * s.channels, 123.0f);
        v.nhwc(s, col.data(), ldc, got.data());
        const std::vector<float> want = naive(s, col, ldc);
        c.same(got.data(), want.data(), got.size(), "%zux%zux%zu kernel %zux%zu stride %zux%zu dilation %zux%zu pads %zu,%zu out %zux%zu",
               s.height, s.width, s.channels, s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w,
               s.pad_top, s.pad_left, s.out_h, s.out_w);
      }
  });
  c.best(col2im_best().name);
}
