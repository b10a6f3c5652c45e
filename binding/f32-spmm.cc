// Binding for kernels/f32-spmm: sparse weights (csr, bsr [R, 1], N:M) x dense
// activations. Every sparse structure is re-checked here in O(nnz) (the
// kernels index x and y with it), never trusted.
#include "kernels/f32-spmm/f32-spmm.h"

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// The dense operands and epilogue, fields of both functions:
// x, k, m, ldx, y, ldy, bias | null, min, max.
#define DENSE_FIELDS "x", "k", "m", "ldx", "y", "ldy", "bias", "min", "max"

struct DenseArgs {
  Napi::TypedArrayOf<float> x, y;
  std::size_t k = 0, m = 0, ldx = 0, ldy = 0;
  sparq::F32SpmmParams params;
};

DenseArgs dense_args(const Options& o, std::size_t rows) {
  const Napi::Env env = o["x"].Env();
  DenseArgs d;
  d.k = size_arg(o["k"], "k");
  d.m = size_arg(o["m"], "m");
  d.ldx = size_arg(o["ldx"], "ldx");
  d.ldy = size_arg(o["ldy"], "ldy");
  if (d.ldx < d.m || d.ldy < d.m) throw_range_error(env, "ldx and ldy must be >= m");
  d.x = typed_array<float>(o["x"], "x", d.k == 0 || d.m == 0 ? 0 : checked_mul(env, d.k - 1, d.ldx, "x") + d.m);
  d.y = typed_array<float>(o["y"], "y", rows == 0 || d.m == 0 ? 0 : checked_mul(env, rows - 1, d.ldy, "y") + d.m);
  Napi::TypedArrayOf<float> bias;
  optional_typed_array<float>(o["bias"], "bias", rows, &bias);
  d.params.min = static_cast<float>(number_arg(o["min"], "min"));
  d.params.max = static_cast<float>(number_arg(o["max"], "max"));
  return d;
}

// Runs the product as `job`, which holds plain pointers and sizes only (it may run on a worker).
Napi::Value run(Job& job, const sparq::F32SpmmVariant& variant, sparq::F32SpmmFormat format,
                const sparq::F32SparseWeights& w, const DenseArgs& d, const Napi::Value& bias) {
  const float* x = job.in<float>(d.x);
  float* y = job.out<float>(d.y);
  sparq::F32SpmmParams params = d.params;
  params.bias = job.in<float>(bias);
  return job.run([&variant, format, w, m = d.m, x, ldx = d.ldx, y, ldy = d.ldy, params] {
    sparq::f32_spmm(variant, format, w, m, x, ldx, y, ldy, params);
  });
}

// The csr/bsr format with `block_rows` rows per block.
sparq::F32SpmmFormat indexed_format(Napi::Env env, std::size_t block_rows) {
  std::string known;
  for (sparq::F32SpmmFormat f : sparq::kF32SpmmIndexedFormats) {
    if (sparq::f32_spmm_block_rows(f) == block_rows) return f;
    known += (known.empty() ? "" : ", ") + std::to_string(sparq::f32_spmm_block_rows(f));
  }
  throw_range_error(env, "blockRows must be one of " + known);
}

// f32Spmm({ variant, rows, blockRows, indptr, indices, values, x, k, m, ldx, y, ldy, bias | null, min, max, async })
// y[rows, m] = clamp(W * x[k, m] + bias, min, max), W in csr (blockRows 1) or
// bsr with [blockRows, 1] blocks: indptr over block rows, indices the column
// of each block, values blockRows per block.
Napi::Value F32Spmm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "rows", "blockRows", "indptr", "indices", "values", DENSE_FIELDS, "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount, sparq::f32_spmm_best());
  const std::size_t rows = size_arg(o["rows"], "rows");
  const sparq::F32SpmmFormat format = indexed_format(env, size_arg(o["blockRows"], "blockRows"));
  const std::size_t r = sparq::f32_spmm_block_rows(format), blocks = rows / r;
  if (rows % r != 0) throw_range_error(env, "rows must be a multiple of blockRows");
  DenseArgs d = dense_args(o, rows);
  std::size_t nnz = 0;
  auto indptr = row_pointers(o["indptr"], "indptr", blocks, &nnz);
  auto indices = typed_array<int32_t>(o["indices"], "indices", nnz);
  auto values = typed_array<float>(o["values"], "values", checked_mul(env, nnz, r, "values"));
  check_indices(env, indices.Data(), nnz, d.k, "indices must lie in [0, k)");
  Job job(env, bool_arg(o["async"], "async"));
  sparq::F32SparseWeights w;
  w.rows = rows;
  w.cols = d.k;
  w.indptr = job.in<int32_t>(indptr);
  w.indices = job.in<int32_t>(indices);
  w.values = job.in<float>(values);
  return run(job, variant, format, w, d, o["bias"]);
}

