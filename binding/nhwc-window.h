// The NHWC window that planIm2colNhwc and planCol2imNhwc share: one is the
// other's adjoint, so both read the same fields with the same checks and
// size one image and its im2col rows the same way.
#pragma once

#include "args.h"
#include "kernels/x32-im2col/x32-im2col.h"

namespace sparq_binding {

struct NhwcWindow {
  sparq::Im2colShape shape;
  std::size_t image;  // height * width * channels
  std::size_t ldc;    // kernelH * kernelW * channels: one im2col row
  std::size_t block;  // outH * outW * ldc: one image's im2col rows
};

// Reads channels, the window fields and the dilations (RangeError for a zero
// kernel, stride or dilation); `image_name` names the image argument in overflow errors.
inline NhwcWindow read_nhwc_window(const Napi::Env& env, const Options& o, const char* image_name) {
  NhwcWindow w{};
  sparq::Im2colShape& s = w.shape;
  s.channels = size_arg(o["channels"], "channels");
  read_window(o, &s);
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  w.image = checked_mul(env, checked_mul(env, s.height, s.width, image_name), s.channels, image_name);
  w.ldc = checked_mul(env, checked_mul(env, s.channels, s.kernel_h, "col"), s.kernel_w, "col");
  w.block = checked_mul(env, checked_mul(env, s.out_h, s.out_w, "col"), w.ldc, "col");
  return w;
}

}  // namespace sparq_binding
