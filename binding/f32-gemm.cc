// Binding for kernels/f32-gemm: weight packing and the GEMM call.
#include "kernels/f32-gemm/f32-gemm.h"

#include <utility>
#include <vector>

#include "args.h"
#include "f32-packed-b.h"
#include "handles.h"
#include "job.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {

namespace {

// packF32Weights({ b: Float32Array, k, n, ldb }) -> handle
Napi::Value PackF32Weights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"b", "k", "n", "ldb"});
  const std::size_t k = size_arg(o["k"], "k"), n = size_arg(o["n"], "n"), ldb = size_arg(o["ldb"], "ldb");
  if (ldb < n) throw_range_error(env, "ldb must be >= n");
  // Empty weights are never packed (gemm gives zeros or the bias without them).
  if (k == 0 || n == 0) throw_range_error(env, "k and n must be >= 1");
  const std::size_t needed = checked_mul(env, k - 1, ldb, "b") + n;
  auto b = typed_array<float>(o["b"], "b", needed);
  auto packed = std::make_shared<sparq::F32PackedB>();
  sparq::f32_gemm_pack_b(k, n, b.Data(), ldb, packed.get());
  return wrap_handle(env, std::move(packed));
}

// f32Gemm({ variant, weights, a, m, lda, c, ldc, bias | null, min, max, async })
Napi::Value F32Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "a", "m", "lda", "c", "ldc", "bias", "min", "max", "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32GemmVariants, sparq::kF32GemmVariantCount, sparq::f32_gemm_best());
  std::shared_ptr<const sparq::F32PackedB> w = unwrap_handle<sparq::F32PackedB>(o["weights"], "weights");
  const std::size_t m = size_arg(o["m"], "m"), lda = size_arg(o["lda"], "lda"), ldc = size_arg(o["ldc"], "ldc");
  if (lda < w->k) throw_range_error(env, "lda must be >= k");
  if (ldc < w->n) throw_range_error(env, "ldc must be >= n");
  auto a = typed_array<float>(o["a"], "a", m == 0 ? 0 : checked_mul(env, m - 1, lda, "a") + w->k);
  auto c = typed_array<float>(o["c"], "c", m == 0 ? 0 : checked_mul(env, m - 1, ldc, "c") + w->n);
  Napi::TypedArrayOf<float> bias;
  optional_typed_array<float>(o["bias"], "bias", w->n, &bias);
  Job job(env, bool_arg(o["async"], "async"));
  sparq::F32GemmParams params;
  params.bias = job.in<float>(o["bias"]);
  params.min = static_cast<float>(number_arg(o["min"], "min"));
  params.max = static_cast<float>(number_arg(o["max"], "max"));
  const float* a_data = job.in<float>(a);
  float* c_data = job.out<float>(c);
  return job.run([&variant, w, m, a_data, lda, c_data, ldc, params] {
    sparq::f32_gemm(variant, m, a_data, lda, *w, c_data, ldc, params);
  });
}

// planF32Gemm({ variant, weights, m, lda, ldc, bias | null, min, max }) -> plan
// for runPlan(plan, a: Float32Array, c: Float32Array): f32Gemm's call on the arrays given to each run.
Napi::Value PlanF32Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "m", "lda", "ldc", "bias", "min", "max"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32GemmVariants, sparq::kF32GemmVariantCount, sparq::f32_gemm_best());
  std::shared_ptr<const sparq::F32PackedB> w = unwrap_handle<sparq::F32PackedB>(o["weights"], "weights");
  const std::size_t m = size_arg(o["m"], "m"), lda = size_arg(o["lda"], "lda"), ldc = size_arg(o["ldc"], "ldc");
  if (lda < w->k) throw_range_error(env, "lda must be >= k");
  if (ldc < w->n) throw_range_error(env, "ldc must be >= n");
  Napi::TypedArrayOf<float> bias;
  std::vector<float> bias_copy;
  if (optional_typed_array<float>(o["bias"], "bias", w->n, &bias)) bias_copy.assign(bias.Data(), bias.Data() + w->n);
  sparq::F32GemmParams params;
  params.min = static_cast<float>(number_arg(o["min"], "min"));
  params.max = static_cast<float>(number_arg(o["max"], "max"));
  PlannedCall plan;
  plan.x = {napi_float32_array, m == 0 ? 0 : checked_mul(env, m - 1, lda, "a") + w->k};
  plan.y = {napi_float32_array, m == 0 ? 0 : checked_mul(env, m - 1, ldc, "c") + w->n};
  plan.kernel = [&variant, m, lda, ldc, params, bias = std::move(bias_copy)](const void* weights, const void* a, void* c) {
    sparq::F32GemmParams p = params;
    p.bias = bias.empty() ? nullptr : bias.data();
    sparq::f32_gemm(variant, m, static_cast<const float*>(a), lda, *static_cast<const sparq::F32PackedB*>(weights), static_cast<float*>(c), ldc, p);
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

}  // namespace

void register_f32_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("packF32Weights", Napi::Function::New(env, PackF32Weights));
  exports.Set("f32Gemm", Napi::Function::New(env, F32Gemm));
  exports.Set("planF32Gemm", Napi::Function::New(env, PlanF32Gemm));
  exports.Set("f32GemmVariants", describe_variants(env, sparq::kF32GemmVariants, sparq::kF32GemmVariantCount));
}

}  // namespace sparq_binding
