// f32-gemm: packed B [k, n] (ldb >= n), A and C with any stride and exactly
// the binding's minimum length, bias or none, any min/max. Every variant is
// within the TS tests' tolerance of the scalar one (|err| <= 1e-5 * |want| +
// 1e-5 + K * 2e-7 on data in [-1, 1], signed zeros and subnormals among it),
// C's gaps keep their fill.
#include <vector>

#include "fuzz.h"
#include "kernels/f32-gemm/f32-gemm.h"

using namespace sparq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  // packF32Weights: k, n >= 1, ldb >= n.
  const std::size_t k = in.size(1, 900), n = in.size(1, 80), m = in.size(0, 40);
  const std::size_t ldb = n + in.size(0, 3), lda = k + in.size(0, 3), ldc = n + in.size(0, 3);
  const std::vector<float> b = in.floats((k - 1) * ldb + n, 1.0f, false);
  F32PackedB packed;
  f32_gemm_pack_b(k, n, b.data(), ldb, &packed);
  // f32Gemm: bias null or [n]; min and max any numbers.
  std::vector<float> bias;
  F32GemmParams params;
  if (in.flag()) {
    bias = in.floats(n, 1.0f, false);
    params.bias = bias.data();
  }
  switch (in.pick(4)) {
    case 0: break;
    case 1: params.min = 0.0f; break;
    case 2: params.min = in.value(2.0f, false), params.max = in.value(2.0f, false); break;
    default: params.min = in.value(2.0f), params.max = in.value(2.0f);
  }
  const std::vector<float> a = in.floats(m == 0 ? 0 : (m - 1) * lda + k, 1.0f, false);
  const std::size_t c_len = m == 0 ? 0 : (m - 1) * ldc + n;

  const F32GemmVariant& ref = kF32GemmVariants[kF32GemmVariantCount - 1];
  std::vector<float> want(c_len, -7.0f);
  f32_gemm(ref, m, a.data(), lda, packed, want.data(), ldc, params);
  fuzz::each_variant(kF32GemmVariants, kF32GemmVariantCount - 1, [&](const F32GemmVariant& v) {
    std::vector<float> got(c_len, -7.0f);
    f32_gemm(v, m, a.data(), lda, packed, got.data(), ldc, params);
    fuzz::close_floats(v.name, "C", got.data(), want.data(), c_len, 1e-5f, 1e-5f + static_cast<float>(k) * 2e-7f);
  });
  return 0;
}
