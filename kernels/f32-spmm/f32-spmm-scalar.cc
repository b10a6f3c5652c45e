// Portable f32-spmm: one output row at a time, a run of M values at a time,
// accumulated in a small local buffer the compiler can keep vectorized.
#include <algorithm>

#include "f32-spmm.h"

namespace sparq {

void f32_spmm_scalar(const F32Csr& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                     std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                     const F32SpmmParams& params) {
  constexpr std::size_t kRun = 64;
  float acc[kRun];
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const float bias = params.bias != nullptr ? params.bias[n] : 0.0f;
    for (std::size_t m0 = m_begin; m0 < m_end; m0 += kRun) {
      const std::size_t len = std::min(kRun, m_end - m0);
      std::fill(acc, acc + len, bias);
      for (int32_t p = w.indptr[n]; p < w.indptr[n + 1]; ++p) {
        const float v = w.values[p];
        const float* xr = x + static_cast<std::size_t>(w.indices[p]) * ldx + m0;
        for (std::size_t j = 0; j < len; ++j) acc[j] += v * xr[j];
      }
      float* yr = y + n * ldy + m0;
      for (std::size_t j = 0; j < len; ++j) yr[j] = std::min(std::max(acc[j], params.min), params.max);
    }
  }
}

}  // namespace sparq
