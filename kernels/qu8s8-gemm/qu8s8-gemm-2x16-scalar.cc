// Portable qu8s8-gemm microkernel: exact for any weights, the fallback of
// every CPU. Sums are kept in uint32 so int32 wraparound is defined behavior
// and matches the SIMD kernels' vpaddd bit for bit.
#include <cassert>
#include <cstdint>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-scalar.h"

namespace sparq {

void qu8s8_gemm_2x16_scalar(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                            const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                            const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  constexpr std::size_t kMr = 2, kNr = kQGemmNr, kKr = kQGemmKr;
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kNr && kc % kKr == 0);
  uint32_t acc[kMr][kNr] = {};
  for (std::size_t k0 = 0; k0 < kc; k0 += kKr, panel += kNr * kKr) {
    for (std::size_t i = 0; i < mr; ++i) {
      const uint8_t* ai = a + i * lda + k0;
      for (std::size_t j = 0; j < kNr; ++j) {
        const int8_t* bj = panel + j * kKr;
        const int32_t dot = ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3];  // |dot| < 2^17
        acc[i][j] += static_cast<uint32_t>(dot);
      }
    }
  }
  for (std::size_t i = 0; i < mr; ++i) {
    for (std::size_t j = 0; j < nc; ++j) {
      uint32_t v = acc[i][j] + static_cast<uint32_t>(col_terms[j]);
      if (col_zero_points != nullptr) v -= static_cast<uint32_t>(row_sums[i]) * static_cast<uint32_t>(col_zero_points[j]);
      put(v, store, j, c, i * ldc + j);
    }
  }
}

}  // namespace sparq
