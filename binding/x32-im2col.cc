// Binding for kernels/x32-im2col: lays out a batch of NCHW images (float32,
// or uint8 padded with the zero point) as GEMM rows, group by group.
#include "kernels/x32-im2col/x32-im2col.h"

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
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

}  // namespace

void register_x32_im2col(Napi::Env env, Napi::Object exports) {
  exports.Set("im2col", Napi::Function::New(env, Im2col));
  exports.Set("x32Im2colVariants", describe_variants(env, sparq::kIm2colVariants, sparq::kIm2colVariantCount));
}

}  // namespace sparq_binding
