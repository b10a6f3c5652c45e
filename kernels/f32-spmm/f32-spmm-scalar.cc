// Portable f32-spmm: one kernel body, Spmm<R, Entries>, for every format (see
// f32-spmm-entries.h). One block row of R output rows at a time, a run of M
// values at a time, accumulated in a small local buffer the compiler can keep
// vectorized. Returns whether a sum (before its clamp) was Inf or NaN.
#include <algorithm>
#include <cmath>

#include "f32-spmm-entries.h"
#include "f32-spmm.h"

namespace sparq {
namespace {

template <std::size_t R, typename Entries>
struct Spmm {
  static bool run(const F32SparseWeights& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                  std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                  const F32SpmmParams& params) {
    constexpr std::size_t kRun = 64 / R;
    float acc[R][kRun];
    bool seen = false;
    for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) {
      for (std::size_t m0 = m_begin; m0 < m_end; m0 += kRun) {
        const std::size_t len = std::min(kRun, m_end - m0);
        for (std::size_t i = 0; i < R; ++i) std::fill(acc[i], acc[i] + len, params.bias != nullptr ? params.bias[r0 + i] : 0.0f);
        Entries::template each<1>(w, r0 / R, [&](std::size_t k, std::size_t p, auto) {
          const float* xr = x + k * ldx + m0;
          for (std::size_t i = 0; i < R; ++i) {
            const float v = w.values[p * R + i];
            for (std::size_t j = 0; j < len; ++j) acc[i][j] += v * xr[j];
          }
        });
        for (std::size_t i = 0; i < R; ++i) {
          float* yr = y + (r0 + i) * ldy + m0;
          for (std::size_t j = 0; j < len; ++j) {
            seen |= !std::isfinite(acc[i][j]);
            yr[j] = std::min(std::max(acc[i][j], params.min), params.max);
          }
        }
      }
    }
    return seen;
  }
};

}  // namespace

F32SpmmFn f32_spmm_scalar(F32SpmmFormat format) { return format_kernel<Spmm>(format); }

}  // namespace sparq
