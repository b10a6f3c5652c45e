#include "plan.h"

#include <string>
#include <utility>

#include "args.h"
#include "register.h"

namespace sparq_binding {
namespace {

const char* array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return "Float32Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_int8_array: return "Int8Array";
    default: return "typed array";
  }
}

// The data of `v`, a typed array of `spec`'s type with at least its length (one N-API call).
void* plan_array(const Napi::Value& v, const char* name, const PlanArray& spec) {
  const Napi::Env env = v.Env();
  if (!v.IsTypedArray()) throw_type_error(env, std::string(name) + " must be a " + array_name(spec.type));
  napi_typedarray_type type;
  std::size_t length = 0;
  void* data = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr), nullptr);
  if (type != spec.type) throw_type_error(env, std::string(name) + " must be a " + array_name(spec.type));
  if (length < spec.length)
    throw_range_error(env, std::string(name) + " has " + std::to_string(length) + " elements, the plan needs " + std::to_string(spec.length));
  return data;
}

// runPlan(plan, x, y[, b]): the planned kernel on x (and b, for a plan of two inputs) into y, on the calling thread.
Napi::Value RunPlan(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::shared_ptr<const PlannedCall> plan = unwrap_handle<PlannedCall>(info[0], "plan");
  std::shared_ptr<const void> weights = plan->weights.lock();
  if (plan->has_weights && !weights) throw_type_error(env, "the plan's weights were disposed");
  const void* x = plan_array(info[1], "x", plan->x);
  void* y = plan_array(info[2], "y", plan->y);
  if (plan->has_b) plan->binary(x, plan_array(info[3], "b", plan->b), y);
  else plan->kernel(weights.get(), x, y);
  return env.Undefined();
}

}  // namespace

Napi::Value wrap_plan(Napi::Env env, PlannedCall&& plan, std::shared_ptr<const void> weights) {
  plan.has_weights = weights != nullptr;
  plan.weights = weights;
  return wrap_handle(env, std::make_shared<PlannedCall>(std::move(plan)));
}

void register_plan(Napi::Env env, Napi::Object exports) { exports.Set("runPlan", Napi::Function::New(env, RunPlan)); }

}  // namespace sparq_binding
