// qx8-elementwise: every variant against the scalar one, bit for bit: binary
// ops with b advancing or one float, uint8 and int8, with and without a
// clamp, scales that put many results on rounding ties; lookups of every
// byte; dequantized plane sums, and column sums (the NHWC GlobalAveragePool)
// equal to both the scalar variant's and the plane sum of each column.
// Lengths across every vector width's steps and tails, at odd addresses,
// checking nothing is written outside [0, n).
#include <cmath>
#include <vector>

#include "check.h"
#include "kernels/qx8-elementwise/qx8-elementwise.h"

using namespace sparq;

CHECK_FAMILY("qx8-elementwise") {
  const Qx8ElementwiseVariant& ref = kQx8ElementwiseVariants[kQx8ElementwiseVariantCount - 1];
  const Qx8BinaryOp ops[] = {Qx8BinaryOp::kAdd, Qx8BinaryOp::kSub, Qx8BinaryOp::kReverseSub, Qx8BinaryOp::kMul};
  c.variants(kQx8ElementwiseVariants, kQx8ElementwiseVariantCount, [&](const Qx8ElementwiseVariant& v) {
    for (std::size_t n : c.sizes({8, 16, 32, 64})) {
      const std::vector<uint8_t> x = c.integers<uint8_t>(n + 1, 0, 255), b = c.integers<uint8_t>(n + 1, 0, 255);
      const std::vector<uint8_t> table = c.integers<uint8_t>(256, 0, 255);
      for (int is_signed = 0; is_signed < 2; ++is_signed) {
        for (int trial = 0; trial < 3; ++trial) {
          Qx8BinaryParams p;
          // Trial 0: halves and a unit output scale, so sums land on ties; then random scales, with a clamp.
          p.x_scale = trial == 0 ? 0.5f : c.uniform(0.001f, 0.3f);
          p.b_scale = trial == 0 ? 0.5f : c.uniform(0.001f, 0.3f);
          p.y_scale = trial == 0 ? 1.0f : c.uniform(0.001f, 0.3f);
          const int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
          p.x_zero_point = static_cast<int32_t>(c.integer(lo, hi));
          p.b_zero_point = static_cast<int32_t>(c.integer(lo, hi));
          p.y_zero_point = static_cast<int32_t>(c.integer(lo, hi));
          if (trial == 2) p.lo = 0.0f, p.hi = 6.0f;
          for (std::size_t o = 0; o < 4; ++o) {
            std::vector<uint8_t> got(n + 2, 0xA5), want(n);
            ref.binary(n, x.data() + 1, b.data() + 1, want.data(), is_signed, ops[o], p);
            v.binary(n, x.data() + 1, b.data() + 1, got.data() + 1, is_signed, ops[o], p);
            c.same(got.data() + 1, want.data(), n, "binary n=%zu signed %d trial %d op %zu", n, is_signed, trial, o);
            c.expect(got[0] == 0xA5 && got[n + 1] == 0xA5, "binary n=%zu: wrote outside [0, n)", n);
            const float bf = c.uniform(-4.0f, 4.0f);
            ref.binary_scalar(n, x.data() + 1, bf, want.data(), is_signed, ops[o], p);
            v.binary_scalar(n, x.data() + 1, bf, got.data() + 1, is_signed, ops[o], p);
            c.same(got.data() + 1, want.data(), n, "binary_scalar n=%zu signed %d trial %d op %zu", n, is_signed, trial, o);
          }
        }
        const float scale = c.uniform(0.001f, 0.3f);
        const int32_t zp = static_cast<int32_t>(is_signed ? c.integer(-128, 127) : c.integer(0, 255));
        const float sum = v.dequantized_sum(n, x.data() + 1, is_signed, scale, zp);
        const float want_sum = ref.dequantized_sum(n, x.data() + 1, is_signed, scale, zp);
        c.same(&sum, &want_sum, 1, "dequantized_sum n=%zu signed %d", n, is_signed);
        // n columns of 1, 15, 16, 17 and 35 rows (one or two 16-row blocks and tails), rows n + 3 bytes apart.
        for (std::size_t rows : {1, 15, 16, 17, 35}) {
          const std::size_t ld = n + 3;
          const std::vector<uint8_t> m = c.integers<uint8_t>(rows * ld + 1, 0, 255);
          std::vector<float> sums(n + 1, 7.5f), want_sums(n);
          ref.dequantized_column_sums(rows, n, ld, m.data() + 1, is_signed, scale, zp, want_sums.data());
          v.dequantized_column_sums(rows, n, ld, m.data() + 1, is_signed, scale, zp, sums.data());
          c.same(sums.data(), want_sums.data(), n, "dequantized_column_sums rows=%zu cols=%zu signed %d", rows, n, is_signed);
          c.expect(sums[n] == 7.5f, "dequantized_column_sums cols=%zu: wrote past sums[cols - 1]", n);
          std::vector<uint8_t> column(rows);
          for (std::size_t col = 0; col < n; ++col) {
            for (std::size_t r = 0; r < rows; ++r) column[r] = m[1 + r * ld + col];
            const float plane_sum = ref.dequantized_sum(rows, column.data(), is_signed, scale, zp);
            c.same(&sums[col], &plane_sum, 1, "dequantized_column_sums rows=%zu column %zu vs its plane sum", rows, col);
          }
        }
      }
      std::vector<uint8_t> got(n + 2, 0xA5), want(n);
      ref.lookup(n, x.data() + 1, table.data(), want.data());
      v.lookup(n, x.data() + 1, table.data(), got.data() + 1);
      c.same(got.data() + 1, want.data(), n, "lookup n=%zu", n);
      c.expect(got[0] == 0xA5 && got[n + 1] == 0xA5, "lookup n=%zu: wrote outside [0, n)", n);
    }
  });
  c.best(qx8_elementwise_best().name);
}
