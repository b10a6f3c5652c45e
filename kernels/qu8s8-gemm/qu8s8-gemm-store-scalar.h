// The output stage of the portable qu8s8 kernels (qu8s8-gemm and
// qu8s8-spmm scalar variants), one element at a time. Internal linkage
// (anonymous namespace): each including file compiles its own copy, with no
// ISA flags (only portable files include it).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"

namespace sparq {
namespace {

// qs32-qx8-requantize's scalar formula on one element (see QGemmStore; the
// driver has made quantized stages' products NaN-free). The only float
// operations are int32 -> float, one multiply, selects and lrintf (round half
// to even in the default mode): nothing FP contraction could fuse.
float scaled(uint32_t acc, const QGemmStore& s, std::size_t j) {
  return static_cast<float>(static_cast<int32_t>(acc)) * s.multipliers[j];
}

int32_t quantized(uint32_t acc, const QGemmStore& s, std::size_t j) {
  float x = scaled(acc, s, j);
  x = s.lo > x ? s.lo : x;
  x = s.hi < x ? s.hi : x;
  return static_cast<int32_t>(std::lrintf(x)) + s.zero_point;
}

float clamped(uint32_t acc, const QGemmStore& s, std::size_t j) {
  float x = scaled(acc, s, j);
  x = s.lo > x ? s.lo : x;  // a NaN x stays NaN, as in the AVX max/min order
  x = s.hi < x ? s.hi : x;
  return x;
}

// 4-byte outputs go through memcpy: C need not be aligned to its element (the
// SIMD variants store unaligned too, and the kernel check passes C one byte
// off), and a plain int32/float store through a misaligned pointer is
// undefined behaviour. Compilers turn the memcpy into one store.
void put(uint32_t acc, const QGemmStore& s, std::size_t j, void* c, std::size_t at) {
  switch (s.output) {
    case QOutput::kInt32: {
      const int32_t v = static_cast<int32_t>(acc);
      std::memcpy(static_cast<char*>(c) + at * sizeof v, &v, sizeof v);
      break;
    }
    case QOutput::kUint8: static_cast<uint8_t*>(c)[at] = static_cast<uint8_t>(quantized(acc, s, j)); break;
    case QOutput::kInt8: static_cast<int8_t*>(c)[at] = static_cast<int8_t>(quantized(acc, s, j)); break;
    case QOutput::kFloat32: {
      const float v = clamped(acc, s, j);
      std::memcpy(static_cast<char*>(c) + at * sizeof v, &v, sizeof v);
      break;
    }
  }
}

}  // namespace
}  // namespace sparq
