// qu8s8-spmm: every variant against the scalar one through the driver,
// exact (int32 and uint8/int8 equal, float32 equal bit for bit), on the same
// packed weights: M around the column steps (1 = GEMV, 16, 32 and the
// repacked strips), K not a multiple of 4, rows from empty to dense (calls
// with fewer entries than K groups and with many more), full-range weights
// (-128..127) and X (0..255), a random zero point, bias, every output kind
// with per-tensor or per-row multipliers (NaN/inf/-0 ones included), strided
// X and Y (Y's gaps must keep their fill), and a K long enough for the int32
// sums to wrap, and rows repeating a group. Each case also runs
// qu8s8_spmm_nhwc of the same variant (its channels-last kernel: blocks of 8
// rows, pixel tiles and their tails) on X^T (rows at odd and word-aligned
// addresses, the last ones read from a padded copy when K is not a multiple
// of 4), whose transposed result must be the same bytes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "check.h"
#include "kernels/qu8s8-spmm/qu8s8-spmm.h"

using namespace sparq;

namespace {

struct Case {
  std::size_t rows, m, k;
  double density;          // chance that a row stores a K group
  bool extremes = false;   // X = 255 and every weight -128: sums that wrap int32
  bool repeats = false;    // every stored group twice in its row (two entries, which the packers must add)
};

void run(kcheck::Checker& c, const QSpmmVariant& v, const QSpmmVariant& ref, const Case& t, QOutput output) {
  const std::size_t groups = (t.k + 3) / 4;
  std::vector<int32_t> indptr(1, 0), group, word;
  for (std::size_t n = 0; n < t.rows; ++n) {
    for (std::size_t g = 0; g < groups; ++g) {
      if (!t.extremes && c.uniform(0.0f, 1.0f) >= t.density) continue;
      for (int copy = 0; copy < (t.repeats ? 2 : 1); ++copy) {
        uint32_t w = 0;
        for (std::size_t j = 0; j < 4; ++j) {
          // Weights past K are 0 (as packed); some of the rest pruned.
          const bool kept = 4 * g + j < t.k && (t.extremes || c.below(4) != 0);
          const int8_t b = kept ? static_cast<int8_t>(t.extremes ? -128 : c.integer(-128, 127)) : 0;
          w |= static_cast<uint32_t>(static_cast<uint8_t>(b)) << (8 * j);
        }
        group.push_back(static_cast<int32_t>(g));
        word.push_back(static_cast<int32_t>(w));
      }
    }
    indptr.push_back(static_cast<int32_t>(group.size()));
  }
  QSparseW w;
  qu8s8_spmm_pack(t.rows, t.k, indptr.data(), group.data(), word.data(), &w);

  const std::size_t ldx = t.m + c.below(3), ldy = t.m + c.below(3);
  std::vector<uint8_t> x(t.k * ldx + 1);
  for (uint8_t& e : x) e = t.extremes ? 255 : static_cast<uint8_t>(c.integer(0, 255));
  QGemmParams params;
  params.a_zero_point = static_cast<uint8_t>(t.extremes ? 0 : c.integer(0, 255));
  params.output = output;
  const std::vector<int32_t> bias = c.integers<int32_t>(t.rows, -(1 << 20), 1 << 20);
  if (c.below(3) != 0) {
    params.stage.bias = bias.data();
    params.stage.bias_stride = c.below(2);
  }
  std::vector<float> multipliers(t.rows);
  const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f};
  for (float& m : multipliers)
    m = c.below(6) == 0 ? specials[c.below(5)] : c.uniform(-1.0f, 1.0f) * (output == QOutput::kFloat32 ? 1.0f : 1e-4f);
  params.stage.multiplier = multipliers.data();
  params.stage.multiplier_stride = c.below(2);
  if (output == QOutput::kUint8 || output == QOutput::kInt8) {
    const int lo = output == QOutput::kUint8 ? 0 : -128, hi = output == QOutput::kUint8 ? 255 : 127;
    params.stage.zero_point = static_cast<int32_t>(c.integer(lo, hi));
    params.stage.out_min = static_cast<int32_t>(c.integer(lo, lo + 20));
    params.stage.out_max = static_cast<int32_t>(c.integer(hi - 20, hi));
  } else if (output == QOutput::kFloat32 && c.below(3) != 0) {
    params.stage.fmin = c.below(2) == 0 ? 0.0f : c.uniform(-100.0f, 0.0f);
    params.stage.fmax = c.uniform(0.0f, 100.0f);
  }

