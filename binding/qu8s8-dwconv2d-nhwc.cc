// Binding for kernels/qu8s8-dwconv2d-nhwc: depthwise convolution of uint8
// channels-last images with int8 or uint8 weights [channels * channelMultiplier,
// kernelH, kernelW] less their zero points, planned once (the weights packed
// into the plan) and run by runPlan(plan, x, c): exact int32 sums stored as
// int32 or through the output stage of qu8s8Gemm (q-output.h).
#include "kernels/qu8s8-dwconv2d-nhwc/qu8s8-dwconv2d-nhwc.h"

#include <memory>
#include <string>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "q-output.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// A task's indirection row (one pointer per tap and output column) stays below this; larger is a RangeError.
constexpr std::size_t kMaxIndirectionBytes = std::size_t{1} << 30;

// planQu8s8Dwconv2dNhwc({ variant, w: Int8Array | Uint8Array, wZeroPoint: Int32Array (1 or OC values), batch,
//                         channels, channelMultiplier, height, width, kernelH, kernelW, strideH, strideW, dilationH,
//                         dilationW, padTop, padLeft, outH, outW, xZeroPoint, output, ldc, bias: Int32Array | null
//                         (OC = channels * channelMultiplier values), multiplier: Float32Array | null (1 or OC),
//                         outZeroPoint, outMin, outMax, fmin, fmax })
// x is [batch, height, width, channels]; c is [batch * outH * outW][OC] with ldc = OC.
Napi::Value PlanQu8s8Dwconv2dNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "w", "wZeroPoint", "batch", "channels", "channelMultiplier", "dilationH", "dilationW", "xZeroPoint",
                         "height", "width", "kernelH", "kernelW", "strideH", "strideW", "padTop", "padLeft", "outH", "outW",
                         "output", "ldc", "bias", "multiplier", "outZeroPoint", "outMin", "outMax", "fmin", "fmax"});
  const auto& variant = pick_variant(o["variant"], sparq::kQu8s8DwConv2dNhwcVariants, sparq::kQu8s8DwConv2dNhwcVariantCount,
                                     sparq::qu8s8_dwconv2d_nhwc_best());
  sparq::DwConv2dShape s{};
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  s.multiplier = size_arg(o["channelMultiplier"], "channelMultiplier");
  s.group_channels = 1;
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  read_window(o, &s);
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  if (s.multiplier == 0) throw_range_error(env, "channelMultiplier must be >= 1");
  const std::size_t out_channels = checked_mul(env, s.channels, s.multiplier, "channelMultiplier");
  const std::size_t taps = checked_mul(env, s.kernel_h, s.kernel_w, "kernelW");
  if (checked_mul(env, checked_mul(env, s.out_w, taps + 1, "outW"), sizeof(void*), "outW") > kMaxIndirectionBytes)
    throw_range_error(env, "the output rows' windows take too many taps (outW * kernelH * kernelW)");
  bool w_unsigned = false;
  const Napi::TypedArray w = byte_array(o["w"], "w", checked_mul(env, out_channels, taps, "w"), &w_unsigned);
  const auto zero_points = typed_array<int32_t>(o["wZeroPoint"], "wZeroPoint", 1);
  const std::size_t zero_point_count = zero_points.ElementLength();
  if (zero_point_count != 1 && zero_point_count != out_channels)
    throw_range_error(env, "wZeroPoint must hold 1 or " + std::to_string(out_channels) + " values");
  const int32_t lo = w_unsigned ? 0 : -128, hi = w_unsigned ? 255 : 127;
  for (std::size_t i = 0; i < zero_point_count; i++)
    if (zero_points[i] < lo || zero_points[i] > hi) throw_range_error(env, "wZeroPoint values must lie in the weights' type range");
  const std::size_t pixels_in = checked_mul(env, checked_mul(env, s.batch, s.height, "x"), s.width, "x");
  const std::size_t pixels_out = checked_mul(env, checked_mul(env, s.batch, s.out_h, "c"), s.out_w, "c");
  if (size_arg(o["ldc"], "ldc") != out_channels) throw_range_error(env, "ldc must be channels * channelMultiplier = " + std::to_string(out_channels));
  PlannedOutput out = planned_output(o, pixels_out, out_channels, out_channels);
  const uint8_t x_zero_point = static_cast<uint8_t>(int_arg(o["xZeroPoint"], "xZeroPoint", 0, 255));
  auto weights = std::make_shared<const sparq::Qu8s8DwConv2dNhwcWeights>(
      sparq::qu8s8_dwconv2d_nhwc_pack(variant, out_channels, s.kernel_h, s.kernel_w, array_data<const uint8_t>(w), w_unsigned,
                                      array_data<const int32_t>(zero_points), zero_point_count == 1 ? 0 : 1));
  PlannedCall plan;
  plan.x = {napi_uint8_array, checked_mul(env, pixels_in, s.channels, "x")};
  plan.y = out.c;
  plan.kernel = [&variant, s, weights, x_zero_point, out = std::move(out)](const void*, const void* x, void* c) {
    sparq::Qu8s8DwConv2dParams params;
    params.x_zero_point = x_zero_point;
    params.output = out.args.params.output;
    params.stage = out.params().stage;
    sparq::qu8s8_dwconv2d_nhwc(variant, s, *weights, static_cast<const uint8_t*>(x), c, params);
  };
  return wrap_plan(env, std::move(plan), nullptr);
}

}  // namespace

void register_qu8s8_dwconv2d_nhwc(Napi::Env env, Napi::Object exports) {
  exports.Set("planQu8s8Dwconv2dNhwc", Napi::Function::New(env, PlanQu8s8Dwconv2dNhwc));
  exports.Set("qu8s8Dwconv2dNhwcVariants",
              describe_variants(env, sparq::kQu8s8DwConv2dNhwcVariants, sparq::kQu8s8DwConv2dNhwcVariantCount));
}

}  // namespace sparq_binding
