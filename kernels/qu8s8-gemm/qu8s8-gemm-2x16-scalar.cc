// Portable qu8s8-gemm microkernel: exact for any weights, the fallback of
// every CPU. Sums are kept in uint32 so int32 wraparound is defined behavior
// and matches the SIMD kernels' vpaddd bit for bit.
#include <cassert>
#include <cmath>
#include <cstdint>

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

void put(uint32_t acc, const QGemmStore& s, std::size_t j, void* c, std::size_t at) {
  switch (s.output) {
    case QOutput::kInt32: static_cast<int32_t*>(c)[at] = static_cast<int32_t>(acc); break;
    case QOutput::kUint8: static_cast<uint8_t*>(c)[at] = static_cast<uint8_t>(quantized(acc, s, j)); break;
    case QOutput::kInt8: static_cast<int8_t*>(c)[at] = static_cast<int8_t>(quantized(acc, s, j)); break;
    case QOutput::kFloat32: static_cast<float*>(c)[at] = clamped(acc, s, j); break;
  }
}

}  // namespace

void qu8s8_gemm_2x16_scalar(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                            const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                            const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  constexpr std::size_t kMr = 2, kNr = kQGemmNr, kKr = kQGemmKr;
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kNr && kc % kKr == 0);
  uint32_t acc[kMr][kNr] = {};
  for (std::size_t k0 = 0; k0 < kc; k0 += kKr, panel += kNr * kKr) {
    for (std::size_t i = 0; i < mr; ++i) {
      const uint8_t* ai = a + i * lda + k0;
      for (std::size_t j = 0; j < kNr; ++j) {
        const int8_t* bj = panel + j * kKr;
        const int32_t dot = ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3];  // |dot| < 2^17
        acc[i][j] += static_cast<uint32_t>(dot);
      }
    }
  }
  for (std::size_t i = 0; i < mr; ++i) {
    for (std::size_t j = 0; j < nc; ++j) {
      uint32_t v = acc[i][j] + static_cast<uint32_t>(col_terms[j]);
      if (col_zero_points != nullptr) v -= static_cast<uint32_t>(row_sums[i]) * static_cast<uint32_t>(col_zero_points[j]);
      put(v, store, j, c, i * ldc + j);
    }
  }
}

}  // namespace sparq
