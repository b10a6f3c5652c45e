// The convolution windows of the qu8s8 conv checks: a case's window applied
// to a shape, and the tap walk their plain oracles sum over. Shape is any
// kernel shape struct with the fields kernel_h/w, stride_h/w, dilation_h/w,
// pad_top/left, height/width and out_h/w.
#pragma once

#include <cstddef>

namespace kcheck {

// A window: kernel kh x kw, strides sh, sw, dilations dh, dw and pads top,
// left, bottom, right.
struct ConvWindow {
  std::size_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;

  // Sets s's window and its output size from s.height and s.width; false
  // where the dilated kernel does not fit the padded input (no output).
  template <typename Shape>
  bool apply(Shape& s) const {
    s.kernel_h = kh, s.kernel_w = kw, s.stride_h = sh, s.stride_w = sw;
    s.dilation_h = dh, s.dilation_w = dw, s.pad_top = pt, s.pad_left = pl;
    const std::size_t ext_h = (kh - 1) * dh + 1, ext_w = (kw - 1) * dw + 1;
    if (s.height + pt + pb < ext_h || s.width + pl + pr < ext_w) return false;
    s.out_h = (s.height + pt + pb - ext_h) / sh + 1;
    s.out_w = (s.width + pl + pr - ext_w) / sw + 1;
    return true;
  }
};

// tap(i, j, ih, iw) for each tap (i, j) of output pixel (oh, ow)'s window
// that lands inside the input, on its pixel (ih, iw); taps in the padding
// add nothing and are skipped.
template <typename Shape, typename Tap>
void for_each_tap(const Shape& s, std::size_t oh, std::size_t ow, Tap&& tap) {
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (std::size_t j = 0; j < s.kernel_w; j++) {
      const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * s.stride_h + i * s.dilation_h) - static_cast<std::ptrdiff_t>(s.pad_top);
      const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(ow * s.stride_w + j * s.dilation_w) - static_cast<std::ptrdiff_t>(s.pad_left);
      if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(s.height) || iw >= static_cast<std::ptrdiff_t>(s.width)) continue;
      tap(i, j, static_cast<std::size_t>(ih), static_cast<std::size_t>(iw));
    }
}

}  // namespace kcheck
