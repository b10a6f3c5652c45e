// The output stage of the NEON qu8s8 kernels (qu8s8-gemm and qu8s8-spmm,
// -neon and -neondot files only). Everything here has internal linkage
// (anonymous namespace), so each including file compiles its own copy with
// its own flags.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-output-kind.h"

namespace sparq {
namespace {

// The first n (< kMax) bytes of part at p, as fixed-size moves of kMax / 2,
// kMax / 4, ... 1 bytes: a memcpy of n bytes is a library call per row (on
// AVX2 that call cost 5-12% of the exact kernel's time on MobileNets' N = 24
// and 40 1x1 GEMMs, which leave 8 columns in every row's last panel).
template <std::size_t kMax>
inline void store_part(uint8_t* p, const uint8_t* part, std::size_t n) {
  std::size_t j = 0;
#pragma GCC unroll 6  // constant sizes: each piece one move
  for (std::size_t bytes = kMax / 2; bytes > 0; bytes /= 2)
    if (n & bytes) std::memcpy(p + j, part + j, bytes), j += bytes;
}

// The end of a tile: adds the column terms, subtracts the B zero-point
// correction and stores rows 0..mr-1 (acc[i][q]: columns 4q..4q+3) through
// the output stage of QGemmStore with the scalar store's steps, operand for
// operand, so every element equals it bit for bit: scvtf (round to nearest
// even, as static_cast<float>), one fmul, the two selects as compare + bsl
// (fmax/fmin would differ on NaN bounds and signed zeros), fcvtns (round
// half to even, as lrintf in the default mode). Its NaN step is the
// driver's (see QGemmStore). kOut is a template parameter so the row loop
// carries no branch on it. col_terms (and col_zero_points, multipliers when
// used) hold 16 readable values.
template <QOutput kOut>
void store_rows(std::size_t mr, std::size_t nc, const int32x4_t (*acc)[4], const int32_t* col_terms,
                const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                std::size_t ldc) {
  constexpr bool kQ8 = kOut == QOutput::kUint8 || kOut == QOutput::kInt8;
  constexpr std::size_t kSize = kQ8 ? 1 : 4;
  int32x4_t t[4];
  float32x4_t m[4];
#pragma GCC unroll 8
  for (std::size_t q = 0; q < 4; ++q) {
    t[q] = vld1q_s32(col_terms + 4 * q);
    m[q] = kOut != QOutput::kInt32 ? vld1q_f32(store.multipliers + 4 * q) : vdupq_n_f32(0.0f);
  }
  const float32x4_t lo = vdupq_n_f32(store.lo), hi = vdupq_n_f32(store.hi);
  const int32x4_t zp = vdupq_n_s32(store.zero_point);
  auto scaled = [&](int32x4_t v, float32x4_t mul) {
    float32x4_t x = vmulq_f32(vcvtq_f32_s32(v), mul);
    x = vbslq_f32(vcgtq_f32(lo, x), lo, x);  // lo > x ? lo : x (a NaN x stays NaN)
    return vbslq_f32(vcltq_f32(hi, x), hi, x);  // hi < x ? hi : x
  };
  for (std::size_t i = 0; i < mr; ++i) {
    int32x4_t v[4];
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) v[q] = vaddq_s32(acc[i][q], t[q]);
    if (col_zero_points != nullptr) {
      // vmls wraps modulo 2^32 like the scalar uint32 product.
      const int32x4_t s = vdupq_n_s32(row_sums[i]);
#pragma GCC unroll 8
      for (std::size_t q = 0; q < 4; ++q) v[q] = vmlsq_s32(v[q], s, vld1q_s32(col_zero_points + 4 * q));
    }
    void* row = static_cast<uint8_t*>(c) + i * ldc * kSize;
    if (kOut == QOutput::kInt32 || kOut == QOutput::kFloat32) {
      int32x4_t r[4];
#pragma GCC unroll 8
      for (std::size_t q = 0; q < 4; ++q)
        r[q] = kOut == QOutput::kFloat32 ? vreinterpretq_s32_f32(scaled(v[q], m[q])) : v[q];
      if (nc == kQGemmNr) {
#pragma GCC unroll 8
        for (std::size_t q = 0; q < 4; ++q) vst1q_s32(static_cast<int32_t*>(row) + 4 * q, r[q]);
      } else {
        // No masked stores: the part goes through a buffer.
        int32_t part[kQGemmNr];
#pragma GCC unroll 8
        for (std::size_t q = 0; q < 4; ++q) vst1q_s32(part + 4 * q, r[q]);
        store_part<sizeof(part)>(static_cast<uint8_t*>(row), reinterpret_cast<const uint8_t*>(part), nc * 4);
      }
    } else {
      // Quantized values already lie in the output range: the saturating
      // narrowings change nothing.
      int16x4_t h[4];
#pragma GCC unroll 8
      for (std::size_t q = 0; q < 4; ++q) h[q] = vqmovn_s32(vaddq_s32(vcvtnq_s32_f32(scaled(v[q], m[q])), zp));
      const int16x8_t w0 = vcombine_s16(h[0], h[1]), w1 = vcombine_s16(h[2], h[3]);
      const uint8x16_t bytes = kOut == QOutput::kInt8
                                   ? vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(w0), vqmovn_s16(w1)))
                                   : vcombine_u8(vqmovun_s16(w0), vqmovun_s16(w1));
      if (nc == kQGemmNr) {
        vst1q_u8(static_cast<uint8_t*>(row), bytes);
      } else {
        uint8_t part[kQGemmNr];
        vst1q_u8(part, bytes);
        store_part<sizeof(part)>(static_cast<uint8_t*>(row), part, nc);
      }
    }
  }
}

// store_rows for the output kind of `store`, chosen once per tile.
inline void store_tile(std::size_t mr, std::size_t nc, const int32x4_t (*acc)[4], const int32_t* col_terms,
                       const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                       std::size_t ldc) {
  with_output_kind(store.output, [&](auto kind) {
    store_rows<decltype(kind)::value>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
  });
}

}  // namespace
}  // namespace sparq
