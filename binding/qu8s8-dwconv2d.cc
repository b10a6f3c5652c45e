// Binding for kernels/qu8s8-dwconv2d: depthwise convolution of uint8 NCHW
// images with int8 weights [channels * channelMultiplier, kernelH, kernelW], exact int32 sums
// stored as int32 or requantized (the output stage of qu8s8Gemm, q-output.h).
#include "kernels/qu8s8-dwconv2d/qu8s8-dwconv2d.h"

#include <string>

#include "args.h"
#include "job.h"
#include "q-output.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// Each task's scratch (the padded plane and its pair layout, about 5 bytes
// per padded position) stays below this; larger windows are a RangeError.
constexpr std::size_t kMaxScratchBytes = std::size_t{1} << 30;

// qu8s8Dwconv2d({ variant, x: Uint8Array, w: Int8Array, batch, channels, channelMultiplier, height, width, kernelH,
//                 kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW, xZeroPoint, output, c,
//                 ldc, bias: Int32Array | null (OC = channels * channelMultiplier values), multiplier: Float32Array |
//                 null (the output stage's: 1 or OC), outZeroPoint, outMin, outMax, fmin, fmax, async })
// c is [batch * OC][outH * outW] with ldc = outH * outW.
Napi::Value Qu8s8Dwconv2d(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "w", "batch", "channels", "channelMultiplier", "dilationH", "dilationW", "xZeroPoint", "height",
                         "width", "kernelH", "kernelW", "strideH", "strideW", "padTop", "padLeft", "outH", "outW",
                         Q_OUTPUT_FIELDS, "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kQu8s8DwConv2dVariants, sparq::kQu8s8DwConv2dVariantCount,
                                     sparq::qu8s8_dwconv2d_best());
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
  // The pair layout's largest extents (qu8s8-dwconv2d.cc's layout_of, rounded up).
  const std::size_t rows = checked_mul(env, s.out_h + 1, s.stride_h, "outH") + checked_mul(env, s.kernel_h + 1, s.dilation_h, "kernelH");
  const std::size_t cols = checked_mul(env, s.out_w + sparq::kQu8s8DwConv2dVector, s.stride_w, "outW") + checked_mul(env, s.kernel_w, s.dilation_w, "kernelW");
  if (checked_mul(env, checked_mul(env, rows, cols, "outH"), 5, "outH") > kMaxScratchBytes)
    throw_range_error(env, "the windows span too large a padded plane (strides, dilations or output size)");
  const std::size_t planes = checked_mul(env, s.batch, out_channels, "channels");
  const std::size_t plane_in = checked_mul(env, s.height, s.width, "x"), plane_out = checked_mul(env, s.out_h, s.out_w, "c");
  auto x = typed_array<uint8_t>(o["x"], "x", checked_mul(env, checked_mul(env, s.batch, s.channels, "x"), plane_in, "x"));
  auto w = typed_array<int8_t>(o["w"], "w", checked_mul(env, checked_mul(env, out_channels, s.kernel_h, "w"), s.kernel_w, "w"));
  if (size_arg(o["ldc"], "ldc") != plane_out) throw_range_error(env, "ldc must be outH * outW = " + std::to_string(plane_out));
  Job job(env, bool_arg(o["async"], "async"));
  const QOutputArgs out = output_args(o, planes, plane_out, out_channels, job);
  sparq::Qu8s8DwConv2dParams params;
  params.x_zero_point = static_cast<uint8_t>(int_arg(o["xZeroPoint"], "xZeroPoint", 0, 255));
  params.output = out.params.output;
  params.stage = out.params.stage;
  const uint8_t* xs = job.in<uint8_t>(x);
  const int8_t* ws = job.in<int8_t>(w);
  void* c = out.c_data;
  return job.run([&variant, s, xs, ws, c, params] { sparq::qu8s8_dwconv2d(variant, s, xs, ws, c, params); });
}

}  // namespace

void register_qu8s8_dwconv2d(Napi::Env env, Napi::Object exports) {
  exports.Set("qu8s8Dwconv2d", Napi::Function::New(env, Qu8s8Dwconv2d));
  exports.Set("qu8s8Dwconv2dVariants",
              describe_variants(env, sparq::kQu8s8DwConv2dVariants, sparq::kQu8s8DwConv2dVariantCount));
}

}  // namespace sparq_binding
