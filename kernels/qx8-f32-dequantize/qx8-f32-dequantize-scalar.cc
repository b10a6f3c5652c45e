// Portable qx8-f32-dequantize: y = float(x - zero_point) * scale, one element
// at a time. Every other variant must match this bit for bit.
//
// The subtraction is integer (wrapping like vpsubd, so any int32 zero point
// is defined), the conversion rounds to nearest even (exact for 8-bit
// inputs and zero points in range) and the multiply is the only float
// operation, so there is nothing for FP contraction to fuse.
#include <cstdint>

#include "qx8-f32-dequantize.h"

namespace sparq {
namespace {

template <typename T>
void dequantize(std::size_t n, const T* x, float scale, int32_t zero_point, float* y) {
  for (std::size_t i = 0; i < n; i++) {
    const int32_t d = static_cast<int32_t>(static_cast<uint32_t>(x[i]) - static_cast<uint32_t>(zero_point));
    y[i] = static_cast<float>(d) * scale;
  }
}

}  // namespace

void qx8_f32_dequantize_scalar_from_uint8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize(n, static_cast<const uint8_t*>(x), scale, zero_point, y);
}

void qx8_f32_dequantize_scalar_from_int8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y) {
  dequantize(n, static_cast<const int8_t*>(x), scale, zero_point, y);
}

}  // namespace sparq
