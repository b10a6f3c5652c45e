// x32-im2col: every variant (x32-im2col-variants.inc), 4-byte and 1-byte
// elements, against the definition in x32-im2col.h, exactly: kernel widths
// with and without a compile-time copy (1, 3, 5, 7 and others), strides,
// dilations, pads on every side, row strides wider than the rows and channel
// strides wider than the planes; the NHWC entry points likewise, one row
// range at a time (rows outside it untouched).
#include "check.h"
#include "im2col-windows.h"
#include "kernels/x32-im2col/x32-im2col.h"

using namespace sparq;

namespace {

template <typename T>
std::vector<T> naive(const Im2colShape& s, const std::vector<T>& image, T pad, std::size_t ldc) {
  std::vector<T> col(s.out_h * s.out_w * ldc, T(7));
  for (std::size_t oh = 0; oh < s.out_h; ++oh)
    for (std::size_t ow = 0; ow < s.out_w; ++ow)
      for (std::size_t ch = 0; ch < s.channels; ++ch)
        for (std::size_t kh = 0; kh < s.kernel_h; ++kh)
          for (std::size_t kw = 0; kw < s.kernel_w; ++kw) {
            const auto ih = static_cast<std::ptrdiff_t>(oh * s.stride_h + kh * s.dilation_h) - static_cast<std::ptrdiff_t>(s.pad_top);
            const auto iw = static_cast<std::ptrdiff_t>(ow * s.stride_w + kw * s.dilation_w) - static_cast<std::ptrdiff_t>(s.pad_left);
            const bool inside = ih >= 0 && iw >= 0 && ih < static_cast<std::ptrdiff_t>(s.height) && iw < static_cast<std::ptrdiff_t>(s.width);
            col[(oh * s.out_w + ow) * ldc + (ch * s.kernel_h + kh) * s.kernel_w + kw] =
                inside ? image[ch * s.image_channel_stride + static_cast<std::size_t>(ih) * s.width + static_cast<std::size_t>(iw)] : pad;
          }
  return col;
}

template <typename T, typename Fn>
void check_shape(kcheck::Checker& c, Fn im2col, const Im2colShape& s, T pad) {
  const std::size_t ldc = s.channels * s.kernel_h * s.kernel_w + c.below(3);
  const std::vector<T> image = c.integers<T>(s.channels * s.image_channel_stride, 0, sizeof(T) == 4 ? 1000 : 255);
  std::vector<T> got(s.out_h * s.out_w * ldc, T(7));
  im2col(s, image.data(), pad, got.data(), ldc);
  const std::vector<T> want = naive(s, image, pad, ldc);
  c.same(got.data(), want.data(), got.size(), "%zu-bit %zux%zux%zu kernel %zux%zu stride %zux%zu dilation %zux%zu pads %zu,%zu",
         sizeof(T) * 8, s.channels, s.height, s.width, s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h,
         s.dilation_w, s.pad_top, s.pad_left);
}

// The NHWC definition (x32-im2col.h): x [height][width][channels], columns (kh, kw, c).
template <typename T>
std::vector<T> naive_nhwc(const Im2colShape& s, const std::vector<T>& image, T pad, std::size_t ldc, std::size_t oh_begin,
                          std::size_t oh_end) {
  std::vector<T> col(s.out_h * s.out_w * ldc, T(7));
  for (std::size_t oh = oh_begin; oh < oh_end; ++oh)
    for (std::size_t ow = 0; ow < s.out_w; ++ow)
      for (std::size_t kh = 0; kh < s.kernel_h; ++kh)
        for (std::size_t kw = 0; kw < s.kernel_w; ++kw)
          for (std::size_t ch = 0; ch < s.channels; ++ch) {
            const auto ih = static_cast<std::ptrdiff_t>(oh * s.stride_h + kh * s.dilation_h) - static_cast<std::ptrdiff_t>(s.pad_top);
            const auto iw = static_cast<std::ptrdiff_t>(ow * s.stride_w + kw * s.dilation_w) - static_cast<std::ptrdiff_t>(s.pad_left);
            const bool inside = ih >= 0 && iw >= 0 && ih < static_cast<std::ptrdiff_t>(s.height) && iw < static_cast<std::ptrdiff_t>(s.width);
            col[(oh * s.out_w + ow) * ldc + (kh * s.kernel_w + kw) * s.channels + ch] =
                inside ? image[(static_cast<std::size_t>(ih) * s.width + static_cast<std::size_t>(iw)) * s.channels + ch] : pad;
          }
  return col;
}

template <typename T, typename Fn>
void check_shape_nhwc(kcheck::Checker& c, Fn im2col, const Im2colShape& s, T pad) {
  const std::size_t ldc = s.channels * s.kernel_h * s.kernel_w + c.below(3);
  const std::size_t oh_begin = c.below(s.out_h), oh_end = oh_begin + 1 + c.below(s.out_h - oh_begin);
  const std::vector<T> image = c.integers<T>(s.height * s.width * s.channels, 0, sizeof(T) == 4 ? 1000 : 255);
  std::vector<T> got(s.out_h * s.out_w * ldc, T(7));
  im2col(s, image.data(), pad, got.data(), ldc, oh_begin, oh_end);
  const std::vector<T> want = naive_nhwc(s, image, pad, ldc, oh_begin, oh_end);
  c.same(got.data(), want.data(), got.size(), "NHWC %zu-bit %zux%zux%zu kernel %zux%zu stride %zux%zu dilation %zux%zu pads %zu,%zu rows %zu..%zu",
         sizeof(T) * 8, s.height, s.width, s.channels, s.kernel_h, s.kernel_w, s.stride_h, s.stride_w, s.dilation_h,
         s.dilation_w, s.pad_top, s.pad_left, oh_begin, oh_end);
}

}  // namespace

CHECK_FAMILY("x32-im2col") {
  c.variants(kIm2colVariants, kIm2colVariantCount, [&](const Im2colVariant& v) {
    for (std::size_t kw : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{7}})
      for (int trial = 0; trial < 6; ++trial) {
        Im2colShape s = kcheck::random_im2col_window(c, kw, trial);
        s.channels = 1 + c.below(3);
        s.image_channel_stride = s.height * s.width + c.below(4);
        check_shape<float>(c, v.x32, s, -1.5f);
        check_shape<uint8_t>(c, v.x8, s, uint8_t{77});
        s.channels = 1 + c.below(40);  // taps of up to 160 bytes: every run length of the SIMD copies
        check_shape_nhwc<float>(c, v.x32_nhwc, s, -1.5f);
        check_shape_nhwc<uint8_t>(c, v.x8_nhwc, s, uint8_t{77});
      }
  });
  c.best(im2col_best().name);
}
