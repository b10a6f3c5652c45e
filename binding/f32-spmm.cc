// Binding for kernels/f32-spmm: CSR weights x dense activations.
#include "kernels/f32-spmm/f32-spmm.h"

#include <string>

#include "args.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// f32Spmm(variant, rows, indptr, indices, values, x, k, m, ldx, y, ldy, bias | null, min, max, async)
// y[rows, m] = clamp(W * x[k, m] + bias, min, max). The CSR structure is
// checked here in O(nnz) (the kernel indexes x with it), not trusted.
Napi::Value F32Spmm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto& variant = pick_variant(info[0], sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount, sparq::f32_spmm_best());
  const std::size_t rows = size_arg(info[1], "rows"), k = size_arg(info[6], "k"), m = size_arg(info[7], "m");
  const std::size_t ldx = size_arg(info[8], "ldx"), ldy = size_arg(info[10], "ldy");
  if (ldx < m || ldy < m) throw_range_error(env, "ldx and ldy must be >= m");
  auto indptr = typed_array<int32_t>(info[2], "indptr", rows + 1);
  const int32_t nnz = indptr[rows];
  if (indptr[0] != 0 || nnz < 0) throw_range_error(env, "indptr must start at 0 and end at nnz >= 0");
  for (std::size_t r = 0; r < rows; ++r)
    if (indptr[r + 1] < indptr[r]) throw_range_error(env, "indptr must not decrease");
  auto indices = typed_array<int32_t>(info[3], "indices", static_cast<std::size_t>(nnz));
  auto values = typed_array<float>(info[4], "values", static_cast<std::size_t>(nnz));
  for (int32_t p = 0; p < nnz; ++p)
    if (indices[p] < 0 || static_cast<std::size_t>(indices[p]) >= k) throw_range_error(env, "indices must lie in [0, k)");
  auto x = typed_array<float>(info[5], "x", k == 0 || m == 0 ? 0 : checked_mul(env, k - 1, ldx, "x") + m);
  auto y = typed_array<float>(info[9], "y", rows == 0 || m == 0 ? 0 : checked_mul(env, rows - 1, ldy, "y") + m);
  Napi::TypedArrayOf<float> bias;
  sparq::F32SpmmParams params;
  if (optional_typed_array<float>(info[11], "bias", rows, &bias)) params.bias = bias.Data();
  params.min = static_cast<float>(number_arg(info[12], "min"));
  params.max = static_cast<float>(number_arg(info[13], "max"));
  sparq::F32Csr w;
  w.rows = rows;
  w.indptr = indptr.Data();
  w.indices = indices.Data();
  w.values = values.Data();
  const float* xs = x.Data();
  float* ys = y.Data();
  return run_job(env, bool_arg(info[14], "async"), {indptr, indices, values, x, y, info[11]},
                 [&variant, w, m, xs, ldx, ys, ldy, params] { sparq::f32_spmm(variant, w, m, xs, ldx, ys, ldy, params); });
}

}  // namespace

void register_f32_spmm(Napi::Env env, Napi::Object exports) {
  exports.Set("f32Spmm", Napi::Function::New(env, F32Spmm));
  exports.Set("f32SpmmVariants", describe_variants(env, sparq::kF32SpmmVariants, sparq::kF32SpmmVariantCount));
}

}  // namespace sparq_binding
