// Binding for kernels/qx8-f32-dequantize: uint8/int8 to float32, per tensor
// or per axis (rows.h: the [outer, channels, inner] view).
#include "kernels/qx8-f32-dequantize/qx8-f32-dequantize.h"

#include "args.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// dequantize({ variant, x: Uint8Array | Int8Array, y: Float32Array, outer, channels, inner, scales, zeroPoints, async })
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  const Options o(info, {SCALED_FIELDS});
  const auto& v =
      pick_variant(o["variant"], sparq::kDequantizeVariants, sparq::kDequantizeVariantCount, sparq::dequantize_best());
  const Layout l = layout_args(o);
  bool x_unsigned = false;
  auto x = byte_array(o["x"], "x", l.total, &x_unsigned);
  auto y = typed_array<float>(o["y"], "y", l.total);
  return run_per_channel<uint8_t, float>(o, l, x, y, x_unsigned ? v.from_uint8 : v.from_int8);
}

// planDequantize({ variant, outer, channels, inner, scales, zeroPoints, xType: 'uint8' | 'int8' }) -> plan
// for runPlan(plan, x: Uint8Array | Int8Array, y: Float32Array).
Napi::Value PlanDequantize(const Napi::CallbackInfo& info) {
  const Options o(info, {PLANNED_SCALED_FIELDS, "xType"});
  const auto& v =
      pick_variant(o["variant"], sparq::kDequantizeVariants, sparq::kDequantizeVariantCount, sparq::dequantize_best());
  const Layout l = layout_args(o);
  const bool x_unsigned = unsigned_byte_type(o["xType"], "xType");
  return wrap_plan(info.Env(),
                   plan_per_channel<uint8_t, float>(o, l, {byte_array_type(x_unsigned), l.total}, {napi_float32_array, l.total},
                                                    x_unsigned ? v.from_uint8 : v.from_int8),
                   nullptr);
}

}  // namespace

void register_qx8_f32_dequantize(Napi::Env env, Napi::Object exports) {
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("planDequantize", Napi::Function::New(env, PlanDequantize));
  exports.Set("qx8F32DequantizeVariants",
              describe_variants(env, sparq::kDequantizeVariants, sparq::kDequantizeVariantCount));
}

}  // namespace sparq_binding
