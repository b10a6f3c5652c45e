// Portable f32-qx8-quantize: the formula of the header, one element at a time.
// Every other variant must match this bit for bit.
//
// Float exactness: one IEEE division (not a multiply by 1/scale, which rounds
// differently for some x), compares/selects and lrintf (round half to even in
// the default rounding mode). No a*b+c, so FP contraction cannot change it.
#include <cassert>
#include <cmath>
#include <cstdint>

#include "f32-qx8-quantize.h"

namespace sparq {
namespace {

template <typename T>
void quantize(std::size_t n, const float* x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax, T* y) {
  // Clamping in float to [qmin - zp, qmax - zp] before rounding equals
  // saturating after it (the bounds are integers) and keeps +-inf and huge
  // quotients away from the int conversion.
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  for (std::size_t i = 0; i < n; i++) {
    float q = x[i] / scale;
    q = q == q ? q : 0.0f;  // NaN -> zero point
    q = lo > q ? lo : q;
    q = hi < q ? hi : q;
    y[i] = static_cast<T>(static_cast<int32_t>(std::lrintf(q)) + zero_point);
  }
}

}  // namespace

void f32_qx8_quantize_scalar_to_uint8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= 0 && zero_point <= 255);
  quantize(n, x, scale, zero_point, 0, 255, static_cast<uint8_t*>(y));
}

void f32_qx8_quantize_scalar_to_int8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= -128 && zero_point <= 127);
  quantize(n, x, scale, zero_point, -128, 127, static_cast<int8_t*>(y));
}

}  // namespace sparq