// f32SpmmNm({ variant, rows, n, groupSize, positions, values, x, k, m, ldx, y, ldy, bias | null, min, max, async })
// The same product with W in N:M format: each group of groupSize columns of a
// row keeps n slots; positions and values are [rows, k / groupSize * n].
Napi::Value F32SpmmNm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "rows", "n", "groupSize", "positions", "values", DENSE_FIELDS, "async"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount, sparq::f32_spmm_best());
  const std::size_t rows = size_arg(o["rows"], "rows");
  const std::size_t n = static_cast<std::size_t>(int_arg(o["n"], "n", 1, 255));
  const std::size_t group = static_cast<std::size_t>(int_arg(o["groupSize"], "groupSize", static_cast<int64_t>(n), 255));
  DenseArgs d = dense_args(o, rows);
  if (d.k % group != 0) throw_range_error(env, "groupSize must divide k");
  const std::size_t slots = checked_mul(env, rows, d.k / group * n, "positions");
  auto positions = typed_array<uint8_t>(o["positions"], "positions", slots);
  auto values = typed_array<float>(o["values"], "values", slots);
  for (std::size_t s = 0; s < slots; ++s)
    if (positions[s] >= group) throw_range_error(env, "positions must lie in [0, groupSize)");
  Job job(env, bool_arg(o["async"], "async"));
  sparq::F32SparseWeights w;
  w.rows = rows;
  w.cols = d.k;
  w.positions = job.in<uint8_t>(positions);
  w.nm_n = n;
  w.nm_m = group;
  w.groups = d.k / group;
  w.values = job.in<float>(values);
  return run(job, variant, sparq::F32SpmmFormat::kNm, w, d, o["bias"]);
}

// The weights a channels-last plan runs on: copies (the caller's arrays may
// change after planning; pruned weights are small), and the view into them.
struct PlannedWeights {
  std::vector<int32_t> indptr, indices;
  std::vector<uint8_t> positions;
  std::vector<float> values;
  sparq::F32SparseWeights w;
};

// The plan of f32_spmm_nhwc on `weights`: options pixels, ldx, ldy, bias | null, min, max.
Napi::Value plan_nhwc(const Options& o, const sparq::F32SpmmVariant& variant, sparq::F32SpmmFormat format,
                      std::shared_ptr<const PlannedWeights> weights) {
  const Napi::Env env = o["pixels"].Env();
  const std::size_t rows = weights->w.rows, k = weights->w.cols;
  const std::size_t pixels = size_arg(o["pixels"], "pixels"), ldx = size_arg(o["ldx"], "ldx"), ldy = size_arg(o["ldy"], "ldy");
  if (ldx < k) throw_range_error(env, "ldx must be >= k");
  if (ldy < rows) throw_range_error(env, "ldy must be >= rows");
  Napi::TypedArrayOf<float> bias;
  std::vector<float> bias_copy;
  if (optional_typed_array<float>(o["bias"], "bias", rows, &bias)) bias_copy.assign(bias.Data(), bias.Data() + rows);
  sparq::F32SpmmParams params;
  params.min = static_cast<float>(number_arg(o["min"], "min"));
  params.max = static_cast<float>(number_arg(o["max"], "max"));
  PlannedCall plan;
  plan.x = {napi_float32_array, pixels == 0 ? 0 : checked_mul(env, pixels - 1, ldx, "x") + k};
  plan.y = {napi_float32_array, pixels == 0 ? 0 : checked_mul(env, pixels - 1, ldy, "y") + rows};
  plan.kernel = [&variant, format, weights, pixels, ldx, ldy, params, bias = std::move(bias_copy)](const void*, const void* x, void* y) {
    sparq::F32SpmmParams p = params;
    p.bias = bias.empty() ? nullptr : bias.data();
    sparq::f32_spmm_nhwc(variant, format, weights->w, pixels, static_cast<const float*>(x), ldx, static_cast<float*>(y), ldy, p);
  };
  return wrap_plan(env, std::move(plan), nullptr);
}

