// f32-gemm: every variant against the scalar one through the driver, within
// the TS tests' tolerance (|err| <= 1e-5 * |want| + 1e-5 + K * 2e-7), on the
// same packed B: M around every variant's rows (rows past the last strip,
// single rows on the GEMV path), N around the 16-column panels (the last
// panel partly filled, 32-column variants on an odd panel count, last panels
// of at most 8 columns: AVX-512's paired rows, odd row counts too), K from 0
// (bias only) through values not a multiple of 4 to two K blocks (the
// accumulate path), strided A and C (C's gaps must keep their fill), with
// and without bias, ReLU and a [min, max] clamp.
#include <cmath>
#include <vector>

#include "check.h"
#include "kernels/f32-gemm/f32-gemm.h"

using namespace sparq;

namespace {

struct Case {
  std::size_t m, n, k;
  int stage;  // 0: none, 1: bias, 2: bias + ReLU, 3: [min, max] clamp
};

void run(kcheck::Checker& c, const F32GemmVariant& v, const F32GemmVariant& ref, const Case& t) {
  const std::size_t lda = t.k + c.below(3), ldc = t.n + c.below(3);
  const std::vector<float> a = c.floats(t.m * lda + 1, -1.0f, 1.0f);
  const std::vector<float> b = c.floats(t.k * t.n, -1.0f, 1.0f);
  const std::vector<float> bias = c.floats(t.n, -1.0f, 1.0f);
  F32PackedB packed;
  f32_gemm_pack_b(t.k, t.n, b.data(), t.n, &packed);
  F32GemmParams params;
  if (t.stage != 0) params.bias = bias.data();
  if (t.stage == 2) params.min = 0.0f;
  if (t.stage == 3) params.min = -0.25f, params.max = 0.25f;
  const float fill = -7.0f;
  std::vector<float> got(t.m * ldc, fill), want(t.m * ldc, fill);
  // A one float past a 16-byte boundary, so no row load is aligned.
  f32_gemm(v, t.m, a.data() + 1, lda, packed, got.data(), ldc, params);
  f32_gemm(ref, t.m, a.data() + 1, lda, packed, want.data(), ldc, params);
  c.close(got.data(), want.data(), got.size(), 1e-5f, 1e-5f + static_cast<float>(t.k) * 2e-7f,
          "m=%zu n=%zu k=%zu lda=%zu ldc=%zu stage %d", t.m, t.n, t.k, lda, ldc, t.stage);
}

}  // namespace

CHECK_FAMILY("f32-gemm") {
  const F32GemmVariant& ref = kF32GemmVariants[kF32GemmVariantCount - 1];
  const std::size_t ks[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 63, 200, 383, 385, 800};
  std::vector<Case> cases;
  int i = 0;
  for (std::size_t m : c.sizes({4, 5, 6, 12}))
    for (std::size_t n : {1, 3, 8, 15, 16, 17, 23, 24, 31, 32, 33, 40, 48, 65}) {
      const std::size_t k = ks[i % (sizeof ks / sizeof ks[0])];
      const int stage = i++ % 4;
      if (k * m * n > 400000) continue;  // a few large cases below keep qemu fast
      cases.push_back({m, n, k, stage});
    }
  for (std::size_t k : {385, 800}) cases.push_back({30, 40, k, 1});  // several strips, two or three K blocks
  for (std::size_t k : {385, 800}) cases.push_back({29, 24, k, 3});  // the same, odd strip heights on a paired last panel
  c.variants(kF32GemmVariants, kF32GemmVariantCount, [&](const F32GemmVariant& v) {
    for (const Case& t : cases) run(c, v, ref, t);
  });
  c.best(f32_gemm_best().name);
}
