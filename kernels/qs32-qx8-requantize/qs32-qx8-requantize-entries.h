// The entry points every SIMD qs32-qx8-requantize variant shares: the
// argument checks, and the choice, once per call, of the instantiation for
// the row's bias and multiplier strides (per tensor or per column), so the
// vector loops test neither per element.
//
// A variant file defines a struct K with
//   template <bool kBiasVec, bool kMulVec, bool kSigned>
//   static void q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y);
//   template <bool kBiasVec, bool kMulVec>
//   static void f32(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y);
// and its three entry points as requantize_entry_to_q8<K, ...> and
// requantize_entry_to_float<K>. Include only from variant files.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "qs32-qx8-requantize.h"

namespace sparq {
namespace {

inline void check_requantize_row(const RequantizeRow& p) {
  assert(p.multiplier != nullptr && p.multiplier_stride <= 1 && p.bias_stride <= 1);
  assert(p.out_min <= p.out_max);
  assert(p.zero_point >= -(1 << 22) && p.zero_point <= (1 << 22));
  (void)p;
}

template <typename K, bool kSigned>
void requantize_entry_to_q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  assert(kSigned ? p.out_min >= -128 && p.out_max <= 127 : p.out_min >= 0 && p.out_max <= 255);
  check_requantize_row(p);
  if (n == 0) return;  // the variants read bias[0] and multiplier[0]
  uint8_t* y = static_cast<uint8_t*>(out);
  const bool bias_vec = p.bias != nullptr && p.bias_stride != 0;
  const bool mul_vec = p.multiplier_stride != 0;
  if (bias_vec) {
    mul_vec ? K::template q8<true, true, kSigned>(n, acc, p, y) : K::template q8<true, false, kSigned>(n, acc, p, y);
  } else {
    mul_vec ? K::template q8<false, true, kSigned>(n, acc, p, y) : K::template q8<false, false, kSigned>(n, acc, p, y);
  }
}

template <typename K>
void requantize_entry_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out) {
  check_requantize_row(p);
  if (n == 0) return;
  const bool bias_vec = p.bias != nullptr && p.bias_stride != 0;
  const bool mul_vec = p.multiplier_stride != 0;
  if (bias_vec) {
    mul_vec ? K::template f32<true, true>(n, acc, p, out) : K::template f32<true, false>(n, acc, p, out);
  } else {
    mul_vec ? K::template f32<false, true>(n, acc, p, out) : K::template f32<false, false>(n, acc, p, out);
  }
}

}  // namespace
}  // namespace sparq
