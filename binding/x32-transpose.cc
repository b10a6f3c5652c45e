// Binding for kernels/x32-transpose: 2-D transpose of 4-byte or 1-byte elements.
#include "kernels/x32-transpose/x32-transpose.h"

#include <string>
#include <utility>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// transpose({ variant, src, dst, rows, cols, async }): dst [cols, rows] = src [rows, cols]^T.
// src and dst must be typed arrays of the same kind with 4- or 1-byte elements.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "src", "dst", "rows", "cols", "async"});
  const auto& variant =
      pick_variant(o["variant"], sparq::kTransposeVariants, sparq::kTransposeVariantCount, sparq::transpose_best());
  const std::size_t rows = size_arg(o["rows"], "rows"), cols = size_arg(o["cols"], "cols");
  const std::size_t size = checked_mul(env, rows, cols, "src");
  if (!o["src"].IsTypedArray() || !o["dst"].IsTypedArray()) throw_type_error(env, "src and dst must be typed arrays");
  const auto src = o["src"].As<Napi::TypedArray>(), dst = o["dst"].As<Napi::TypedArray>();
  if (src.TypedArrayType() != dst.TypedArrayType()) throw_type_error(env, "dst must be the same kind of typed array as src");
  const std::size_t bytes = src.ElementSize();
  if (bytes != 4 && bytes != 1) throw_type_error(env, "src must hold 4-byte or 1-byte elements");
  if (src.ElementLength() < size || dst.ElementLength() < size) throw_range_error(env, "src and dst need rows * cols elements");
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* s = job.in<uint8_t>(src);
  uint8_t* d = job.out<uint8_t>(dst);
  return job.run([=, &variant] {
    if (bytes == 4)
      variant.x32(rows, cols, reinterpret_cast<const uint32_t*>(s), cols, reinterpret_cast<uint32_t*>(d), rows);
    else
      variant.x8(rows, cols, s, cols, d, rows);
  });
}

// planTranspose({ variant, type, rows, cols, batches }) -> plan for runPlan(plan, x, y): y's `batches`
// [cols, rows] matrices, one after another, from x's [rows, cols] ones, on arrays of `type` ('float32', 'int32',
// 'uint8' or 'int8'), the options read once: the runtime's NCHW <-> NHWC Transpose nodes.
Napi::Value PlanTranspose(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "type", "rows", "cols", "batches"});
  const auto& variant =
      pick_variant(o["variant"], sparq::kTransposeVariants, sparq::kTransposeVariantCount, sparq::transpose_best());
  const std::size_t rows = size_arg(o["rows"], "rows"), cols = size_arg(o["cols"], "cols");
  const std::size_t batches = size_arg(o["batches"], "batches");
  const std::size_t plane = checked_mul(env, rows, cols, "x");
  const std::size_t size = checked_mul(env, plane, batches, "x");
  const std::string type = string_arg(o["type"], "type");
  napi_typedarray_type array;
  if (type == "float32") array = napi_float32_array;
  else if (type == "int32") array = napi_int32_array;
  else if (type == "uint8" || type == "int8") array = byte_array_type(type == "uint8");
  else throw_type_error(env, "type must be 'float32', 'int32', 'uint8' or 'int8'");
  PlannedCall plan;
  plan.x = {array, size};
  plan.y = {array, size};
  const bool wide = array == napi_float32_array || array == napi_int32_array;
  plan.kernel = [&variant, rows, cols, batches, plane, wide](const void*, const void* x, void* y) {
    for (std::size_t b = 0; b < batches; ++b) {
      if (wide)
        variant.x32(rows, cols, static_cast<const uint32_t*>(x) + b * plane, cols, static_cast<uint32_t*>(y) + b * plane, rows);
      else
        variant.x8(rows, cols, static_cast<const uint8_t*>(x) + b * plane, cols, static_cast<uint8_t*>(y) + b * plane, rows);
    }
  };
  return wrap_plan(env, std::move(plan), nullptr);
}

}  // namespace

void register_x32_transpose(Napi::Env env, Napi::Object exports) {
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("planTranspose", Napi::Function::New(env, PlanTranspose));
  exports.Set("x32TransposeVariants", describe_variants(env, sparq::kTransposeVariants, sparq::kTransposeVariantCount));
}

}  // namespace sparq_binding
