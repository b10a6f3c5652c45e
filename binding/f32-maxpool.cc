// Binding for kernels/f32-maxpool: 2-D max pooling of NCHW planes (float32,
// uint8 or int8), split across the thread pool by planes. The variant picks
// the float32 kernel of 2x2 stride-2 unpadded windows; every other shape, and
// uint8/int8 planes, run the portable kernel. And for kernels/f32-maxpool-nhwc:
// the same pooling of channels-last images, split by output rows; for
// kernels/f32-maxpool-grad-nhwc: the gradient of a 2x2 stride-2 one, the same way.
#include "kernels/f32-maxpool/f32-maxpool.h"
#include "kernels/f32-maxpool-grad-nhwc/f32-maxpool-grad-nhwc.h"
#include "kernels/f32-maxpool-nhwc/f32-maxpool-nhwc.h"

#include <algorithm>
#include <functional>
#include <string>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "kernels/common/thread-pool.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// Below this many window reads per call the pool's wake-up costs more than it saves.
constexpr std::size_t kMinReadsPerTask = 1 << 16;

using Variant = sparq::MaxPool2x2s2Variant;

void pool(const Variant& v, const sparq::MaxPoolShape& s, const float* x, float* y) { sparq::f32_maxpool(v, s, x, y); }
void pool(const Variant&, const sparq::MaxPoolShape& s, const uint8_t* x, uint8_t* y) { sparq::u8_maxpool(s, x, y); }
void pool(const Variant&, const sparq::MaxPoolShape& s, const int8_t* x, int8_t* y) { sparq::s8_maxpool(s, x, y); }

// x and y as typed arrays of T, then run(x, y) as a job.
template <typename T, typename Run>
Napi::Value typed_run(const Options& o, std::size_t x_len, std::size_t y_len, bool async, const Run& run) {
  auto x = typed_array<T>(o["x"], "x", x_len);
  auto y = typed_array<T>(o["y"], "y", y_len);
  Job job(o["x"].Env(), async);
  const T* xs = job.in<T>(x);
  return job.run(run(xs, job.out<T>(y)));
}

// maxPool({ variant, x, y, planes, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW,
//           async })
// x is [planes][height][width], y [planes][outH][outW], both Float32Array, Uint8Array or Int8Array.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "planes", "height", "width", "kernelH", "kernelW", "strideH", "strideW",
                         "padTop", "padLeft", "outH", "outW", "async"});
  const Variant& variant = pick_variant(o["variant"], sparq::kMaxPool2x2s2Variants, sparq::kMaxPool2x2s2VariantCount,
                                        sparq::maxpool_2x2s2_best());
  sparq::MaxPoolShape s{};
  s.planes = size_arg(o["planes"], "planes");
  read_window(o, &s);
  const bool async = bool_arg(o["async"], "async");
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0)
    throw_range_error(env, "kernel and strides must be >= 1");
  if (s.pad_top >= s.kernel_h || s.pad_left >= s.kernel_w) throw_range_error(env, "pads must be smaller than the kernel");
  // Every window must start inside the input, or it would read nothing.
  if ((s.out_h > 0 && checked_mul(env, s.out_h - 1, s.stride_h, "outH") >= s.height + s.pad_top) ||
      (s.out_w > 0 && checked_mul(env, s.out_w - 1, s.stride_w, "outW") >= s.width + s.pad_left))
    throw_range_error(env, "outH/outW place a window outside the input");
  const std::size_t in_plane = checked_mul(env, s.height, s.width, "x");
  const std::size_t out_plane = checked_mul(env, s.out_h, s.out_w, "y");
  const std::size_t x_len = checked_mul(env, in_plane, s.planes, "x");
  const std::size_t y_len = checked_mul(env, out_plane, s.planes, "y");
  const std::size_t reads = checked_mul(env, checked_mul(env, y_len, s.kernel_h, "y"), s.kernel_w, "y");
  // An empty result has nothing to pool, however many planes it has none of.
  const std::size_t tasks = y_len == 0 ? 0 : std::clamp<std::size_t>(reads / kMinReadsPerTask, 1, std::max<std::size_t>(s.planes, 1));
  auto run = [=, &variant](const auto* x, auto* y) {
    return [=, &variant] {
      sparq::parallel_for(tasks, [&](std::size_t task) {
        const std::size_t p0 = s.planes * task / tasks, p1 = s.planes * (task + 1) / tasks;
        sparq::MaxPoolShape part = s;
        part.planes = p1 - p0;
        pool(variant, part, x + p0 * in_plane, y + p0 * out_plane);
      });
    };
  };
  const napi_typedarray_type type = o["x"].IsTypedArray() ? o["x"].As<Napi::TypedArray>().TypedArrayType() : napi_float32_array;
  if (type == napi_uint8_array) return typed_run<uint8_t>(o, x_len, y_len, async, run);
  if (type == napi_int8_array) return typed_run<int8_t>(o, x_len, y_len, async, run);
  return typed_run<float>(o, x_len, y_len, async, run);
}