  const std::size_t size = qgemm_output_size(output);
  std::vector<uint8_t> got(1 + t.rows * ldy * size, 0xA5), want(got);
  qu8s8_spmm(v, w, t.m, x.data() + 1, ldx, got.data() + 1, ldy, params);  // X not 16-byte aligned
  qu8s8_spmm(ref, w, t.m, x.data() + 1, ldx, want.data() + 1, ldy, params);
  const char* kinds[] = {"int32", "uint8", "int8", "float32"};
  c.same(got.data(), want.data(), got.size(), "rows=%zu m=%zu k=%zu density=%.2f %s a_zp=%d", t.rows, t.m, t.k,
         t.density, kinds[static_cast<int>(output)], params.a_zero_point);
  // The channels-last driver of the same variant: X^T [m, k] (rows ldxn), its
  // Y [m, rows] (rows ldyn) transposed back must be the same bytes.
  const std::size_t ldxn = t.k + c.below(3), ldyn = t.rows + c.below(3);
  std::vector<uint8_t> xn(t.m * ldxn + 1, 0);
  for (std::size_t j = 0; j < t.m; ++j)
    for (std::size_t kk = 0; kk < t.k; ++kk) xn[1 + j * ldxn + kk] = x[1 + kk * ldx + j];
  std::vector<uint8_t> yn(t.m * ldyn * size, 0xA5), back(got);
  qu8s8_spmm_nhwc(v, w, t.m, xn.data() + 1, ldxn, yn.data(), ldyn, params);  // rows of X not word-aligned
  for (std::size_t n = 0; n < t.rows; ++n)
    for (std::size_t j = 0; j < t.m; ++j) std::memcpy(&back[1 + (n * ldy + j) * size], &yn[(j * ldyn + n) * size], size);
  c.same(back.data(), got.data(), got.size(), "channels-last rows=%zu m=%zu k=%zu density=%.2f %s", t.rows, t.m, t.k,
         t.density, kinds[static_cast<int>(output)]);
  if (t.k % 4 == 0 && ldxn % 4 == 0) {
    // Word-aligned rows.
    std::vector<uint8_t> xa(t.m * ldxn + 4, 0);
    std::memcpy(xa.data() + 4, xn.data() + 1, t.m * ldxn);
    std::fill(yn.begin(), yn.end(), 0xA5);
    qu8s8_spmm_nhwc(v, w, t.m, xa.data() + 4, ldxn, yn.data(), ldyn, params);
    for (std::size_t n = 0; n < t.rows; ++n)
      for (std::size_t j = 0; j < t.m; ++j) std::memcpy(&back[1 + (n * ldy + j) * size], &yn[(j * ldyn + n) * size], size);
    c.same(back.data(), got.data(), got.size(), "channels-last, aligned rows=%zu m=%zu k=%zu %s", t.rows, t.m, t.k,
           kinds[static_cast<int>(output)]);
  }
  if (output != QOutput::kInt32) return;
  // int32 output also against the plain sums (X repack and zero-point terms
  // included), modulo 2^32.
  std::vector<int32_t> plain(t.rows * t.m), stored(t.rows * t.m);
  for (std::size_t n = 0; n < t.rows; ++n) {
    const uint32_t b = params.stage.bias != nullptr ? static_cast<uint32_t>(bias[n * params.stage.bias_stride]) : 0u;
    for (std::size_t j = 0; j < t.m; ++j) {
      uint32_t acc = b;
      for (int32_t p = indptr[n]; p < indptr[n + 1]; ++p)
        for (std::size_t q = 0; q < 4 && 4 * group[p] + q < t.k; ++q) {
          const int32_t wq = static_cast<int8_t>(static_cast<uint32_t>(word[p]) >> (8 * q));
          const int32_t xq = x[1 + (4 * group[p] + q) * ldx + j] - params.a_zero_point;
          acc += static_cast<uint32_t>(wq * xq);
        }
      plain[n * t.m + j] = static_cast<int32_t>(acc);
      std::memcpy(&stored[n * t.m + j], &got[1 + (n * ldy + j) * 4], 4);
    }
  }
  c.same(stored.data(), plain.data(), plain.size(), "rows=%zu m=%zu k=%zu: int32 against the plain sums", t.rows,
         t.m, t.k);
}

}  // namespace

CHECK_FAMILY("qu8s8-spmm") {
  const QSpmmVariant& ref = kQSpmmVariants[kQSpmmVariantCount - 1];
  const QOutput outputs[] = {QOutput::kInt32, QOutput::kUint8, QOutput::kInt8, QOutput::kFloat32};
  const double densities[] = {0.0, 0.03, 0.3, 0.9, 1.0};
  c.variants(kQSpmmVariants, kQSpmmVariantCount, [&](const QSpmmVariant& v) {
    std::vector<Case> cases;
    for (std::size_t m : c.sizes({16, 32, 64}))
      cases.push_back({1 + c.below(20), m, 1 + c.below(100), densities[c.below(5)]});
    for (std::size_t k : c.sizes({4, 16}))
      cases.push_back({1 + c.below(20), 1 + c.below(70), k, densities[c.below(5)]});
    // GEMV, and single sparse rows (fewer entries than K groups).
    for (int i = 0; i < 8; ++i) cases.push_back({1 + c.below(30), 1, 1 + c.below(300), densities[c.below(5)]});
    for (int i = 0; i < 4; ++i) cases.push_back({1, 1 + c.below(70), 100 + c.below(300), 0.03});
    // 140000 products of 255 * -128 pass -2^32: the sums wrap.
    cases.push_back({2, 37, 140001, 1.0, true});
    cases.push_back({3, 1, 140003, 1.0, true});
    // Groups repeated within rows: the channels-last layout stores a second copy.
    cases.push_back({1 + c.below(20), 1 + c.below(70), 1 + c.below(100), 0.3, false, true});
    for (std::size_t i = 0; i < cases.size(); ++i)
      run(c, v, ref, cases[i], cases[i].extremes ? QOutput::kInt32 : outputs[i % 4]);
  });
  c.best(qu8s8_spmm_best().name);
}
