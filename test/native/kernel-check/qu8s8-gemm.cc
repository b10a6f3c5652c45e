// qu8s8-gemm: every variant against the scalar one through the driver,
// exact (int32 and uint8/int8 equal, float32 equal bit for bit), on the
// same packed weights: M, N and K around the tiles (rows past the last
// strip, columns past the last panel and the last two-panel block, K not a
// multiple of 4 or 16), full range A (0..255) and weights (int8 -128..127,
// or uint8 0..255 packed as int8), random zero points (none, per tensor, per column), bias, every
// output kind with per-tensor or per-column multipliers, strided and
// unaligned A and C (C's gaps must keep their fill), and a K long enough
// for the int32 sums to wrap.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "check.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

using namespace sparq;

namespace {

struct Case {
  std::size_t m, n, k;
  bool b_unsigned = false;
  int zero_points = 0;  // 0: none, 1: per tensor, 2: per column
  bool extremes = false;  // A = 255 and B' = -128 everywhere: sums that wrap int32
  bool narrow = false;    // B' in [-64, 64] only, for the variants that need it
  bool flat = false;      // A = a_zp everywhere and no bias: every sum is 0 (signed zeros in float output)
};

// Runs the case through `v` and `ref` with the same data and compares C,
// gaps included.
void run(kcheck::Checker& c, const QGemmVariant& v, const QGemmVariant& ref, const Case& t, QOutput output) {
  const std::size_t lda = t.k + c.below(5), ldc = t.n + c.below(3);
  std::vector<uint8_t> a_store(1 + t.m * lda);
  uint8_t* a = a_store.data() + 1;  // rows not 16-byte aligned
  const uint8_t a_zp = static_cast<uint8_t>(t.extremes ? 0 : c.integer(0, 255));
  for (uint8_t& x : a_store) x = t.extremes ? 255 : t.flat ? a_zp : static_cast<uint8_t>(c.integer(0, 255));
  std::vector<uint8_t> b(t.k * t.n);
  // B' = B - 128 for uint8 weights; the narrow range is B' in [-64, 64].
  const int64_t lo = t.narrow ? -64 : -128, hi = t.narrow ? 64 : 127, shift = t.b_unsigned ? 128 : 0;
  for (uint8_t& x : b) x = static_cast<uint8_t>((t.extremes ? lo : c.integer(lo, hi)) + shift);
  std::vector<uint8_t> zps(t.zero_points == 2 ? t.n : 1);
  for (uint8_t& z : zps) z = static_cast<uint8_t>(t.b_unsigned ? c.integer(0, 255) : c.integer(-128, 127));
  QPackedB packed;
  qu8s8_gemm_pack_b(t.k, t.n, b.data(), t.n, t.b_unsigned, t.zero_points != 0 ? zps.data() : nullptr,
                    zps.size(), &packed);

  QGemmParams params;
  params.a_zero_point = a_zp;
  params.output = output;
  const std::vector<int32_t> bias = c.integers<int32_t>(t.n, -(1 << 20), 1 << 20);
  if (!t.flat && c.below(3) != 0) {
    params.stage.bias = bias.data();
    params.stage.bias_stride = c.below(2);
  }
  std::vector<float> multipliers(t.n);
  for (float& m : multipliers) m = c.uniform(-1.0f, 1.0f) * (output == QOutput::kFloat32 ? 1.0f : 1e-4f);
  // NaN, infinite and signed zero multipliers: float output keeps what they
  // give, quantized output gets the driver's safe ones.
  const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f};
  for (float& m : multipliers)
    if (c.below(6) == 0) m = specials[c.below(5)];
  params.stage.multiplier = multipliers.data();
  params.stage.multiplier_stride = c.below(2);
  if (output == QOutput::kUint8 || output == QOutput::kInt8) {
    const int lo = output == QOutput::kUint8 ? 0 : -128, hi = output == QOutput::kUint8 ? 255 : 127;
    params.stage.zero_point = static_cast<int32_t>(c.integer(lo, hi));
    params.stage.out_min = static_cast<int32_t>(c.integer(lo, lo + 20));
    params.stage.out_max = static_cast<int32_t>(c.integer(hi - 20, hi));
  } else if (output == QOutput::kFloat32 && c.below(3) != 0) {
    // [0, max] (ReLU) keeps -0 from a zero sum times a negative multiplier, as the scalar selects do.
    params.stage.fmin = c.below(2) == 0 ? 0.0f : c.uniform(-100.0f, 0.0f);
    params.stage.fmax = c.uniform(0.0f, 100.0f);
  }