using NhwcVariant = sparq::MaxPoolNhwcVariant;

void pool_rows(const NhwcVariant& v, const sparq::MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const float* x, float* y) { v.f32(s, r0, r1, x, y); }
void pool_rows(const NhwcVariant& v, const sparq::MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const uint8_t* x, uint8_t* y) { v.u8(s, r0, r1, x, y); }
void pool_rows(const NhwcVariant& v, const sparq::MaxPoolNhwcShape& s, std::size_t r0, std::size_t r1, const int8_t* x, int8_t* y) { v.s8(s, r0, r1, x, y); }

// The shape, lengths and task split of a maxPoolNhwc call, read and checked from its options.
struct NhwcPoolCall {
  sparq::MaxPoolNhwcShape s{};
  std::size_t x_len = 0, y_len = 0, rows = 0, tasks = 0;
};

NhwcPoolCall nhwc_pool_call(const Options& o) {
  const Napi::Env env = o["images"].Env();
  NhwcPoolCall c;
  sparq::MaxPoolNhwcShape& s = c.s;
  s.images = size_arg(o["images"], "images");
  s.channels = size_arg(o["channels"], "channels");
  read_window(o, &s);
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.stride_h == 0 || s.stride_w == 0)
    throw_range_error(env, "kernel and strides must be >= 1");
  if (s.pad_top >= s.kernel_h || s.pad_left >= s.kernel_w) throw_range_error(env, "pads must be smaller than the kernel");
  // Every window must start inside the input, or it would read nothing.
  if ((s.out_h > 0 && checked_mul(env, s.out_h - 1, s.stride_h, "outH") >= s.height + s.pad_top) ||
      (s.out_w > 0 && checked_mul(env, s.out_w - 1, s.stride_w, "outW") >= s.width + s.pad_left))
    throw_range_error(env, "outH/outW place a window outside the input");
  const std::size_t in_row = checked_mul(env, s.width, s.channels, "x");
  const std::size_t out_row = checked_mul(env, s.out_w, s.channels, "y");
  c.x_len = checked_mul(env, checked_mul(env, in_row, s.height, "x"), s.images, "x");
  c.rows = checked_mul(env, s.out_h, s.images, "y");
  c.y_len = checked_mul(env, out_row, c.rows, "y");
  const std::size_t reads = checked_mul(env, checked_mul(env, c.y_len, s.kernel_h, "y"), s.kernel_w, "y");
  c.tasks = c.y_len == 0 ? 0 : std::clamp<std::size_t>(reads / kMinReadsPerTask, 1, c.rows);
  return c;
}

template <typename T>
void run_nhwc_pool(const NhwcVariant& variant, const NhwcPoolCall& c, const T* x, T* y) {
  sparq::parallel_for(c.tasks, [&](std::size_t task) { pool_rows(variant, c.s, c.rows * task / c.tasks, c.rows * (task + 1) / c.tasks, x, y); });
}

// maxPoolNhwc({ variant, x, y, images, height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft,
//               outH, outW, async })
// x is [images][height][width][channels], y [images][outH][outW][channels], both Float32Array, Uint8Array or Int8Array.
Napi::Value MaxPoolNhwc(const Napi::CallbackInfo& info) {
  const Options o(info, {"variant", "x", "y", "images", "height", "width", "channels", "kernelH", "kernelW", "strideH",
                         "strideW", "padTop", "padLeft", "outH", "outW", "async"});
  const NhwcVariant& variant =
      pick_variant(o["variant"], sparq::kMaxPoolNhwcVariants, sparq::kMaxPoolNhwcVariantCount, sparq::maxpool_nhwc_best());
  const NhwcPoolCall c = nhwc_pool_call(o);
  const bool async = bool_arg(o["async"], "async");
  auto run = [c, &variant](const auto* x, auto* y) { return [=, &variant] { run_nhwc_pool(variant, c, x, y); }; };
  const napi_typedarray_type type = o["x"].IsTypedArray() ? o["x"].As<Napi::TypedArray>().TypedArrayType() : napi_float32_array;
  if (type == napi_uint8_array) return typed_run<uint8_t>(o, c.x_len, c.y_len, async, run);
  if (type == napi_int8_array) return typed_run<int8_t>(o, c.x_len, c.y_len, async, run);
  return typed_run<float>(o, c.x_len, c.y_len, async, run);
}

// The plan's kernel on arrays of T.
template <typename T>
std::function<void(const void*, const void*, void*)> nhwc_pool_kernel(const NhwcVariant& variant, const NhwcPoolCall& c) {
  return [&variant, c](const void*, const void* x, void* y) { run_nhwc_pool(variant, c, static_cast<const T*>(x), static_cast<T*>(y)); };
}

