// f32-spmm: csr, bsr 4x1 / 8x1 and N:M weights as the binding accepts them
// (indptr from 0, not decreasing; indices in [0, k), unsorted and repeated
// ones included; N:M positions in [0, groupSize), repeats included), X with
// Inf and NaN, any min/max, channels-first (the GEMV path at ldx = 1 too)
// and channels-last. Every variant is within the TS tests' tolerance of the
// scalar one; channels-last equals the variant's own channels-first product
// on X^T bit for bit, as the header states.
#include <algorithm>
#include <vector>

#include "fuzz.h"
#include "kernels/f32-spmm/f32-spmm.h"

using namespace sparq;

namespace {

struct Weights {
  F32SparseWeights w;
  std::vector<int32_t> indptr, indices;
  std::vector<uint8_t> positions;
  std::vector<float> values;
  std::size_t longest_row = 0;  // stored entries of the fullest row
};

Weights weights(fuzz::Input& in, F32SpmmFormat format) {
  Weights s;
  F32SparseWeights& w = s.w;
  const std::size_t r = f32_spmm_block_rows(format);
  w.rows = r * in.size(0, 64 / r);
  if (format == F32SpmmFormat::kNm) {
    // n in [1, 255], groupSize in [n, 255] dividing k; positions and values [rows, k / groupSize * n].
    w.nm_n = in.size(1, 8);
    w.nm_m = in.size(w.nm_n, in.flag() ? 16 : 255);
    w.groups = in.size(0, 96 / w.nm_m + 1);
    w.cols = w.groups * w.nm_m;
    const std::size_t slots = w.rows * w.groups * w.nm_n;
    s.positions = in.bytes(slots);
    for (uint8_t& p : s.positions) p = static_cast<uint8_t>(p % w.nm_m);
    s.values = in.floats(slots, 1.0f, false);
    w.positions = s.positions.data();
    s.longest_row = w.groups * w.nm_n;
  } else {
    w.cols = in.size(0, 120);
    const std::size_t blocks = w.rows / r;
    s.indptr.push_back(0);
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t count = w.cols == 0 ? 0 : in.size(0, in.flag() ? 4 : 40);
      s.indptr.push_back(s.indptr.back() + static_cast<int32_t>(count));
      s.longest_row = std::max(s.longest_row, count);
    }
    const std::size_t nnz = static_cast<std::size_t>(s.indptr.back());
    s.indices = in.integers<int32_t>(nnz, 0, w.cols == 0 ? 0 : static_cast<int32_t>(w.cols - 1));
    s.values = in.floats(nnz * r, 1.0f, false);
    w.indptr = s.indptr.data();
    w.indices = s.indices.data();
  }
  w.values = s.values.data();
  return s;
}

// X with a few Inf and NaN when the input asks for them.
std::vector<float> activations(fuzz::Input& in, std::size_t n) {
  std::vector<float> x = in.floats(n, 1.0f, false);
  const float specials[] = {INFINITY, -INFINITY, NAN};
  for (std::size_t i = in.size(0, 3); i > 0 && n > 0; --i) x[in.size(0, n - 1)] = specials[in.pick(3)];
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  fuzz::threads_from(in);
  const F32SpmmFormat formats[] = {F32SpmmFormat::kCsr, F32SpmmFormat::kBsr4x1, F32SpmmFormat::kBsr8x1, F32SpmmFormat::kNm};
  const F32SpmmFormat format = formats[in.pick(4)];
  const Weights s = weights(in, format);
  const F32SparseWeights& w = s.w;
  std::vector<float> bias;
  F32SpmmParams params;
  if (in.flag()) {
    bias = in.floats(w.rows, 1.0f, false);
    params.bias = bias.data();
  }
  if (in.flag()) params.min = in.value(2.0f), params.max = in.value(2.0f);  // number_arg: any number
  const float atol = 1e-5f + static_cast<float>(w.cols + s.longest_row) * 2e-7f;
  const F32SpmmVariant& ref = kF32SpmmVariants[kF32SpmmVariantCount - 1];

  if (in.flag()) {
    // Channels-first: ldx, ldy >= m; x [(k - 1) * ldx + m], y [(rows - 1) * ldy + m].
    const std::size_t m = in.size(0, 100);
    const bool gemv = m == 1 && in.flag();
    const std::size_t ldx = gemv ? 1 : m + in.size(0, 3), ldy = m + in.size(0, 3);
    const std::vector<float> x = activations(in, w.cols == 0 || m == 0 ? 0 : (w.cols - 1) * ldx + m);
    const std::size_t y_len = w.rows == 0 || m == 0 ? 0 : (w.rows - 1) * ldy + m;
    std::vector<float> want(y_len, -7.0f);
    f32_spmm(ref, format, w, m, x.data(), ldx, want.data(), ldy, params);
    fuzz::each_variant(kF32SpmmVariants, kF32SpmmVariantCount - 1, [&](const F32SpmmVariant& v) {
      std::vector<float> got(y_len, -7.0f);
      f32_spmm(v, format, w, m, x.data(), ldx, got.data(), ldy, params);
      fuzz::close_floats(v.name, "Y", got.data(), want.data(), y_len, 1e-5f, atol);
    });
    return 0;
  }
  // Channels-last: ldx >= k, ldy >= rows; x [(pixels - 1) * ldx + k], y [(pixels - 1) * ldy + rows].
  const std::size_t pixels = in.size(0, 150), ldx = w.cols + in.size(0, 3), ldy = w.rows + in.size(0, 3);
  const std::vector<float> x = activations(in, pixels == 0 ? 0 : (pixels - 1) * ldx + w.cols);
  const std::size_t y_len = pixels == 0 ? 0 : (pixels - 1) * ldy + w.rows;
  // X^T [k, pixels] (row stride pixels + 1, never the GEMV path) for the channels-first products.
  const std::size_t ldt = pixels + 1;
  std::vector<float> xt(w.cols * ldt, 0.0f);
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t k = 0; k < w.cols; ++k) xt[k * ldt + p] = x[p * ldx + k];
  std::vector<float> want(y_len, -7.0f);
  f32_spmm_nhwc(ref, format, w, pixels, x.data(), ldx, want.data(), ldy, params);
  fuzz::each_variant(kF32SpmmVariants, kF32SpmmVariantCount, [&](const F32SpmmVariant& v) {
    std::vector<float> got(y_len, -7.0f), yt(w.rows * ldt, 0.0f), own(y_len, -7.0f);
    f32_spmm_nhwc(v, format, w, pixels, x.data(), ldx, got.data(), ldy, params);
    fuzz::close_floats(v.name, "channels-last Y", got.data(), want.data(), y_len, 1e-5f, atol);
    f32_spmm(v, format, w, pixels, xt.data(), ldt, yt.data(), ldt, params);
    for (std::size_t p = 0; p < pixels; ++p)
      for (std::size_t n = 0; n < w.rows; ++n) own[p * ldy + n] = yt[n * ldt + p];
    fuzz::same_floats(v.name, "channels-last Y against its channels-first product", got.data(), own.data(), y_len);
  });
  return 0;
}
