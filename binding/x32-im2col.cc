// Binding for kernels/x32-im2col: lays out a batch of NCHW images (float32,
// or uint8 padded with the zero point) as GEMM rows, group by group; or,
// planned once per shape, a batch of NHWC images (planIm2colNhwc).
#include "kernels/x32-im2col/x32-im2col.h"

#include <string>

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
#include "nhwc-window.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// im2col({ variant, x: Float32Array | Uint8Array, col: same type, batch, groups, channelsPerGroup, height, width,
//          kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW, padValue, async })
// col is [groups][batch * outH * outW][channelsPerGroup * kernelH * kernelW].
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "col", "batch", "groups", "channelsPerGroup", "height", "width", "kernelH",
                         "kernelW", "strideH", "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW",
                         "padValue", "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kIm2colVariants, sparq::kIm2colVariantCount, sparq::im2col_best());
  const std::size_t batch = size_arg(o["batch"], "batch"), groups = size_arg(o["groups"], "groups");
  sparq::Im2colShape s{};
  s.channels = size_arg(o["channelsPerGroup"], "channelsPerGroup");
  read_window(o, &s);
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  if (groups == 0 || s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 ||
      s.dilation_w == 0)
    throw_range_error(env, "groups, kernel, strides and dilations must be >= 1");
  s.image_channel_stride = checked_mul(env, s.height, s.width, "image");
  const std::size_t image = checked_mul(env, s.image_channel_stride, s.channels, "image");
  const std::size_t x_len = checked_mul(env, checked_mul(env, image, groups, "x"), batch, "x");
  const std::size_t rows = checked_mul(env, s.out_h, s.out_w, "col");
  const std::size_t ldc = checked_mul(env, checked_mul(env, s.channels, s.kernel_h, "col"), s.kernel_w, "col");
  const std::size_t block = checked_mul(env, rows, ldc, "col");
  const std::size_t col_len = checked_mul(env, checked_mul(env, block, batch, "col"), groups, "col");
  Job job(env, bool_arg(o["async"], "async"));
  // An empty result has nothing to lay out, however many images it has none of.
  const std::size_t jobs = col_len == 0 ? 0 : batch * groups;
  auto run = [=, &variant](auto* x, auto* col, auto pad) {
    return [=, &variant] {
      sparq::parallel_for(jobs, [&](std::size_t job) {
        const std::size_t g = job / batch, b = job % batch;
        const auto* img = x + (b * groups + g) * image;
        auto* out = col + (g * batch + b) * block;
        if constexpr (sizeof(*x) == 4)
          variant.x32(s, img, pad, out, ldc);
        else
          variant.x8(s, img, pad, out, ldc);
      });
    };
  };
  if (o["x"].IsTypedArray() && o["x"].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto x = typed_array<uint8_t>(o["x"], "x", x_len);
    auto col = typed_array<uint8_t>(o["col"], "col", col_len);
    const auto pad = static_cast<uint8_t>(int_arg(o["padValue"], "padValue", 0, 255));
    const uint8_t* xs = job.in<uint8_t>(x);
    return job.run(run(xs, job.out<uint8_t>(col), pad));
  }
  auto x = typed_array<float>(o["x"], "x", x_len);
  auto col = typed_array<float>(o["col"], "col", col_len);
  const auto pad = static_cast<float>(number_arg(o["padValue"], "padValue"));
  const float* xs = job.in<float>(x);
  return job.run(run(xs, job.out<float>(col), pad));
}

// planIm2colNhwc({ variant, type: 'float32' | 'uint8', batch, channels, height, width, kernelH, kernelW, strideH,
//                  strideW, dilationH, dilationW, padTop, padLeft, outH, outW, padValue }) -> plan
// for runPlan(plan, x, col): x [batch, height, width, channels], col [batch * outH * outW][kernelH * kernelW * channels]
// (rows (kh, kw, c), c fastest), both of `type`; the output rows of the batch are split between threads.
Napi::Value PlanIm2colNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "type", "batch", "channels", "height", "width", "kernelH", "kernelW", "strideH",
                         "strideW", "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW", "padValue"});
  const auto& variant = pick_variant(o["variant"], sparq::kIm2colVariants, sparq::kIm2colVariantCount, sparq::im2col_best());
  const std::string type = string_arg(o["type"], "type");
  if (type != "float32" && type != "uint8") throw_type_error(env, "type must be 'float32' or 'uint8'");
  const bool bytes = type == "uint8";
  const std::size_t batch = size_arg(o["batch"], "batch");
  const NhwcWindow window = read_nhwc_window(env, o, "x");
  const sparq::Im2colShape s = window.shape;
  const std::size_t image = window.image, ldc = window.ldc, block = window.block;
  PlannedCall plan;
  const napi_typedarray_type array = bytes ? napi_uint8_array : napi_float32_array;
  plan.x = {array, checked_mul(env, image, batch, "x")};
  plan.y = {array, checked_mul(env, block, batch, "col")};
  // One task per output row of one image; none when there is nothing to lay out.
  const std::size_t tasks = plan.y.length == 0 ? 0 : batch * s.out_h;
  if (bytes) {
    const auto pad = static_cast<uint8_t>(int_arg(o["padValue"], "padValue", 0, 255));
    plan.kernel = [&variant, s, image, block, ldc, tasks, pad](const void*, const void* x, void* col) {
      sparq::parallel_for(tasks, [&](std::size_t task) {
        const std::size_t b = task / s.out_h, oh = task % s.out_h;
        variant.x8_nhwc(s, static_cast<const uint8_t*>(x) + b * image, pad, static_cast<uint8_t*>(col) + b * block, ldc, oh, oh + 1);
      });
    };
  } else {
    const auto pad = static_cast<float>(number_arg(o["padValue"], "padValue"));
    plan.kernel = [&variant, s, image, block, ldc, tasks, pad](const void*, const void* x, void* col) {
      sparq::parallel_for(tasks, [&](std::size_t task) {
        const std::size_t b = task / s.out_h, oh = task % s.out_h;
        variant.x32_nhwc(s, static_cast<const float*>(x) + b * image, pad, static_cast<float*>(col) + b * block, ldc, oh, oh + 1);
      });
    };
  }
  return wrap_plan(env, std::move(plan), nullptr);
}

}  // namespace

void register_x32_im2col(Napi::Env env, Napi::Object exports) {
  exports.Set("im2col", Napi::Function::New(env, Im2col));
  exports.Set("planIm2colNhwc", Napi::Function::New(env, PlanIm2colNhwc));
  exports.Set("x32Im2colVariants", describe_variants(env, sparq::kIm2colVariants, sparq::kIm2colVariantCount));
}

}  // namespace sparq_binding
