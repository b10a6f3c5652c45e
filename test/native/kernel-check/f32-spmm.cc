// f32-spmm: every variant against the scalar one through the driver, every
// format (csr, 4x1 and 8x1 blocks, 2:4 N:M), within the TS tests' tolerance
// (1e-5 relative, 1e-5 + K * 2e-7 absolute), Inf and NaN matched exactly:
// M around the column steps (1-3 leftover columns, M = 1 with ldx = 1 on
// the GEMV path), rows around the block rows, densities from empty rows to
// full, with and without bias and clamp, strided X and Y, and X holding an
// Inf or a NaN (the driver's fix-up after the kernels' probe).
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "kernels/f32-spmm/f32-spmm.h"

using namespace sparq;

namespace {

// Random weights of `format` for rows x cols (cols a multiple of 4 for N:M), kept in the vectors.
struct Weights {
  std::vector<int32_t> indptr, indices;
  std::vector<uint8_t> positions;
  std::vector<float> values;
  F32SparseWeights w;

  Weights(kcheck::Checker& c, F32SpmmFormat format, std::size_t rows, std::size_t cols, float density) {
    w.rows = rows;
    w.cols = cols;
    const std::size_t r = f32_spmm_block_rows(format);
    if (format == F32SpmmFormat::kNm) {
      // 2:4: two distinct positions of each group of 4, in order.
      w.nm_n = 2, w.nm_m = 4, w.groups = cols / 4;
      for (std::size_t i = 0; i < rows * w.groups; ++i) {
        const uint8_t first = static_cast<uint8_t>(c.below(3));
        positions.push_back(first);
        positions.push_back(static_cast<uint8_t>(first + 1 + c.below(3 - first)));
        values.push_back(c.uniform(-1.0f, 1.0f));
        values.push_back(c.uniform(-1.0f, 1.0f));
      }
      w.positions = positions.data();
    } else {
      indptr.push_back(0);
      for (std::size_t b = 0; b < rows / r; ++b) {
        for (std::size_t k = 0; k < cols; ++k) {
          if (c.uniform(0.0f, 1.0f) >= density) continue;
          indices.push_back(static_cast<int32_t>(k));
          for (std::size_t i = 0; i < r; ++i) values.push_back(c.uniform(-1.0f, 1.0f));
        }
        indptr.push_back(static_cast<int32_t>(indices.size()));
      }
      w.indptr = indptr.data();
      w.indices = indices.data();
    }
    w.values = values.data();
  }
};

const char* format_name(F32SpmmFormat f) {
  switch (f) {
    case F32SpmmFormat::kCsr: return "csr";
    case F32SpmmFormat::kBsr4x1: return "bsr4x1";
    case F32SpmmFormat::kBsr8x1: return "bsr8x1";
    case F32SpmmFormat::kNm: return "2:4";
  }
  return "?";
}

}  // namespace

CHECK_FAMILY("f32-spmm") {
  const F32SpmmVariant& ref = kF32SpmmVariants[kF32SpmmVariantCount - 1];
  const F32SpmmFormat formats[] = {F32SpmmFormat::kCsr, F32SpmmFormat::kBsr4x1, F32SpmmFormat::kBsr8x1, F32SpmmFormat::kNm};
  const float densities[] = {0.0f, 0.05f, 0.3f, 0.7f, 1.0f};
  c.variants(kF32SpmmVariants, kF32SpmmVariantCount, [&](const F32SpmmVariant& v) {
    int i = 0;
    for (F32SpmmFormat format : formats) {
      const std::size_t r = f32_spmm_block_rows(format);
      for (std::size_t m : c.sizes({1, 4, 8, 16, 32, 64})) {
        ++i;
        const std::size_t rows = r * (1 + c.below(format == F32SpmmFormat::kBsr8x1 ? 3 : 9));
        const std::size_t cols = format == F32SpmmFormat::kNm ? 4 * (1 + c.below(12)) : 1 + c.below(48);
        const float density = densities[i % 5];
        const Weights weights(c, format, rows, cols, density);
        // M = 1 keeps ldx = 1 (the GEMV path) every other time.
        const std::size_t ldx = m == 1 && i % 2 == 0 ? 1 : m + c.below(3), ldy = m + c.below(3);
        std::vector<float> x = c.floats(cols * ldx, -1.0f, 1.0f);
        const int special = i % 7;  // 1: an Inf, 2: a NaN somewhere in X
        if (special == 1) x[c.below(x.size())] = INFINITY;
        if (special == 2) x[c.below(x.size())] = NAN;
        const std::vector<float> bias = c.floats(rows, -1.0f, 1.0f);
        F32SpmmParams params;
        if (i % 3 != 0) params.bias = bias.data();
        if (i % 4 == 1) params.min = -0.2f, params.max = 0.3f;
        std::vector<float> got(rows * ldy, -7.0f), want(rows * ldy, -7.0f);
        f32_spmm(v, format, weights.w, m, x.data(), ldx, got.data(), ldy, params);
        f32_spmm(ref, format, weights.w, m, x.data(), ldx, want.data(), ldy, params);
        c.close(got.data(), want.data(), got.size(), 1e-5f, 1e-5f + static_cast<float>(cols) * 2e-7f,
                "%s %zux%zu m=%zu ldx=%zu density %.2f special %d", format_name(format), rows, cols, m, ldx,
                static_cast<double>(density), special);
      }
    }
  });
  c.best(f32_spmm_best().name);
}

