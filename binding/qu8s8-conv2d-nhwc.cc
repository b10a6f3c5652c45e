// Binding for kernels/qu8s8-conv2d-nhwc: a group-1 conv of uint8 channels-last
// images on the qu8s8-gemm microkernels, planned once per input shape (the
// plan owns its gather buffers) and run by runPlan(plan, x, c).
#include "kernels/qu8s8-conv2d-nhwc/qu8s8-conv2d-nhwc.h"

#include <memory>
#include <string>

#include "args.h"
#include "plan.h"
#include "q-output.h"
#include "register.h"

namespace sparq_binding {
namespace {

// planQu8s8Conv2dNhwc({ variant (a qu8s8-gemm variant name, or null), weights (packQ8Weights of W' [kernelH * kernelW
//                       * channels, OC], rows (kh, kw, c) c fastest), batch, channels, height, width, kernelH, kernelW,
//                       strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW, xZeroPoint, output, ldc,
//                       bias: Int32Array | null (OC), multiplier: Float32Array | null (1 or OC), outZeroPoint, outMin,
//                       outMax, fmin, fmax })
// x is [batch, height, width, channels]; c is [batch * outH * outW][OC] at row stride ldc.
Napi::Value PlanQu8s8Conv2dNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "batch", "channels", "height", "width", "kernelH", "kernelW", "strideH",
                         "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW", "xZeroPoint", "output",
                         "ldc", "bias", "multiplier", "outZeroPoint", "outMin", "outMax", "fmin", "fmax"});
  std::shared_ptr<const sparq::QPackedB> w = unwrap_handle<sparq::QPackedB>(o["weights"], "weights");
  const sparq::QGemmVariant* variant = qgemm_variant(o["variant"], *w);
  sparq::QConv2dNhwcShape s{};
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  read_window(o, &s);
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel, strides and dilations must be >= 1");
  const std::size_t k = checked_mul(env, checked_mul(env, s.kernel_h, s.kernel_w, "kernelW"), s.channels, "channels");
  if (k != w->k) throw_range_error(env, "weights must have kernelH * kernelW * channels = " + std::to_string(k) + " rows");
  const std::size_t pixels_in = checked_mul(env, checked_mul(env, s.batch, s.height, "x"), s.width, "x");
  const std::size_t pixels_out = checked_mul(env, checked_mul(env, s.batch, s.out_h, "c"), s.out_w, "c");
  PlannedOutput out = planned_output(o, pixels_out, w->n, w->n);
  out.args.params.a_zero_point = static_cast<uint8_t>(int_arg(o["xZeroPoint"], "xZeroPoint", 0, 255));
  PlannedCall plan;
  plan.x = {napi_uint8_array, checked_mul(env, pixels_in, s.channels, "x")};
  plan.y = out.c;
  auto scratch = std::make_shared<sparq::QConv2dNhwcScratch>();
  plan.kernel = [variant, s, scratch, out = std::move(out)](const void* weights, const void* x, void* c) {
    sparq::qu8s8_conv2d_nhwc(*variant, s, *static_cast<const sparq::QPackedB*>(weights), static_cast<const uint8_t*>(x), c,
                             out.args.ldc, out.params(), scratch.get());
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

}  // namespace

void register_qu8s8_conv2d_nhwc(Napi::Env env, Napi::Object exports) {
  exports.Set("planQu8s8Conv2dNhwc", Napi::Function::New(env, PlanQu8s8Conv2dNhwc));
}

}  // namespace sparq_binding