// planMaxPoolNhwc({ variant, type, images, height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft,
//                   outH, outW }) -> plan for runPlan(plan, x, y): maxPoolNhwc's call on arrays of `type`
// ('float32', 'uint8' or 'int8'), its options read once.
Napi::Value PlanMaxPoolNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "type", "images", "height", "width", "channels", "kernelH", "kernelW", "strideH",
                         "strideW", "padTop", "padLeft", "outH", "outW"});
  const NhwcVariant& variant =
      pick_variant(o["variant"], sparq::kMaxPoolNhwcVariants, sparq::kMaxPoolNhwcVariantCount, sparq::maxpool_nhwc_best());
  const NhwcPoolCall c = nhwc_pool_call(o);
  const std::string type = string_arg(o["type"], "type");
  PlannedCall plan;
  if (type == "float32") {
    plan.x = {napi_float32_array, c.x_len};
    plan.kernel = nhwc_pool_kernel<float>(variant, c);
  } else if (type == "uint8" || type == "int8") {
    plan.x = {byte_array_type(type == "uint8"), c.x_len};
    plan.kernel = type == "uint8" ? nhwc_pool_kernel<uint8_t>(variant, c) : nhwc_pool_kernel<int8_t>(variant, c);
  } else {
    throw_type_error(env, "type must be 'float32', 'uint8' or 'int8'");
  }
  plan.y = {plan.x.type, c.y_len};
  return wrap_plan(env, std::move(plan), nullptr);
}

// maxPoolGradNhwc({ variant, x, y, dy, dx, images, height, width, channels, positiveOnly, async })
// x and dx are [images][height][width][channels], y and dy [images][height / 2][width / 2][channels], all Float32Array.
Napi::Value MaxPoolGradNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "dy", "dx", "images", "height", "width", "channels", "positiveOnly", "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kMaxPoolGradNhwcVariants, sparq::kMaxPoolGradNhwcVariantCount,
                                     sparq::maxpool_grad_nhwc_best());
  sparq::MaxPoolGradNhwcShape s{};
  s.images = size_arg(o["images"], "images");
  s.height = size_arg(o["height"], "height");
  s.width = size_arg(o["width"], "width");
  s.channels = size_arg(o["channels"], "channels");
  s.out_h = s.height / 2;
  s.out_w = s.width / 2;
  s.positive_only = bool_arg(o["positiveOnly"], "positiveOnly");
  // Only windows write dx: the caller zeroes images without one.
  if (s.images == 0 || s.out_h == 0 || s.out_w == 0 || s.channels == 0) throw_range_error(env, "images and channels must be >= 1, height and width >= 2");
  const std::size_t x_len = checked_mul(env, checked_mul(env, checked_mul(env, s.images, s.height, "x"), s.width, "x"), s.channels, "x");
  const std::size_t rows = s.images * s.out_h, y_len = rows * s.out_w * s.channels;
  auto x = typed_array<float>(o["x"], "x", x_len);
  auto y = typed_array<float>(o["y"], "y", y_len);
  auto dy = typed_array<float>(o["dy"], "dy", y_len);
  auto dx = typed_array<float>(o["dx"], "dx", x_len);
  Job job(env, bool_arg(o["async"], "async"));
  const float *xs = job.in<float>(x), *ys = job.in<float>(y), *dys = job.in<float>(dy);
  float* dxs = job.out<float>(dx);
  const std::size_t tasks = std::clamp<std::size_t>(x_len / kMinReadsPerTask, 1, rows);
  return job.run([&variant, s, rows, tasks, xs, ys, dys, dxs] {
    sparq::parallel_for(tasks, [&](std::size_t task) { variant.f32(s, rows * task / tasks, rows * (task + 1) / tasks, xs, ys, dys, dxs); });
  });
}

}  // namespace

void register_f32_maxpool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("f32MaxpoolVariants", describe_variants(env, sparq::kMaxPool2x2s2Variants, sparq::kMaxPool2x2s2VariantCount));
  exports.Set("maxPoolNhwc", Napi::Function::New(env, MaxPoolNhwc));
  exports.Set("planMaxPoolNhwc", Napi::Function::New(env, PlanMaxPoolNhwc));
  exports.Set("f32MaxpoolNhwcVariants", describe_variants(env, sparq::kMaxPoolNhwcVariants, sparq::kMaxPoolNhwcVariantCount));
  exports.Set("maxPoolGradNhwc", Napi::Function::New(env, MaxPoolGradNhwc));
  exports.Set("f32MaxpoolGradNhwcVariants",
              describe_variants(env, sparq::kMaxPoolGradNhwcVariants, sparq::kMaxPoolGradNhwcVariantCount));
}

}  // namespace sparq_binding
