// qu8s8-gemm: packed weights (int8 or uint8, zero points none / per tensor /
// per column, narrow or full range), A with any stride, zero point and
// length exactly the binding's minimum, every output kind and stage. Every
// variant the binding would run on these weights (needs_narrow only on
// narrow ones) equals the scalar one byte for byte, C's gaps included, and
// int32 output equals the plain sums modulo 2^32.
#include <vector>

#include "fuzz.h"
#include "q-output.h"

using namespace sparq;

namespace {

// The plain sums, bias included, modulo 2^32.
int32_t plain_sum(const uint8_t* a_row, std::size_t k, const std::vector<uint8_t>& b, std::size_t ldb, std::size_t j,
                  bool b_unsigned, int32_t a_zp, int32_t b_zp, const int32_t* bias) {
  uint32_t acc = bias != nullptr ? static_cast<uint32_t>(bias[j]) : 0u;
  for (std::size_t kk = 0; kk < k; ++kk) {
    const int32_t bv = b_unsigned ? b[kk * ldb + j] : static_cast<int8_t>(b[kk * ldb + j]);
    acc += static_cast<uint32_t>((a_row[kk] - a_zp) * (bv - b_zp));
  }
  return static_cast<int32_t>(acc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  // packQ8Weights: k, n >= 1, ldb >= n, b [(k - 1) * ldb + n].
  // Sums that wrap int32 need K > 2^31 / (255 * 128): rare (the last choice; short inputs decode to the first).
  const bool long_k = in.pick(64) == 63;
  const std::size_t k = long_k ? in.size(65000, 140000) : in.size(1, 300);
  const std::size_t n = long_k ? in.size(1, 20) : in.size(1, 80);
  const std::size_t m = long_k ? in.size(0, 3) : in.size(0, 40);
  const std::size_t ldb = n + in.size(0, 3);
  const bool b_unsigned = in.flag();
  const int range = static_cast<int>(in.pick(3));  // 0: full, 1: narrow (B' in [-64, 64]), 2: extremes only
  std::vector<uint8_t> b = in.bytes((k - 1) * ldb + n);
  for (uint8_t& x : b) {
    int32_t signed_b = static_cast<int8_t>(x);  // B' = B - 128 for uint8 weights
    if (range == 1) signed_b = signed_b / 2 == 64 ? 64 : signed_b / 2;
    if (range == 2) signed_b = signed_b < 0 ? -128 : 127;
    x = static_cast<uint8_t>(signed_b + (b_unsigned ? 128 : 0));
  }
  // zeroPoints: null, 1 or n values of B's type.
  const std::size_t zp_kind = in.pick(3);
  std::vector<uint8_t> zps = in.bytes(zp_kind == 0 ? 0 : zp_kind == 1 ? 1 : n);
  QPackedB packed;
  qu8s8_gemm_pack_b(k, n, b.data(), ldb, b_unsigned, zps.empty() ? nullptr : zps.data(), zps.size(), &packed);

  // qu8s8Gemm: lda >= k, a [(m - 1) * lda + k] (no more: the driver must not read past it).
  const std::size_t lda = k + in.size(0, 5), ldc = n + in.size(0, 3);
  fuzz::QOutputStage stage = fuzz::q_output_stage(in, n);
  const QGemmParams& params = stage.params;
  std::vector<uint8_t> a = in.bytes(m == 0 ? 0 : (m - 1) * lda + k);
  if (long_k)
    for (uint8_t& x : a) x = 255;
  const std::size_t elem = qgemm_output_size(params.output), c_len = m == 0 ? 0 : (m - 1) * ldc + n;

  const QGemmVariant& ref = kQGemmVariants[kQGemmVariantCount - 1];
  std::vector<uint8_t> want(c_len * elem, 0xA5);
  qu8s8_gemm(ref, m, a.data(), lda, packed, want.data(), ldc, params);
  fuzz::each_variant(kQGemmVariants, kQGemmVariantCount - 1, [&](const QGemmVariant& v) {
    if (v.needs_narrow && !packed.narrow) return;  // the binding refuses it for these weights
    std::vector<uint8_t> got(c_len * elem, 0xA5);
    qu8s8_gemm(v, m, a.data(), lda, packed, got.data(), ldc, params);
    fuzz::same_bytes(v.name, "C", got.data(), want.data(), got.size());
  });
  if (params.output != QOutput::kInt32) return 0;
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t zi = zps.size() == 1 ? 0 : j;
      const int32_t b_zp = zps.empty() ? 0 : b_unsigned ? zps[zi] : static_cast<int8_t>(zps[zi]);
      const int32_t plain = plain_sum(&a[i * lda], k, b, ldb, j, b_unsigned, params.a_zero_point, b_zp, params.stage.bias);
      int32_t stored;
      std::memcpy(&stored, &want[(i * ldc + j) * 4], 4);
      if (stored != plain) fuzz::fail(ref.name, "int32 C against the plain sums", i * ldc + j, stored, plain);
    }
  return 0;
}
