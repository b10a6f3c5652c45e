// Binding for kernels/f32-maxpool: 2-D max pooling of NCHW planes (float32,
// uint8 or int8), split across the thread pool by planes.
#include "kernels/f32-maxpool/f32-maxpool.h"

#include <algorithm>

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// Below this many window reads per call the pool's wake-up costs more than it saves.
constexpr std::size_t kMinReadsPerTask = 1 << 16;

void pool(const sparq::MaxPoolShape& s, const float* x, float* y) { sparq::f32_maxpool(s, x, y); }
void pool(const sparq::MaxPoolShape& s, const uint8_t* x, uint8_t* y) { sparq::u8_maxpool(s, x, y); }
void pool(const sparq::MaxPoolShape& s, const int8_t* x, int8_t* y) { sparq::s8_maxpool(s, x, y); }

// x and y as typed arrays of T, then run(x, y) as a job.
template <typename T, typename Run>
Napi::Value typed_run(const Napi::CallbackInfo& info, std::size_t x_len, std::size_t y_len, bool async, const Run& run) {
  auto x = typed_array<T>(info[0], "x", x_len);
  auto y = typed_array<T>(info[1], "y", y_len);
  Job job(info.Env(), async);
  const T* xs = job.in<T>(x);
  return job.run(run(xs, job.out<T>(y)));
}

// maxPool(x, y, planes, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, async)
// x is [planes][height][width], y [planes][outH][outW], both Float32Array, Uint8Array or Int8Array.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  sparq::MaxPoolShape s{};
  s.planes = size_arg(info[2], "planes");
  s.height = size_arg(info[3], "height");
  s.width = size_arg(info[4], "width");
  s.kernel_h = size_arg(info[5], "kernelH");
  s.kernel_w = size_arg(info[6], "kernelW");
  s.stride_h = size_arg(info[7], "strideH");
  s.stride_w = size_arg(info[8], "strideW");
  s.pad_top = size_arg(info[9], "padTop");
  s.pad_left = size_arg(info[10], "padLeft");
  s.out_h = size_arg(info[11], "outH");
  s.out_w = size_arg(info[12], "outW");
  const bool async = bool_arg(info[13], "async");
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
  auto run = [=](const auto* x, auto* y) {
    return [=] {
      sparq::parallel_for(tasks, [&](std::size_t task) {
        const std::size_t p0 = s.planes * task / tasks, p1 = s.planes * (task + 1) / tasks;
        sparq::MaxPoolShape part = s;
        part.planes = p1 - p0;
        pool(part, x + p0 * in_plane, y + p0 * out_plane);
      });
    };
  };
  const napi_typedarray_type type = info[0].IsTypedArray() ? info[0].As<Napi::TypedArray>().TypedArrayType() : napi_float32_array;
  if (type == napi_uint8_array) return typed_run<uint8_t>(info, x_len, y_len, async, run);
  if (type == napi_int8_array) return typed_run<int8_t>(info, x_len, y_len, async, run);
  return typed_run<float>(info, x_len, y_len, async, run);
}

}  // namespace

void register_maxpool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  // The 2x2 stride-2 kernels f32/s32 max pooling runs on such shapes (the
  // best the ISA limit allows), for tests that cap the ISA to reach each one.
  exports.Set("maxPoolVariants", describe_variants(env, sparq::kMaxPool2x2s2Variants, sparq::kMaxPool2x2s2VariantCount));
}

}  // namespace sparq_binding
