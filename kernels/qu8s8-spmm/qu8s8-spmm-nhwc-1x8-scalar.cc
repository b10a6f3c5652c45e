// Portable channels-last qu8s8-spmm (the oracle of the nhwc kernels, and
// every CPU's fallback): per pixel and block of 8 channels, each stored group
// adds its 8 x 4 weights times the pixel's 4 bytes. Sums are kept in uint32
// so int32 wraparound is defined and matches the SIMD adds bit for bit.
#include <algorithm>
#include <cstdint>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-scalar.h"

namespace sparq {

void qu8s8_spmm_nhwc_1x8_scalar(const QSparseW& w, std::size_t block_begin, std::size_t block_end, std::size_t pixels,
                                const uint8_t* x, std::size_t ldx, const int32_t* col_terms, const QGemmStore& store,
                                void* y, std::size_t ldy) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const uint8_t* xp = x + p * ldx;
    for (std::size_t b = block_begin; b < block_end; ++b) {
      const std::size_t n0 = b * kQSpmmNhwcOc, nc = std::min(kQSpmmNhwcOc, w.rows - n0);
      uint32_t acc[kQSpmmNhwcOc];
      for (std::size_t i = 0; i < kQSpmmNhwcOc; ++i) acc[i] = static_cast<uint32_t>(col_terms[n0 + i]);
      for (int32_t s = w.block_ptr[b]; s < w.block_ptr[b + 1]; ++s) {
        const uint8_t* xg = xp + static_cast<std::size_t>(w.block_group[s]) * kQSpmmKr;
        const int8_t* ws = &w.block_word[static_cast<std::size_t>(s) * kQSpmmNhwcOc * kQSpmmKr];
        for (std::size_t i = 0; i < kQSpmmNhwcOc; ++i) {
          const int8_t* wi = ws + i * kQSpmmKr;
          acc[i] += static_cast<uint32_t>(xg[0] * wi[0] + xg[1] * wi[1] + xg[2] * wi[2] + xg[3] * wi[3]);
        }
      }
      for (std::size_t i = 0; i < nc; ++i) put(acc[i], store, n0 + i, y, p * ldy + n0 + i);
    }
  }
}

}  // namespace sparq
