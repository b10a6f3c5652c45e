// Binding for kernels/qu8s8-spmm: sparse int8 weight packing and the
// quantized sparse x dense product.
#include "kernels/qu8s8-spmm/qu8s8-spmm.h"

#include <string>
#include <utility>

#include "args.h"
#include "handles.h"
#include "job.h"
#include "q-output.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {

template <>
struct HandleTag<sparq::QSparseW> {
  static constexpr napi_type_tag tag = {0x73706172710f3203ULL, 0x9c41d2e87a05b613ULL};
  static constexpr const char* maker = "packQ8Sparse";
  static std::size_t bytes(const sparq::QSparseW& w) {
    return vector_bytes(w.indptr) + vector_bytes(w.pair_safe_end) + vector_bytes(w.group) + vector_bytes(w.word) +
           vector_bytes(w.row_sums) + vector_bytes(w.block_ptr) + vector_bytes(w.block_group) + vector_bytes(w.block_word);
  }
};

namespace {

// packQ8Sparse({ rows, k, indptr: Int32Array [rows + 1], groups: Int32Array, words: Int32Array }) -> handle
// Row n's entries are [indptr[n], indptr[n + 1]): group g = k / 4 and the
// 4 int8 weights of W[n, 4g..4g+3] as one little-endian word. Checked here in
// O(entries), once: the kernels index the repacked X with the groups.
Napi::Value PackQ8Sparse(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"rows", "k", "indptr", "groups", "words"});
  const std::size_t rows = size_arg(o["rows"], "rows"), k = size_arg(o["k"], "k");
  if (rows > 0x7fffffff || k > 0x7fffffff) throw_range_error(env, "rows and k must be < 2^31");
  std::size_t entries = 0;
  auto indptr = row_pointers(o["indptr"], "indptr", rows, &entries);
  auto groups = typed_array<int32_t>(o["groups"], "groups", entries);
  auto words = typed_array<int32_t>(o["words"], "words", entries);
  check_indices(env, groups.Data(), entries, (k + sparq::kQSpmmKr - 1) / sparq::kQSpmmKr, "groups must lie in [0, ceil(k / 4))");
  // The last group's weights past k must be 0: the channels-last kernels
  // meet them with the bytes after each pixel's k channels, not with zeros.
  if (k % sparq::kQSpmmKr != 0) {
    const uint32_t past_k = ~0u << (8 * (k % sparq::kQSpmmKr));
    for (std::size_t e = 0; e < entries; ++e)
      if (static_cast<std::size_t>(groups[e]) == k / sparq::kQSpmmKr && (static_cast<uint32_t>(words[e]) & past_k) != 0)
        throw_range_error(env, "words must hold 0 for the weights past k");
  }
  auto packed = std::make_shared<sparq::QSparseW>();
  sparq::qu8s8_spmm_pack(rows, k, indptr.Data(), groups.Data(), words.Data(), packed.get());
  return wrap_handle(env, std::move(packed));
}

// qu8s8Spmm({ variant, weights, x: Uint8Array [k, m], m, ldx, aZeroPoint, output, c [rows, m], ldc,
//             bias: Int32Array | null, multiplier: Float32Array | null (1 or rows),
//             outZeroPoint, outMin, outMax, fmin, fmax, async })
Napi::Value Qu8s8Spmm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "x", "m", "ldx", "aZeroPoint", Q_OUTPUT_FIELDS, "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kQSpmmVariants, sparq::kQSpmmVariantCount, sparq::qu8s8_spmm_best());
  auto w = unwrap_handle<sparq::QSparseW>(o["weights"], "weights");
  const std::size_t m = size_arg(o["m"], "m"), ldx = size_arg(o["ldx"], "ldx");
  if (ldx < m) throw_range_error(env, "ldx must be >= m");
  auto x = typed_array<uint8_t>(o["x"], "x", w->k == 0 || m == 0 ? 0 : checked_mul(env, w->k - 1, ldx, "x") + m);
  Job job(env, bool_arg(o["async"], "async"));
  QOutputArgs out = output_args(o, w->rows, m, w->rows, job);
  sparq::QGemmParams params = out.params;
  params.a_zero_point = static_cast<uint8_t>(int_arg(o["aZeroPoint"], "aZeroPoint", 0, 255));
  const uint8_t* x_data = job.in<uint8_t>(x);
  void* c_data = out.c_data;
  const std::size_t ldc = out.ldc;
  return job.run([&variant, w, m, x_data, ldx, c_data, ldc, params] {
    sparq::qu8s8_spmm(variant, *w, m, x_data, ldx, c_data, ldc, params);
  });
}