  const std::size_t size = qgemm_output_size(output);
  std::vector<uint8_t> got(1 + t.m * ldc * size, 0xA5), want(got);
  qu8s8_gemm(v, t.m, a, lda, packed, got.data() + 1, ldc, params);
  qu8s8_gemm(ref, t.m, a, lda, packed, want.data() + 1, ldc, params);
  const char* kinds[] = {"int32", "uint8", "int8", "float32"};
  c.same(got.data(), want.data(), got.size(), "m=%zu n=%zu k=%zu %s%s zp=%d a_zp=%d", t.m, t.n, t.k,
         kinds[static_cast<int>(output)], t.b_unsigned ? " u8 weights" : "", t.zero_points, params.a_zero_point);
  if (output != QOutput::kInt32) return;
  // int32 output also against the plain sums (packing, edges and zero-point
  // terms included), modulo 2^32.
  std::vector<int32_t> plain(t.m * t.n), stored(t.m * t.n);
  for (std::size_t i = 0; i < t.m; ++i)
    for (std::size_t j = 0; j < t.n; ++j) {
      const int32_t b_zp = t.zero_points == 0 ? 0 : t.b_unsigned ? zps[t.zero_points == 2 ? j : 0]
                                                                 : static_cast<int8_t>(zps[t.zero_points == 2 ? j : 0]);
      uint32_t acc = params.stage.bias != nullptr ? static_cast<uint32_t>(bias[j * params.stage.bias_stride]) : 0u;
      for (std::size_t kk = 0; kk < t.k; ++kk) {
        const int32_t bv = t.b_unsigned ? b[kk * t.n + j] : static_cast<int8_t>(b[kk * t.n + j]);
        acc += static_cast<uint32_t>((a[i * lda + kk] - a_zp) * (bv - b_zp));
      }
      plain[i * t.n + j] = static_cast<int32_t>(acc);
      std::memcpy(&stored[i * t.n + j], &got[1 + (i * ldc + j) * 4], 4);
    }
  c.same(stored.data(), plain.data(), plain.size(), "m=%zu n=%zu k=%zu: int32 against the plain sums", t.m, t.n, t.k);
}

}  // namespace

CHECK_FAMILY("qu8s8-gemm") {
  const QGemmVariant& ref = kQGemmVariants[kQGemmVariantCount - 1];
  const QOutput outputs[] = {QOutput::kInt32, QOutput::kUint8, QOutput::kInt8, QOutput::kFloat32};
  c.variants(kQGemmVariants, kQGemmVariantCount, [&](const QGemmVariant& v) {
    std::vector<Case> cases;
    const std::vector<std::size_t> ms = c.sizes({v.mr, 16}), ns = c.sizes({kQGemmNr, v.nr}), ks = c.sizes({4, 16});
    for (std::size_t m : ms) cases.push_back({m, 1 + c.below(40), 1 + c.below(70)});
    for (std::size_t n : ns) cases.push_back({1 + c.below(9), n, 1 + c.below(70)});
    for (std::size_t k : ks) cases.push_back({1 + c.below(9), 1 + c.below(40), k});
    for (Case& t : cases) {
      t.b_unsigned = c.below(4) == 0;
      t.zero_points = static_cast<int>(c.below(3));
    }
    // 140000 products of 255 * -64 (-128 is twice that) pass -2^31: the sums wrap.
    cases.push_back({2, 17, 140001, false, 0, true});
    cases.push_back({3, 5, 140003, true, 1, true});
    for (std::size_t i = 0; i < 4; ++i) {
      Case t{1 + c.below(9), 1 + c.below(40), 1 + c.below(70)};
      t.flat = true;
      cases.push_back(t);
    }
    // Variants that need narrow weights (vpmaddubsw) get the weights they are dispatched on.
    for (Case& t : cases) t.narrow = v.needs_narrow;
    for (std::size_t i = 0; i < cases.size(); ++i) run(c, v, ref, cases[i], cases[i].extremes ? QOutput::kInt32 : cases[i].flat ? QOutput::kFloat32 : outputs[i % 4]);
  });
  QPackedB wide;
  std::vector<int8_t> b = c.integers<int8_t>(64, -128, 127);
  b[0] = -128;  // not narrow
  qu8s8_gemm_pack_b(4, 16, b.data(), 16, false, nullptr, 0, &wide);
  c.best(qu8s8_gemm_best(wide).name);
}
