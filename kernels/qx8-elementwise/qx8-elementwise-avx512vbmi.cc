// AVX-512 VBMI qx8-elementwise: the lookup as byte permutes across whole
// registers. The 256-byte table is four zmm registers; vpermi2b looks 64
// bytes up in two of them at once by each index's low 7 bits, so two of them
// (table bytes 0-127 and 128-255) and a blend on each index's top bit give
// y = table[x]: 4 ops per 64 bytes, where the AVX-512 BW lookup takes 32
// (16 nibble rows of vpshufb, each under its compare mask). That lookup is
// the whole per-byte cost of the int8 models' HardSwish, HardSigmoid and
// Relu nodes. The arithmetic entry points are the AVX-512 variant's: VBMI
// adds nothing to them.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "qx8-elementwise.h"

namespace sparq {

// The AVX-512 variant's entry points (qx8-elementwise-avx512.cc), declared here so no header names them.
void qx8_elementwise_avx512_binary(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,
                                   const Qx8BinaryParams& p);
void qx8_elementwise_avx512_binary_scalar(std::size_t n, const void* x, float b, void* y, bool is_signed, Qx8BinaryOp op,
                                          const Qx8BinaryParams& p);
float qx8_elementwise_avx512_dequantized_sum(std::size_t n, const void* x, bool is_signed, float scale, int32_t zero_point);
void qx8_elementwise_avx512_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const void* x,
                                                    bool is_signed, float scale, int32_t zero_point, float* sums);

void qx8_elementwise_avx512vbmi_binary(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,
                                       const Qx8BinaryParams& p) {
  qx8_elementwise_avx512_binary(n, x, b, y, is_signed, op, p);
}

void qx8_elementwise_avx512vbmi_binary_scalar(std::size_t n, const void* x, float b, void* y, bool is_signed,
                                              Qx8BinaryOp op, const Qx8BinaryParams& p) {
  qx8_elementwise_avx512_binary_scalar(n, x, b, y, is_signed, op, p);
}

float qx8_elementwise_avx512vbmi_dequantized_sum(std::size_t n, const void* x, bool is_signed, float scale,
                                                 int32_t zero_point) {
  return qx8_elementwise_avx512_dequantized_sum(n, x, is_signed, scale, zero_point);
}

void qx8_elementwise_avx512vbmi_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const void* x,
                                                        bool is_signed, float scale, int32_t zero_point, float* sums) {
  qx8_elementwise_avx512_dequantized_column_sums(rows, cols, ld, x, is_signed, scale, zero_point, sums);
}

void qx8_elementwise_avx512vbmi_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  const auto look = [&](__m512i v) {
    const __m512i low = _mm512_permutex2var_epi8(t0, v, t1);   // table[v & 127]
    const __m512i high = _mm512_permutex2var_epi8(t2, v, t3);  // table[128 + (v & 127)]
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), low, high);
  };
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(y + i, look(_mm512_loadu_si512(x + i)));
  if (i < n) {
    const __mmask64 tail = _cvtu64_mask64((~uint64_t{0}) >> (64 - (n - i)));
    _mm512_mask_storeu_epi8(y + i, tail, look(_mm512_maskz_loadu_epi8(tail, x + i)));
  }
}

}  // namespace sparq
