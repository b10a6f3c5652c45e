// Binding for kernels/f32-col2im: planned once per shape, the scatter-add of
// a batch's NHWC im2col rows back into its images (planCol2imNhwc).
#include "kernels/f32-col2im/f32-col2im.h"

#include "args.h"
#include "kernels/common/thread-pool.h"
#include "nhwc-window.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// planCol2imNhwc({ variant, batch, channels, height, width, kernelH, kernelW, strideH, strideW, dilationH, dilationW,
//                  padTop, padLeft, outH, outW }) -> plan
// for runPlan(plan, col, image): col [batch * outH * outW][kernelH * kernelW * channels] (rows (kh, kw, c), c fastest),
// image [batch, height, width, channels], both float32; the images are split between threads (each image's sums
// stay on one thread, in the kernel's order).
Napi::Value PlanCol2imNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "batch", "channels", "height", "width", "kernelH", "kernelW", "strideH", "strideW",
                         "dilationH", "dilationW", "padTop", "padLeft", "outH", "outW"});
  const auto& variant = pick_variant(o["variant"], sparq::kCol2imVariants, sparq::kCol2imVariantCount, sparq::col2im_best());
  const std::size_t batch = size_arg(o["batch"], "batch");
  const NhwcWindow window = read_nhwc_window(env, o, "image");
  const sparq::Im2colShape s = window.shape;
  const std::size_t image = window.image, ldc = window.ldc, block = window.block;
  PlannedCall plan;
  plan.x = {napi_float32_array, checked_mul(env, block, batch, "col")};
  plan.y = {napi_float32_array, checked_mul(env, image, batch, "image")};
  // One task per image (none when there are no pixels to write).
  const std::size_t tasks = plan.y.length == 0 ? 0 : batch;
  plan.kernel = [&variant, s, image, block, ldc, tasks](const void*, const void* col, void* out) {
    sparq::parallel_for(tasks, [&](std::size_t b) {
      variant.nhwc(s, static_cast<const float*>(col) + b * block, ldc, static_cast<float*>(out) + b * image);
    });
  };
  return wrap_plan(env, std::move(plan), nullptr);
}

}  // namespace

void register_f32_col2im(Napi::Env env, Napi::Object exports) {
  exports.Set("planCol2imNhwc", Napi::Function::New(env, PlanCol2imNhwc));
  exports.Set("f32Col2imVariants", describe_variants(env, sparq::kCol2imVariants, sparq::kCol2imVariantCount));
}

}  // namespace sparq_binding
