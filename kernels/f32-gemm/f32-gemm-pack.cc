#include <cassert>
#include <cstring>

#include "f32-gemm.h"

namespace sparq {

void f32_gemm_pack_b(std::size_t k, std::size_t n, const float* b, std::size_t ldb, F32PackedB* out) {
  assert(out != nullptr);
  assert(ldb >= n);
  assert(b != nullptr || k == 0 || n == 0);
  constexpr std::size_t nr = kF32GemmNr;
  const std::size_t panels = (n + nr - 1) / nr;
  out->k = k;
  out->n = n;
  // assign() zero-fills, which is the padding past column n of the last panel.
  out->panels.assign(panels * k * nr, 0.0f);
  for (std::size_t p = 0; p < panels; ++p) {
    const std::size_t col = p * nr;
    const std::size_t width = n - col < nr ? n - col : nr;
    float* panel = out->panels.data() + p * k * nr;
    for (std::size_t kk = 0; kk < k; ++kk) std::memcpy(panel + kk * nr, b + kk * ldb + col, width * sizeof(float));
  }
}

}  // namespace sparq