// f32_spmm_nhwc: every variant, every format, on channels-last X [P, K] and
// Y [P, N] (strided rows) against f32_spmm of the same variant on X^T, bit
// for bit (a panel always runs the batched path, so P = 1 is compared with
// its channels-first product on a padded ldx), Inf and NaN included: P
// around the 64-pixel panels and the kernels' column steps.
CHECK_FAMILY("f32-spmm-nhwc") {
  const F32SpmmFormat formats[] = {F32SpmmFormat::kCsr, F32SpmmFormat::kBsr4x1, F32SpmmFormat::kBsr8x1, F32SpmmFormat::kNm};
  const float densities[] = {0.0f, 0.05f, 0.3f, 0.7f, 1.0f};
  c.variants(kF32SpmmVariants, kF32SpmmVariantCount, [&](const F32SpmmVariant& v) {
    int i = 0;
    for (F32SpmmFormat format : formats) {
      const std::size_t r = f32_spmm_block_rows(format);
      for (std::size_t p : c.sizes({16, 32, 64})) {
        ++i;
        const std::size_t rows = r * (1 + c.below(format == F32SpmmFormat::kBsr8x1 ? 5 : 17));
        const std::size_t cols = format == F32SpmmFormat::kNm ? 4 * (1 + c.below(24)) : 1 + c.below(96);
        const float density = densities[i % 5];
        const Weights weights(c, format, rows, cols, density);
        const std::size_t ldx = cols + c.below(3), ldy = rows + c.below(3);
        std::vector<float> x = c.floats(p * ldx, -1.0f, 1.0f);
        const int special = i % 7;  // 1: an Inf, 2: a NaN somewhere in X
        if (special == 1) x[c.below(x.size())] = INFINITY;
        if (special == 2) x[c.below(x.size())] = NAN;
        const std::vector<float> bias = c.floats(rows, -1.0f, 1.0f);
        F32SpmmParams params;
        if (i % 3 != 0) params.bias = bias.data();
        if (i % 4 == 1) params.min = -0.2f, params.max = 0.3f;
        // X^T [K, P] with its rows padded to 2 (never the GEMV path), and the channels-first product.
        const std::size_t ldt = p + 1;
        std::vector<float> xt(cols * ldt, 0.0f), yt(rows * ldt, 0.0f);
        for (std::size_t j = 0; j < p; ++j)
          for (std::size_t k = 0; k < cols; ++k) xt[k * ldt + j] = x[j * ldx + k];
        f32_spmm(v, format, weights.w, p, xt.data(), ldt, yt.data(), ldt, params);
        std::vector<float> got(p * ldy, -7.0f), want(p * ldy, -7.0f);
        for (std::size_t j = 0; j < p; ++j)
          for (std::size_t n = 0; n < rows; ++n) want[j * ldy + n] = yt[n * ldt + j];
        f32_spmm_nhwc(v, format, weights.w, p, x.data(), ldx, got.data(), ldy, params);
        c.same(got.data(), want.data(), got.size(), "%s %zux%zu p=%zu ldx=%zu density %.2f special %d", format_name(format),
               rows, cols, p, ldx, static_cast<double>(density), special);
      }
    }
  });
}