// planF32SpmmNhwc({ variant, rows, blockRows, indptr, indices, values, k, pixels, ldx, ldy, bias | null, min, max }) -> plan
// for runPlan(plan, x, y): y[pixels, rows] = clamp(x[pixels, k] * W^T + bias, min, max), channels-last
// (row strides ldx, ldy), W as f32Spmm takes it (csr or bsr [blockRows, 1]), copied into the plan.
Napi::Value PlanF32SpmmNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "rows", "blockRows", "indptr", "indices", "values", "k", "pixels", "ldx", "ldy", "bias", "min", "max"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount, sparq::f32_spmm_best());
  const std::size_t rows = size_arg(o["rows"], "rows"), k = size_arg(o["k"], "k");
  const sparq::F32SpmmFormat format = indexed_format(env, size_arg(o["blockRows"], "blockRows"));
  const std::size_t r = sparq::f32_spmm_block_rows(format), blocks = rows / r;
  if (rows % r != 0) throw_range_error(env, "rows must be a multiple of blockRows");
  std::size_t nnz = 0;
  auto indptr = row_pointers(o["indptr"], "indptr", blocks, &nnz);
  auto indices = typed_array<int32_t>(o["indices"], "indices", nnz);
  auto values = typed_array<float>(o["values"], "values", checked_mul(env, nnz, r, "values"));
  check_indices(env, indices.Data(), nnz, k, "indices must lie in [0, k)");
  auto weights = std::make_shared<PlannedWeights>();
  weights->indptr.assign(indptr.Data(), indptr.Data() + blocks + 1);
  weights->indices.assign(indices.Data(), indices.Data() + nnz);
  weights->values.assign(values.Data(), values.Data() + nnz * r);
  weights->w.rows = rows;
  weights->w.cols = k;
  weights->w.indptr = weights->indptr.data();
  weights->w.indices = weights->indices.data();
  weights->w.values = weights->values.data();
  return plan_nhwc(o, variant, format, std::move(weights));
}

// planF32SpmmNmNhwc({ variant, rows, n, groupSize, positions, values, k, pixels, ldx, ldy, bias | null, min, max }) -> plan
// The same channels-last plan with W in N:M format, as f32SpmmNm takes it.
Napi::Value PlanF32SpmmNmNhwc(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "rows", "n", "groupSize", "positions", "values", "k", "pixels", "ldx", "ldy", "bias", "min", "max"});
  const auto& variant = pick_variant(o["variant"], sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount, sparq::f32_spmm_best());
  const std::size_t rows = size_arg(o["rows"], "rows"), k = size_arg(o["k"], "k");
  const std::size_t n = static_cast<std::size_t>(int_arg(o["n"], "n", 1, 255));
  const std::size_t group = static_cast<std::size_t>(int_arg(o["groupSize"], "groupSize", static_cast<int64_t>(n), 255));
  if (k % group != 0) throw_range_error(env, "groupSize must divide k");
  const std::size_t slots = checked_mul(env, rows, k / group * n, "positions");
  auto positions = typed_array<uint8_t>(o["positions"], "positions", slots);
  auto values = typed_array<float>(o["values"], "values", slots);
  for (std::size_t s = 0; s < slots; ++s)
    if (positions[s] >= group) throw_range_error(env, "positions must lie in [0, groupSize)");
  auto weights = std::make_shared<PlannedWeights>();
  weights->positions.assign(positions.Data(), positions.Data() + slots);
  weights->values.assign(values.Data(), values.Data() + slots);
  weights->w.rows = rows;
  weights->w.cols = k;
  weights->w.positions = weights->positions.data();
  weights->w.nm_n = n;
  weights->w.nm_m = group;
  weights->w.groups = k / group;
  weights->w.values = weights->values.data();
  return plan_nhwc(o, variant, sparq::F32SpmmFormat::kNm, std::move(weights));
}

}  // namespace

void register_f32_spmm(Napi::Env env, Napi::Object exports) {
  exports.Set("f32Spmm", Napi::Function::New(env, F32Spmm));
  exports.Set("f32SpmmNm", Napi::Function::New(env, F32SpmmNm));
  exports.Set("planF32SpmmNhwc", Napi::Function::New(env, PlanF32SpmmNhwc));
  exports.Set("planF32SpmmNmNhwc", Napi::Function::New(env, PlanF32SpmmNmNhwc));
  exports.Set("f32SpmmVariants", describe_variants(env, sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount));
}

}  // namespace sparq_binding
