// Packs B into the c4 panel layout of qu8s8-gemm.h, with the column sums the
// driver's zero-point correction needs and the `narrow` flag that decides
// whether the fast vpmaddubsw kernels are exact for this B.
#include <cassert>
#include <vector>

#include "qu8s8-gemm.h"

namespace sparq {

void qu8s8_gemm_pack_b(std::size_t k, std::size_t n, const void* b, std::size_t ldb, bool b_unsigned,
                       const void* zero_points, std::size_t zero_point_count, QPackedB* out) {
  assert(out != nullptr && ldb >= n && (b != nullptr || k == 0 || n == 0));
  assert(zero_points == nullptr || zero_point_count == 1 || zero_point_count == n);
  const std::size_t nr = kQGemmNr, kr = kQGemmKr;
  const std::size_t panels = (n + nr - 1) / nr;
  const std::size_t k_padded = (k + kr - 1) / kr * kr;
  out->k = k;
  out->n = n;
  out->k_padded = k_padded;
  out->panels.assign(panels * k_padded * nr, 0);
  out->column_sums.assign(panels * nr, 0);
  out->zero_points.assign(panels * nr, 0);

  // uint8 values shift by -128 into int8: (b - 128) - (zp - 128) == b - zp.
  const int shift = b_unsigned ? -128 : 0;
  auto value = [&](const void* base, std::size_t i) {
    return b_unsigned ? static_cast<const uint8_t*>(base)[i] + shift : static_cast<const int8_t*>(base)[i];
  };

  // Summed modulo 2^32 like every other term of the correction.
  std::vector<uint32_t> sums(n, 0);
  bool narrow = true;
  for (std::size_t kk = 0; kk < k; ++kk) {
    for (std::size_t j = 0; j < n; ++j) {
      const int v = value(b, kk * ldb + j);
      narrow = narrow && v >= -64 && v <= 64;
      out->panels[(j / nr) * k_padded * nr + (kk / kr) * nr * kr + (j % nr) * kr + kk % kr] = static_cast<int8_t>(v);
      sums[j] += static_cast<uint32_t>(v);
    }
  }
  out->narrow = narrow;
  for (std::size_t j = 0; j < n; ++j) out->column_sums[j] = static_cast<int32_t>(sums[j]);

  // A missing zero point is 0 in B's own type: -128 after the uint8 shift.
  bool has_zero_points = false;
  for (std::size_t j = 0; j < n; ++j) {
    const int zp = zero_points != nullptr ? value(zero_points, zero_point_count == 1 ? 0 : j) : shift;
    out->zero_points[j] = zp;
    has_zero_points = has_zero_points || zp != 0;
  }
  out->has_zero_points = has_zero_points;
}

}  // namespace sparq
