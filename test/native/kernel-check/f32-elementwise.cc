// f32-elementwise: every variant against the scalar one, bit for bit:
// activations (clamp, HardSigmoid, HardSwish, each with a clamp after),
// binary ops with b advancing, fixed or one row per column, plane sums and
// column means, on lengths across every vector width's steps and tails, with
// NaN/Inf/-0 sprinkled in.
#include <cmath>
#include <vector>

#include "check.h"
#include "kernels/f32-elementwise/f32-elementwise.h"

using namespace sparq;

CHECK_FAMILY("f32-elementwise") {
  const ElementwiseVariant& ref = kElementwiseVariants[kElementwiseVariantCount - 1];
  const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 3.0f, -3.0f, 1e-40f};
  std::vector<F32Activation> acts(5);
  acts[1].lo = 0.0f, acts[1].hi = 6.0f;
  acts[2].kind = F32ActKind::kHardSigmoid, acts[2].alpha = 0.2f, acts[2].beta = 0.5f;
  acts[3].kind = F32ActKind::kHardSwish;
  acts[4].kind = F32ActKind::kHardSigmoid, acts[4].alpha = -0.3f, acts[4].beta = 0.1f, acts[4].hi = 0.5f;
  const F32BinaryOp ops[] = {F32BinaryOp::kAdd, F32BinaryOp::kSub, F32BinaryOp::kReverseSub, F32BinaryOp::kMul};
  c.variants(kElementwiseVariants, kElementwiseVariantCount, [&](const ElementwiseVariant& v) {
    for (std::size_t n : c.sizes({4, 8, 16, 32})) {
      // Offset by one float so vector loads are unaligned.
      std::vector<float> x = c.floats(n + 1, -8.0f, 8.0f), b = c.floats(n + 1, -8.0f, 8.0f);
      for (std::size_t k = 0; k < 1 + n / 6; ++k) x[1 + c.below(n)] = specials[c.below(8)];
      std::vector<float> got(n), want(n);
      for (std::size_t a = 0; a < acts.size(); ++a) {
        ref.activate(n, x.data() + 1, want.data(), acts[a]);
        v.activate(n, x.data() + 1, got.data(), acts[a]);
        c.same(got.data(), want.data(), n, "activate n=%zu activation %zu", n, a);
        for (std::size_t o = 0; o < 4; ++o) {
          ref.binary(n, x.data() + 1, b.data() + 1, want.data(), ops[o], acts[a]);
          v.binary(n, x.data() + 1, b.data() + 1, got.data(), ops[o], acts[a]);
          c.same(got.data(), want.data(), n, "binary n=%zu op %zu activation %zu", n, o, a);
          ref.binary_scalar(n, x.data() + 1, b[0], want.data(), ops[o], acts[a]);
          v.binary_scalar(n, x.data() + 1, b[0], got.data(), ops[o], acts[a]);
          c.same(got.data(), want.data(), n, "binary_scalar n=%zu op %zu activation %zu", n, o, a);
        }
      }
      const float sum = v.sum(n, b.data() + 1), want_sum = ref.sum(n, b.data() + 1);
      c.same(&sum, &want_sum, 1, "sum n=%zu", n);
      // n columns of 3 and 19 rows (19: one 16-row block and a tail), x unaligned.
      for (std::size_t rows : {3, 19}) {
        std::vector<float> m = c.floats(rows * (n + 1) + 1, -8.0f, 8.0f), mg(rows * n), mw(rows * n);
        for (std::size_t k = 0; k < 1 + n / 6; ++k) m[1 + c.below(rows * n)] = specials[c.below(8)];
        for (std::size_t o = 0; o < 4; ++o) {
          ref.binary_columns(rows, n, m.data() + 1, b.data() + 1, mw.data(), ops[o], acts[3]);
          v.binary_columns(rows, n, m.data() + 1, b.data() + 1, mg.data(), ops[o], acts[3]);
          c.same(mg.data(), mw.data(), rows * n, "binary_columns rows=%zu n=%zu op %zu", rows, n, o);
        }
        // n columns of rows n + 1 floats apart: a row stride wider than the columns read.
        std::vector<float> means(n), want_means(n);
        ref.column_means(rows, n, n + 1, m.data() + 1, want_means.data());
        v.column_means(rows, n, n + 1, m.data() + 1, means.data());
        c.same(means.data(), want_means.data(), n, "column_means rows=%zu cols=%zu", rows, n);
      }
    }
  });
  c.best(elementwise_best().name);
}
