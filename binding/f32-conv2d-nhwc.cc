// Binding for kernels/f32-conv2d-nhwc: group-1 convolution of float32 NHWC
// images on packed GEMM weights (packF32Weights of W [KH*KW*C, OC], rows
// (kh, kw, c)), planned once (the strips and a copy of the bias) and run by
// runPlan on the calling thread, split across the thread pool inside the kernel.
#include "kernels/f32-conv2d-nhwc/f32-conv2d-nhwc.h"

#include <memory>
#include <utility>
#include <vector>

#include "args.h"
#include "f32-packed-b.h"
#include "handles.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// planF32Conv2dNhwc({ variant, weights, batch, channels, height, width, kernelH, kernelW, strideH, strideW,
//                     dilationH, dilationW, padTop, padLeft, outH, outW, channelsFirst, bias | null, min, max }) -> plan
// for runPlan(plan, x: Float32Array, y: Float32Array): x [batch, height, width, channels], weights packed
// [kernelH*kernelW*channels, OC] with rows (kh, kw, c); channelsFirst: x [batch, channels, height, width] and
// rows (c, kh, kw). y [batch, outH, outW, OC] = clamp(conv + bias, min, max). Window positions
// outside the input are skipped (read zero), so any outH/outW/pads are safe; TypeScript sizes them as ONNX Conv does.
Napi::Value PlanConv2dNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "batch", "channels", "height", "width", "kernelH", "kernelW", "strideH",
                         "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW", "channelsFirst", "bias", "min", "max"});
  const sparq::F32GemmVariant& variant =
      pick_variant(o["variant"], sparq::kF32GemmVariants, sparq::kF32GemmVariantCount, sparq::f32_gemm_best());
  std::shared_ptr<const sparq::F32PackedB> w = unwrap_handle<sparq::F32PackedB>(o["weights"], "weights");
  sparq::F32Conv2dNhwcShape s{};
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  read_window(o, &s);
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  s.channels_first = bool_arg(o["channelsFirst"], "channelsFirst");
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  if (checked_mul(env, checked_mul(env, s.kernel_h, s.kernel_w, "weights"), s.channels, "weights") != w->k)
    throw_range_error(env, "weights must have kernelH * kernelW * channels rows");
  const std::size_t x_len =
      checked_mul(env, checked_mul(env, checked_mul(env, s.batch, s.height, "x"), s.width, "x"), s.channels, "x");
  const std::size_t y_len =
      checked_mul(env, checked_mul(env, checked_mul(env, s.batch, s.out_h, "y"), s.out_w, "y"), w->n, "y");
  // Offsets the plan forms (oh * strideH + kh * dilationH rows of width * channels floats) stay far inside ptrdiff_t.
  checked_mul(env, checked_mul(env, s.out_h, s.stride_h, "outH"), checked_mul(env, s.width, s.channels, "width"), "outH");
  checked_mul(env, checked_mul(env, s.kernel_h, s.dilation_h, "dilationH"), checked_mul(env, s.width, s.channels, "width"), "dilationH");
  checked_mul(env, checked_mul(env, s.out_w, s.stride_w, "outW"), s.channels, "outW");
  checked_mul(env, checked_mul(env, s.kernel_w, s.dilation_w, "dilationW"), s.channels, "dilationW");
  Napi::TypedArrayOf<float> bias;
  std::vector<float> bias_copy;
  if (optional_typed_array<float>(o["bias"], "bias", w->n, &bias)) bias_copy.assign(bias.Data(), bias.Data() + w->n);
  sparq::F32GemmParams params;
  params.min = static_cast<float>(number_arg(o["min"], "min"));
  params.max = static_cast<float>(number_arg(o["max"], "max"));
  auto conv = std::make_shared<const sparq::F32Conv2dNhwcPlan>(sparq::f32_conv2d_nhwc_plan(variant, s));
  PlannedCall plan;
  plan.x = {napi_float32_array, x_len};
  plan.y = {napi_float32_array, y_len};
  plan.kernel = [conv = std::move(conv), params, bias = std::move(bias_copy)](const void* weights, const void* x, void* y) {
    sparq::F32GemmParams p = params;
    p.bias = bias.empty() ? nullptr : bias.data();
    sparq::f32_conv2d_nhwc(*conv, *static_cast<const sparq::F32PackedB*>(weights), static_cast<const float*>(x),
                           static_cast<float*>(y), p);
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

}  // namespace

void register_f32_conv2d_nhwc(Napi::Env env, Napi::Object exports) {
  exports.Set("planF32Conv2dNhwc", Napi::Function::New(env, PlanConv2dNhwc));
}

}  // namespace sparq_binding
