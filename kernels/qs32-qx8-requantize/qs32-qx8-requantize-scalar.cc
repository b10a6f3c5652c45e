// Portable qs32-qx8-requantize: the formula of the header, one element at a
// time. Every other variant must match this bit for bit.
//
// Float exactness: the only float operations are int32 -> float (round to
// nearest even), one multiply, compares/selects and lrintf (round half to
// even in the default rounding mode). There is no a*b+c anywhere, so FP
// contraction (GCC's default -ffp-contract=fast, which would fuse into FMA on
// targets that have it, e.g. AArch64) has nothing to fuse.
#include <cassert>
#include <cmath>
#include <cstdint>

#include "qs32-qx8-requantize.h"

namespace sparq {
namespace {

// float(acc[i] + bias) * multiplier; the add wraps modulo 2^32 like the
// gemm's int32 accumulation (done in uint32 to avoid signed-overflow UB).
inline float scaled(const int32_t* acc, const RequantizeRow& p, std::size_t i) {
  const uint32_t bias = p.bias != nullptr ? static_cast<uint32_t>(p.bias[i * p.bias_stride]) : 0u;
  const int32_t sum = static_cast<int32_t>(static_cast<uint32_t>(acc[i]) + bias);
  return static_cast<float>(sum) * p.multiplier[i * p.multiplier_stride];
}

template <typename T>
void to_q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, T* y) {
  assert(p.multiplier != nullptr && p.multiplier_stride <= 1 && p.bias_stride <= 1);
  assert(p.out_min <= p.out_max);
  // |zero_point| <= 2^22 keeps the float bounds below exact.
  assert(p.zero_point >= -(1 << 22) && p.zero_point <= (1 << 22));
  // Clamp in float to [out_min - zp, out_max - zp]: the bounds are integers,
  // so rounding the clamped value and adding zp equals saturating afterwards,
  // and huge values or +-inf never reach the int conversion.
  const float lo = static_cast<float>(p.out_min - p.zero_point);
  const float hi = static_cast<float>(p.out_max - p.zero_point);
  for (std::size_t i = 0; i < n; i++) {
    float x = scaled(acc, p, i);
    x = x == x ? x : 0.0f;  // NaN (only from a NaN/inf multiplier) -> zero point
    x = lo > x ? lo : x;
    x = hi < x ? hi : x;
    y[i] = static_cast<T>(static_cast<int32_t>(std::lrintf(x)) + p.zero_point);
  }
}

}  // namespace

void qs32_qx8_requantize_scalar_to_uint8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  assert(p.out_min >= 0 && p.out_max <= 255);
  to_q8(n, acc, p, static_cast<uint8_t*>(out));
}

void qs32_qx8_requantize_scalar_to_int8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  assert(p.out_min >= -128 && p.out_max <= 127);
  to_q8(n, acc, p, static_cast<int8_t*>(out));
}

void qs32_qx8_requantize_scalar_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out) {
  assert(p.multiplier != nullptr && p.multiplier_stride <= 1 && p.bias_stride <= 1);
  for (std::size_t i = 0; i < n; i++) {
    float x = scaled(acc, p, i);
    // Written as the AVX2 max_ps(fmin, x) / min_ps(fmax, x) select so NaN
    // handling matches too: a NaN x stays NaN, a NaN bound is ignored.
    x = p.fmin > x ? p.fmin : x;
    x = p.fmax < x ? p.fmax : x;
    out[i] = x;
  }
}

}  // namespace sparq