// planQu8s8Spmm({ variant, weights, m, ldx, aZeroPoint, output, ldc, bias, multiplier, outZeroPoint, outMin, outMax, fmin, fmax })
// -> plan for runPlan(plan, x: Uint8Array [k, m], c: the output's array [rows, m]): qu8s8Spmm's call on the arrays given to each run.
Napi::Value PlanQu8s8Spmm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "m", "ldx", "aZeroPoint", "output", "ldc", "bias", "multiplier", "outZeroPoint", "outMin",
                         "outMax", "fmin", "fmax"});
  const auto& variant = pick_variant(o["variant"], sparq::kQSpmmVariants, sparq::kQSpmmVariantCount, sparq::qu8s8_spmm_best());
  std::shared_ptr<const sparq::QSparseW> w = unwrap_handle<sparq::QSparseW>(o["weights"], "weights");
  const std::size_t m = size_arg(o["m"], "m"), ldx = size_arg(o["ldx"], "ldx");
  if (ldx < m) throw_range_error(env, "ldx must be >= m");
  PlannedOutput out = planned_output(o, w->rows, m, w->rows);
  out.args.params.a_zero_point = static_cast<uint8_t>(int_arg(o["aZeroPoint"], "aZeroPoint", 0, 255));
  PlannedCall plan;
  plan.x = {napi_uint8_array, w->k == 0 || m == 0 ? 0 : checked_mul(env, w->k - 1, ldx, "x") + m};
  plan.y = out.c;
  plan.kernel = [&variant, m, ldx, out = std::move(out)](const void* weights, const void* x, void* c) {
    sparq::qu8s8_spmm(variant, *static_cast<const sparq::QSparseW*>(weights), m, static_cast<const uint8_t*>(x), ldx, c, out.args.ldc,
                      out.params());
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

// planQu8s8SpmmNhwc({ variant, weights, pixels, ldx, aZeroPoint, output, ldc, bias, multiplier, outZeroPoint, outMin, outMax, fmin, fmax })
// -> plan for runPlan(plan, x: Uint8Array [pixels, k] (row stride ldx), c: the output's array [pixels, rows] (row stride ldc)):
// the same product on channels-last activations, bias and multipliers per output channel (c's columns).
Napi::Value PlanQu8s8SpmmNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "weights", "pixels", "ldx", "aZeroPoint", "output", "ldc", "bias", "multiplier", "outZeroPoint", "outMin",
                         "outMax", "fmin", "fmax"});
  const auto& variant = pick_variant(o["variant"], sparq::kQSpmmVariants, sparq::kQSpmmVariantCount, sparq::qu8s8_spmm_best());
  std::shared_ptr<const sparq::QSparseW> w = unwrap_handle<sparq::QSparseW>(o["weights"], "weights");
  const std::size_t pixels = size_arg(o["pixels"], "pixels"), ldx = size_arg(o["ldx"], "ldx");
  if (ldx < w->k) throw_range_error(env, "ldx must be >= k");
  PlannedOutput out = planned_output(o, pixels, w->rows, w->rows);
  out.args.params.a_zero_point = static_cast<uint8_t>(int_arg(o["aZeroPoint"], "aZeroPoint", 0, 255));
  PlannedCall plan;
  plan.x = {napi_uint8_array, pixels == 0 ? 0 : checked_mul(env, pixels - 1, ldx, "x") + w->k};
  plan.y = out.c;
  plan.kernel = [&variant, pixels, ldx, out = std::move(out)](const void* weights, const void* x, void* c) {
    sparq::qu8s8_spmm_nhwc(variant, *static_cast<const sparq::QSparseW*>(weights), pixels, static_cast<const uint8_t*>(x), ldx, c,
                           out.args.ldc, out.params());
  };
  return wrap_plan(env, std::move(plan), std::move(w));
}

}  // namespace

void register_qu8s8_spmm(Napi::Env env, Napi::Object exports) {
  exports.Set("packQ8Sparse", Napi::Function::New(env, PackQ8Sparse));
  exports.Set("qu8s8Spmm", Napi::Function::New(env, Qu8s8Spmm));
  exports.Set("planQu8s8Spmm", Napi::Function::New(env, PlanQu8s8Spmm));
  exports.Set("planQu8s8SpmmNhwc", Napi::Function::New(env, PlanQu8s8SpmmNhwc));
  exports.Set("qu8s8SpmmVariants", describe_variants(env, sparq::kQSpmmVariants, sparq::kQSpmmVariantCount));
}

}  // namespace sparq_binding
