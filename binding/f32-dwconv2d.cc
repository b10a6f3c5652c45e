// Binding for kernels/f32-dwconv2d: depthwise (and few-channels-per-group
// grouped) convolution of float32 NCHW images, bias and clamp fused, split
// across the thread pool by planes inside the kernel.
#include "kernels/f32-dwconv2d/f32-dwconv2d.h"

#include "args.h"
#include "job.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// f32Dwconv2d({ variant, x, w, bias, y, batch, channels, groupChannels, multiplier, height, width, kernelH, kernelW, strideH, strideW,
//               dilationH, dilationW, padTop, padLeft, outH, outW, min, max, async })
// With OC = channels / groupChannels * multiplier (groupChannels: input channels per group, 1 for depthwise;
// multiplier: output channels per group): x [batch, channels, height, width], w [OC, groupChannels, kernelH, kernelW],
// bias [OC] or null, y [batch, OC, outH, outW]. Every window column and row outside the input reads zero, so
// any outH/outW/pads are safe; TypeScript sizes them as ONNX Conv does.
Napi::Value Dwconv2d(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "w", "bias", "y", "batch", "channels", "groupChannels", "multiplier", "height", "width", "kernelH",
                         "kernelW", "strideH", "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW",
                         "min", "max", "async"});
  const sparq::DwConv2dVariant& variant =
      pick_variant(o["variant"], sparq::kDwConv2dVariants, sparq::kDwConv2dVariantCount, sparq::f32_dwconv2d_best());
  sparq::DwConv2dShape s{};
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  s.group_channels = size_arg(o["groupChannels"], "groupChannels");
  s.multiplier = size_arg(o["multiplier"], "multiplier");
  read_window(o, &s);
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  const float min = static_cast<float>(number_arg(o["min"], "min"));
  const float max = static_cast<float>(number_arg(o["max"], "max"));
  const bool async = bool_arg(o["async"], "async");
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  if (s.multiplier == 0) throw_range_error(env, "multiplier must be >= 1");
  if (s.group_channels == 0 || s.channels % s.group_channels != 0)
    throw_range_error(env, "groupChannels must be >= 1 and divide channels");
  const std::size_t out_channels = checked_mul(env, s.channels / s.group_channels, s.multiplier, "multiplier");
  const std::size_t taps = checked_mul(env, checked_mul(env, s.kernel_h, s.kernel_w, "w"), s.group_channels, "w");
  const std::size_t x_len = checked_mul(env, checked_mul(env, s.batch, s.channels, "x"), checked_mul(env, s.height, s.width, "x"), "x");
  const std::size_t y_len =
      checked_mul(env, checked_mul(env, s.batch, out_channels, "y"), checked_mul(env, s.out_h, s.out_w, "y"), "y");
  // Offsets the kernel forms (ow * strideW, oh * strideH + i * dilationH) stay far inside ptrdiff_t.
  checked_mul(env, s.out_w, s.stride_w, "outW");
  checked_mul(env, s.out_h, s.stride_h, "outH");
  checked_mul(env, s.kernel_w, s.dilation_w, "dilationW");
  checked_mul(env, s.kernel_h, s.dilation_h, "dilationH");
  auto x = typed_array<float>(o["x"], "x", x_len);
  auto w = typed_array<float>(o["w"], "w", checked_mul(env, out_channels, taps, "w"));
  Napi::TypedArrayOf<float> bias;
  const bool has_bias = optional_typed_array<float>(o["bias"], "bias", out_channels, &bias);
  auto y = typed_array<float>(o["y"], "y", y_len);
  Job job(env, async);
  const float* xs = job.in<float>(x);
  const float* ws = job.in<float>(w);
  const float* bs = has_bias ? job.in<float>(bias) : nullptr;
  float* ys = job.out<float>(y);
  return job.run([=, &variant] { sparq::f32_dwconv2d(variant, s, xs, ws, bs, min, max, ys); });
}

}  // namespace

void register_f32_dwconv2d(Napi::Env env, Napi::Object exports) {
  exports.Set("f32Dwconv2d", Napi::Function::New(env, Dwconv2d));
  exports.Set("f32Dwconv2dVariants", describe_variants(env, sparq::kDwConv2dVariants, sparq::kDwConv2dVariantCount));
}

}  // namespace sparq_binding
