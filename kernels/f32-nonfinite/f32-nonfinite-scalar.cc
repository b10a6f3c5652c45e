// Portable f32-nonfinite: the largest magnitude's bits. |x| as an unsigned
// integer is at least 0x7f800000 (the bits of +Inf) exactly when x is Inf or
// NaN, and an integer max needs no branch, so the loop vectorizes.
#include <cstdint>
#include <cstring>

#include "f32-nonfinite.h"

namespace sparq {

bool f32_nonfinite_scalar(std::size_t n, const float* x, float* copy) {
  if (copy != nullptr) std::memcpy(copy, x, n * sizeof(float));
  uint32_t top = 0;
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    bits &= 0x7fffffffu;
    top = bits > top ? bits : top;
  }
  return top >= 0x7f800000u;
}

}  // namespace sparq
