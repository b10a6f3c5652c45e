// Binding for kernels/f32-qx8-quantize: float32 to uint8/int8, per tensor or
// per axis (rows.h: the [outer, channels, inner] view).
#include "kernels/f32-qx8-quantize/f32-qx8-quantize.h"

#include <utility>
#include <vector>

#include "args.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// quantize({ variant, x: Float32Array, y: Uint8Array | Int8Array, outer, channels, inner, scales, zeroPoints, async })
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  const Options o(info, {SCALED_FIELDS});
  const auto& v = pick_variant(o["variant"], sparq::kQuantizeVariants, sparq::kQuantizeVariantCount, sparq::quantize_best());
  const Layout l = layout_args(o);
  auto x = typed_array<float>(o["x"], "x", l.total);
  bool y_unsigned = false;
  auto y = byte_array(o["y"], "y", l.total, &y_unsigned);
  check_byte_zero_points(per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels), y_unsigned);
  return run_per_channel<float, uint8_t>(o, l, x, y, y_unsigned ? v.to_uint8 : v.to_int8);
}

// planQuantize({ variant, outer, channels, inner, scales, zeroPoints, yType: 'uint8' | 'int8', channelsLast })
// -> plan for runPlan(plan, x: Float32Array, y: Uint8Array | Int8Array). channelsLast: y is
// [outer, inner, channels] (x [outer, channels, inner] quantized and transposed in one pass).
Napi::Value PlanQuantize(const Napi::CallbackInfo& info) {
  const Options o(info, {PLANNED_SCALED_FIELDS, "yType", "channelsLast"});
  const auto& v = pick_variant(o["variant"], sparq::kQuantizeVariants, sparq::kQuantizeVariantCount, sparq::quantize_best());
  const Layout l = layout_args(o);
  const bool y_unsigned = unsigned_byte_type(o["yType"], "yType");
  const bool channels_last = bool_arg(o["channelsLast"], "channelsLast");
  check_byte_zero_points(per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels), y_unsigned);
  const sparq::QuantizeFn row = y_unsigned ? v.to_uint8 : v.to_int8;
  const PlanArray x{napi_float32_array, l.total}, y{byte_array_type(y_unsigned), l.total};
  if (!channels_last) return wrap_plan(info.Env(), plan_per_channel<float, uint8_t>(o, l, x, y, row), nullptr);
  auto scales = per_channel<float>(o["scales"], "scales", l.channels);
  auto zps = per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels);
  std::vector<float> s(scales.Data(), scales.Data() + scales.ElementLength());
  std::vector<int32_t> z(zps.Data(), zps.Data() + zps.ElementLength());
  PlannedCall plan;
  plan.x = x;
  plan.y = y;
  plan.kernel = [l, s = std::move(s), z = std::move(z), row](const void*, const void* xv, void* yv) {
    sparq::quantize_channels_last(row, l.outer, l.channels, l.inner, static_cast<const float*>(xv), s.data(), s.size(),
                                  z.data(), z.size(), yv);
  };
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

}  // namespace

void register_f32_qx8_quantize(Napi::Env env, Napi::Object exports) {
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("planQuantize", Napi::Function::New(env, PlanQuantize));
  exports.Set("f32Qx8QuantizeVariants", describe_variants(env, sparq::kQuantizeVariants, sparq::kQuantizeVariantCount));
}

}  // namespace sparq_binding
