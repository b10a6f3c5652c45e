// Binding for kernels/qu8s8-gemm: int8 weight packing and the quantized GEMM.
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

#include <string>
#include <utility>

#include "args.h"
#include "handles.h"
#include "job.h"
#include "q-output.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {

const sparq::QGemmVariant* qgemm_variant(const Napi::Value& name, const sparq::QPackedB& w) {
  const sparq::QGemmVariant* variant = &sparq::qu8s8_gemm_best(w);
  if (!name.IsNull() && !name.IsUndefined()) {
    variant = &pick_variant(name, sparq::kQGemmVariants, sparq::kQGemmVariantCount, *variant);
    if (variant->needs_narrow && !w.narrow)
      throw_range_error(name.Env(), std::string("variant ") + variant->name +
                                        " is exact only for weights in [-64, 64] (after the uint8 shift); these are not");
  }
  return variant;
}

namespace {

// packQ8Weights({ b: Uint8Array | Int8Array, k, n, ldb, zeroPoints: same type | null }) -> handle
Napi::Value PackQ8Weights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"b", "k", "n", "ldb", "zeroPoints"});
  const std::size_t k = size_arg(o["k"], "k"), n = size_arg(o["n"], "n"), ldb = size_arg(o["ldb"], "ldb");
  if (ldb < n) throw_range_error(env, "ldb must be >= n");
  // Empty weights are never packed (qgemm gives the output stage of zero sums
  // without them); so the per-column sums and zero points stay proportional to b.
  if (k == 0 || n == 0) throw_range_error(env, "k and n must be >= 1");
  bool b_unsigned = false;
  auto b = byte_array(o["b"], "b", checked_mul(env, k - 1, ldb, "b") + n, &b_unsigned);
  const void* zero_points = nullptr;
  std::size_t zero_point_count = 0;
  if (!o["zeroPoints"].IsNull() && !o["zeroPoints"].IsUndefined()) {
    bool zp_unsigned = false;
    auto zp = byte_array(o["zeroPoints"], "zeroPoints", 1, &zp_unsigned);
    if (zp_unsigned != b_unsigned) throw_type_error(env, "zeroPoints must have the same type as b");
    zero_point_count = zp.ElementLength();
    if (zero_point_count != 1 && zero_point_count != n) throw_range_error(env, "zeroPoints must have 1 or n elements");
    zero_points = array_data<const uint8_t>(zp);
  }
  auto packed = std::make_shared<sparq::QPackedB>();
  const void* b_data = array_data<const uint8_t>(b);
  sparq::qu8s8_gemm_pack_b(k, n, b_data, ldb, b_unsigned, zero_points, zero_point_count, packed.get());
  return wrap_handle(env, std::move(packed));
}

// q8WeightsInfo(handle) -> { k, n, narrow }
Napi::Value Q8WeightsInfo(const Napi::CallbackInfo& info) {
  auto w = unwrap_handle<sparq::QPackedB>(info[0], "weights");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("k", static_cast<double>(w->k));
  o.Set("n", static_cast<double>(w->n));
  o.Set("narrow", w->narrow);
  return o;
}

// qu8s8Gemm({ variant, weights, a: Uint8Array, m, lda, aZeroPoint, output, c, ldc,
//             bias: Int32Array | null, multiplier: Float32Array | null (1 or n),
//             outZeroPoint, outMin, outMax, fmin, fmax, async })
Napi::Value Qu8s8Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "a", "m", "lda", "aZeroPoint", Q_OUTPUT_FIELDS, "async"});
  auto w = unwrap_handle<sparq::QPackedB>(o["weights"], "weights");
  const sparq::QGemmVariant* variant = qgemm_variant(o["variant"], *w);
  const std::size_t m = size_arg(o["m"], "m"), lda = size_arg(o["lda"], "lda");
  if (lda < w->k) throw_range_error(env, "lda must be >= k");
  auto a = typed_array<uint8_t>(o["a"], "a", m == 0 ? 0 : checked_mul(env, m - 1, lda, "a") + w->k);
  Job job(env, bool_arg(o["async"], "async"));
  QOutputArgs out = output_args(o, m, w->n, w->n, job);
  sparq::QGemmParams params = out.params;
  params.a_zero_point = static_cast<uint8_t>(int_arg(o["aZeroPoint"], "aZeroPoint", 0, 255));
  const uint8_t* a_data = job.in<uint8_t>(a);
  void* c_data = out.c_data;
  const std::size_t ldc = out.ldc;
  return job.run([variant, w, m, a_data, lda, c_data, ldc, params] {
    sparq::qu8s8_gemm(*variant, m, a_data, lda, *w, c_data, ldc, params);
  });
}

// planQu8s8Gemm({ variant, weights, m, lda, aZeroPoint, output, ldc, bias, multiplier, outZeroPoint, outMin, outMax, fmin, fmax })
// -> plan for runPlan(plan, a: Uint8Array, c: the output's array): qu8s8Gemm's call on the arrays given to each run.
Napi::Value PlanQu8s8Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "m", "lda", "aZeroPoint", "output", "ldc", "bias", "multiplier", "outZeroPoint", "outMin",
                         "outMax", "fmin", "fmax"});
  std::shared_ptr<const sparq::QPackedB> w = unwrap_handle<sparq::QPackedB>(o["weights"], "weights");
  const sparq::QGemmVariant* variant = qgemm_variant(o["variant"], *w);
  const std::size_t m = size_arg(o["m"], "m"), lda = size_arg(o["lda"], "lda");
  if (lda < w->k) throw_range_error(env, "lda must be >= k");
  PlannedOutput out = planned_output(o, m, w->n, w->n);
  out.args.params.a_zero_point = static_cast<uint8_t>(int_arg(o["aZeroPoint"], "aZeroPoint", 0, 255));
  PlannedCall plan;
  plan.x = {napi_uint8_array, m == 0 ? 0 : checked_mul(env, m - 1, lda, "a") + w->k};
  plan.y = out.c;
  plan.kernel = [variant, m, lda, out = std::move(out)](const void* weights, const void* a, void* c) {
    sparq::qu8s8_gemm(*variant, m, static_cast<const uint8_t*>(a), lda, *static_cast<const sparq::QPackedB*>(weights), c, out.args.ldc,
                      out.params());
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

}  // namespace

void register_qu8s8_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("packQ8Weights", Napi::Function::New(env, PackQ8Weights));
  exports.Set("q8WeightsInfo", Napi::Function::New(env, Q8WeightsInfo));
  exports.Set("qu8s8Gemm", Napi::Function::New(env, Qu8s8Gemm));
  exports.Set("planQu8s8Gemm", Napi::Function::New(env, PlanQu8s8Gemm));
  Napi::Array variants = describe_variants(env, sparq::kQGemmVariants, sparq::kQGemmVariantCount);
  for (std::size_t i = 0; i < sparq::kQGemmVariantCount; ++i)
    variants.Get(static_cast<uint32_t>(i)).As<Napi::Object>().Set("needsNarrow", sparq::kQGemmVariants[i].needs_narrow);
  exports.Set("qu8s8GemmVariants", variants);
}

}  // namespace sparq_binding
