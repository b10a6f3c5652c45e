// qu8s8-spmm: sparse int8 weights as packQ8Sparse accepts them (indptr from
// 0, not decreasing; groups in [0, ceil(k / 4)), repeated and unsorted
// ones included; any words with 0 for the weights past k), every output kind and stage, channels-first
// (X [k, m]) and channels-last (X [pixels, k]) with strides and exactly the
// binding's minimum lengths. Every variant equals the scalar one byte for
// byte, C's gaps included, and channels-last equals the channels-first
// product on X^T.
#include <vector>

#include "fuzz.h"
#include "kernels/qu8s8-spmm/qu8s8-spmm.h"
#include "q-output.h"

using namespace sparq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  const std::size_t rows = in.size(0, 40), k = in.size(0, 130), groups = (k + kQSpmmKr - 1) / kQSpmmKr;
  std::vector<int32_t> indptr{0};
  for (std::size_t r = 0; r < rows; ++r) indptr.push_back(indptr.back() + static_cast<int32_t>(groups == 0 ? 0 : in.size(0, in.flag() ? 3 : 40)));
  const std::size_t entries = static_cast<std::size_t>(indptr.back());
  const std::vector<int32_t> group = in.integers<int32_t>(entries, 0, groups == 0 ? 0 : static_cast<int32_t>(groups - 1));
  const std::vector<uint8_t> word_bytes = in.bytes(entries * 4);
  std::vector<int32_t> words(entries);
  if (entries > 0) std::memcpy(words.data(), word_bytes.data(), word_bytes.size());
  // The last group's weights past k are 0 (packQ8Sparse refuses others).
  if (k % kQSpmmKr != 0)
    for (std::size_t e = 0; e < entries; ++e)
      if (static_cast<std::size_t>(group[e]) == k / kQSpmmKr)
        words[e] = static_cast<int32_t>(static_cast<uint32_t>(words[e]) & ~(~0u << (8 * (k % kQSpmmKr))));
  QSparseW w;
  qu8s8_spmm_pack(rows, k, indptr.data(), group.data(), words.data(), &w);
  fuzz::QOutputStage stage = fuzz::q_output_stage(in, rows);
  const QGemmParams& params = stage.params;
  const std::size_t elem = qgemm_output_size(params.output);
  const QSpmmVariant& ref = kQSpmmVariants[kQSpmmVariantCount - 1];

  // Channels-first: ldx >= m, x [(k - 1) * ldx + m]; c [(rows - 1) * ldc + m].
  const std::size_t m = in.size(0, 100), ldx = m + in.size(0, 3), ldc = m + in.size(0, 3);
  const std::vector<uint8_t> x = in.bytes(k == 0 || m == 0 ? 0 : (k - 1) * ldx + m);
  const std::size_t c_len = rows == 0 || m == 0 ? 0 : (rows - 1) * ldc + m;
  std::vector<uint8_t> want(c_len * elem, 0xA5);
  qu8s8_spmm(ref, w, m, x.data(), ldx, want.data(), ldc, params);
  fuzz::each_variant(kQSpmmVariants, kQSpmmVariantCount - 1, [&](const QSpmmVariant& v) {
    std::vector<uint8_t> got(c_len * elem, 0xA5);
    qu8s8_spmm(v, w, m, x.data(), ldx, got.data(), ldc, params);
    fuzz::same_bytes(v.name, "C", got.data(), want.data(), got.size());
  });

  // Channels-last on X^T: x [(pixels - 1) * ldxt + k], c [(pixels - 1) * ldct + rows].
  const std::size_t pixels = m, ldxt = k + in.size(0, 3), ldct = rows + in.size(0, 3);
  std::vector<uint8_t> xt(pixels == 0 ? 0 : (pixels - 1) * ldxt + k);
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t kk = 0; kk < k; ++kk) xt[p * ldxt + kk] = x[kk * ldx + p];
  for (std::size_t p = 0; p + 1 < pixels; ++p)  // the row gaps hold bytes no weight may meet
    for (std::size_t kk = k; kk < ldxt; ++kk) xt[p * ldxt + kk] = 0xFF;
  const std::size_t ct_len = pixels == 0 ? 0 : (pixels - 1) * ldct + rows;
  std::vector<uint8_t> want_t(ct_len * elem, 0xA5);
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t n = 0; n < rows; ++n) std::memcpy(&want_t[(p * ldct + n) * elem], &want[(n * ldc + p) * elem], elem);
  fuzz::each_variant(kQSpmmVariants, kQSpmmVariantCount, [&](const QSpmmVariant& v) {
    std::vector<uint8_t> got(ct_len * elem, 0xA5);
    qu8s8_spmm_nhwc(v, w, pixels, xt.data(), ldxt, got.data(), ldct, params);
    fuzz::same_bytes(v.name, "channels-last C against the channels-first product", got.data(), want_t.data(), got.size());
  });
  return 0;
}
