// Binding for kernels/f32-minmax: the per-channel minimum and maximum of a
// float32 tensor, for calibration (rows.h: the [outer, channels, inner] view).
#include <algorithm>
#include <cmath>
#include <vector>

#include "args.h"
#include "job.h"
#include "kernels/f32-minmax/f32-minmax.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// minmax({ variant, x: Float32Array, outer, channels, inner, min: Float32Array(channels), max: Float32Array(channels), async })
Napi::Value Minmax(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", LAYOUT_FIELDS, "min", "max", "async"});
  const auto& v = pick_variant(o["variant"], sparq::kMinmaxVariants, sparq::kMinmaxVariantCount, sparq::minmax_best());
  const Layout l = layout_args(o);
  auto x = typed_array<float>(o["x"], "x", l.total);
  auto mins = typed_array<float>(o["min"], "min", l.channels);
  auto maxs = typed_array<float>(o["max"], "max", l.channels);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  float* lo = job.out<float>(mins);
  float* hi = job.out<float>(maxs);
  return job.run([=] {
    // Each task reduces its own segments; results merge per channel after.
    const std::size_t tasks = (l.total + kRowChunk - 1) / kRowChunk;
    std::vector<float> part_min(std::max<std::size_t>(tasks, 1) * l.channels, INFINITY);
    std::vector<float> part_max(part_min.size(), -INFINITY);
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      float mn, mx;
      v.fn(count, xs + off, &mn, &mx);
      const std::size_t slot = off / kRowChunk * l.channels + c;
      part_min[slot] = std::min(part_min[slot], mn);
      part_max[slot] = std::max(part_max[slot], mx);
    });
    for (std::size_t c = 0; c < l.channels; ++c) {
      float mn = INFINITY, mx = -INFINITY;
      for (std::size_t t = 0; t < std::max<std::size_t>(tasks, 1); ++t) {
        mn = std::min(mn, part_min[t * l.channels + c]);
        mx = std::max(mx, part_max[t * l.channels + c]);
      }
      lo[c] = mn;
      hi[c] = mx;
    }
  });
}

}  // namespace

void register_f32_minmax(Napi::Env env, Napi::Object exports) {
  exports.Set("minmax", Napi::Function::New(env, Minmax));
  exports.Set("f32MinmaxVariants", describe_variants(env, sparq::kMinmaxVariants, sparq::kMinmaxVariantCount));
}

}  // namespace sparq_binding
