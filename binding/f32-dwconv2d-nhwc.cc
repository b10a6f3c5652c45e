// Binding for kernels/f32-dwconv2d-nhwc: depthwise convolution of float32
// NHWC images, planned once (weights and bias packed into the plan) and run
// by runPlan on the calling thread, split across the thread pool by rows
// inside the kernel.
#include "kernels/f32-dwconv2d-nhwc/f32-dwconv2d-nhwc.h"

#include <memory>
#include <string>

#include "args.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// planF32Dwconv2dNhwc({ variant, w, bias, batch, channels, multiplier, height, width, kernelH, kernelW, strideH, strideW,
//                       dilationH, dilationW, padTop, padLeft, outH, outW, post, alpha, beta, min, max }) -> plan
// for runPlan(plan, x: Float32Array, y: Float32Array): with OC = channels * multiplier, x [batch, height, width, channels],
// w [OC, 1, kernelH, kernelW] (packed into the plan), bias [OC] or null (copied), y [batch, outH, outW, OC] =
// clamp(post(conv + bias), min, max) with post 'none', 'hardsigmoid' (alpha, beta) or 'hardswish'. Every
// window position outside the input reads zero, so any outH/outW/pads are safe; TypeScript sizes them as ONNX Conv does.
Napi::Value PlanDwconv2dNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "w", "bias", "batch", "channels", "multiplier", "height", "width", "kernelH", "kernelW",
                         "strideH", "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW", "post", "alpha",
                         "beta", "min", "max"});
  const sparq::DwConv2dNhwcVariant& variant =
      pick_variant(o["variant"], sparq::kDwConv2dNhwcVariants, sparq::kDwConv2dNhwcVariantCount, sparq::f32_dwconv2d_nhwc_best());
  sparq::DwConv2dNhwcShape s{};
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  s.multiplier = size_arg(o["multiplier"], "multiplier");
  read_window(o, &s);
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  sparq::DwConv2dNhwcActivation act;
  const std::string post = string_arg(o["post"], "post");
  if (post == "hardsigmoid") act.post = sparq::DwConv2dNhwcPost::kHardSigmoid;
  else if (post == "hardswish") act.post = sparq::DwConv2dNhwcPost::kHardSwish;
  else if (post != "none") throw_range_error(env, "post must be 'none', 'hardsigmoid' or 'hardswish', got '" + post + "'");
  act.alpha = static_cast<float>(number_arg(o["alpha"], "alpha"));
  act.beta = static_cast<float>(number_arg(o["beta"], "beta"));
  act.min = static_cast<float>(number_arg(o["min"], "min"));
  act.max = static_cast<float>(number_arg(o["max"], "max"));
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  if (s.multiplier == 0) throw_range_error(env, "multiplier must be >= 1");
  const std::size_t out_channels = checked_mul(env, s.channels, s.multiplier, "multiplier");
  const std::size_t taps = checked_mul(env, s.kernel_h, s.kernel_w, "w");
  const std::size_t pixels_in = checked_mul(env, checked_mul(env, s.batch, s.height, "x"), s.width, "x");
  // The multiplier's repeated copy of x and the row of zeros hold out_channels per pixel: no more than an array could.
  constexpr auto kMaxElements = static_cast<std::size_t>(kMaxSize);
  if (checked_mul(env, pixels_in, out_channels, "x") > kMaxElements || checked_mul(env, s.width, out_channels, "width") > kMaxElements)
    throw_range_error(env, "width * channels * multiplier (and x's pixels times them) must be at most 2^32 - 1");
  const std::size_t x_len = checked_mul(env, pixels_in, s.channels, "x");
  const std::size_t y_len =
      checked_mul(env, checked_mul(env, checked_mul(env, s.batch, s.out_h, "y"), s.out_w, "y"), out_channels, "y");
  // Offsets the kernel forms (ow * strideW, oh * strideH + i * dilationH) stay far inside ptrdiff_t.
  checked_mul(env, s.out_w, s.stride_w, "outW");
  checked_mul(env, s.out_h, s.stride_h, "outH");
  checked_mul(env, s.kernel_w, s.dilation_w, "dilationW");
  checked_mul(env, s.kernel_h, s.dilation_h, "dilationH");
  auto w = typed_array<float>(o["w"], "w", checked_mul(env, out_channels, taps, "w"));
  Napi::TypedArrayOf<float> bias;
  const bool has_bias = optional_typed_array<float>(o["bias"], "bias", out_channels, &bias);
  auto packed = std::make_shared<const sparq::PackedDwConv2dNhwc>(
      sparq::f32_dwconv2d_nhwc_pack(w.Data(), has_bias ? bias.Data() : nullptr, out_channels, s.kernel_h, s.kernel_w));
  PlannedCall plan;
  plan.x = {napi_float32_array, x_len};
  plan.y = {napi_float32_array, y_len};
  plan.kernel = [&variant, s, act, packed = std::move(packed)](const void*, const void* x, void* y) {
    sparq::f32_dwconv2d_nhwc(variant, s, *packed, static_cast<const float*>(x), act, static_cast<float*>(y));
  };
  return wrap_plan(env, std::move(plan), nullptr);
}

}  // namespace

void register_f32_dwconv2d_nhwc(Napi::Env env, Napi::Object exports) {
  exports.Set("planF32Dwconv2dNhwc", Napi::Function::New(env, PlanDwconv2dNhwc));
  exports.Set("f32Dwconv2dNhwcVariants", describe_variants(env, sparq::kDwConv2dNhwcVariants, sparq::kDwConv2dNhwcVariantCount));
}

}  // namespace sparq_binding
