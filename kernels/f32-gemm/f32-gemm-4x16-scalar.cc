// Portable f32-gemm microkernel: a 4x16 tile kept in a local array. The inner
// loop over the 16 panel columns has a fixed trip count, so compilers turn it
// into baseline SIMD (SSE2 on x86-64) without any ISA flags.
#include <cassert>

#include "f32-gemm.h"

namespace sparq {

// A 16-column variant reads a single panel, so it never needs panel_stride.
void f32_gemm_4x16_scalar(std::size_t mr, std::size_t nr, std::size_t kc, const float* a, std::size_t lda,
                          const float* panel, std::size_t /*panel_stride*/, float* c, std::size_t ldc,
                          bool accumulate, bool last, const float* bias, float min, float max) {
  constexpr std::size_t kMr = 4;
  constexpr std::size_t kNr = kF32GemmNr;
  assert(mr >= 1 && mr <= kMr);
  assert(nr >= 1 && nr <= kNr);

  // Rows past mr repeat row mr - 1 so the k loop always runs the full tile;
  // they are never stored.
  const float* rows[kMr];
  for (std::size_t r = 0; r < kMr; ++r) rows[r] = a + (r < mr ? r : mr - 1) * lda;

  float acc[kMr][kNr] = {};
  if (accumulate) {
    for (std::size_t r = 0; r < mr; ++r)
      for (std::size_t j = 0; j < nr; ++j) acc[r][j] = c[r * ldc + j];
  }
  for (std::size_t k = 0; k < kc; ++k) {
    const float* b = panel + k * kNr;
    for (std::size_t r = 0; r < kMr; ++r) {
      const float av = rows[r][k];
      for (std::size_t j = 0; j < kNr; ++j) acc[r][j] += av * b[j];
    }
  }
  for (std::size_t r = 0; r < mr; ++r) {
    for (std::size_t j = 0; j < nr; ++j) {
      float v = acc[r][j];
      if (last) {
        if (bias != nullptr) v += bias[j];
        // Written so NaN passes through, like the AVX2 max/min operand order.
        v = v < min ? min : v;
        v = v > max ? max : v;
      }
      c[r * ldc + j] = v;
    }
  }
}

}  // namespace sparq
