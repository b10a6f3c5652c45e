// AVX2 f32-qx8-quantize: 32 values per iteration, then 8, then a masked tail,
// each through the scalar variant's steps operand for operand:
//   div_ps (IEEE division, as x / scale)
//   NaN -> +0, max_ps(lo, x), min_ps(hi, x)   (the scalar selects)
//   cvtps_epi32 (round half to even under the default MXCSR, as lrintf)
// so every element equals the scalar result bit for bit. The divide is the
// throughput limit (one vdivps per 8 values), still above DRAM bandwidth.
//
// Everything here is file-local except the entry points, so no AVX2 code can
// be picked by the linker for a portable caller.
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "f32-qx8-quantize.h"
#include "../common/qx8-pack-avx2.h"

namespace sparq {
namespace {

class Quantizer {
 public:
  Quantizer(float scale, int32_t zero_point, int32_t qmin, int32_t qmax)
      : scale_(_mm256_set1_ps(scale)),
        lo_(_mm256_set1_ps(static_cast<float>(qmin - zero_point))),
        hi_(_mm256_set1_ps(static_cast<float>(qmax - zero_point))),
        zp_(_mm256_set1_epi32(zero_point)) {}

  // 8 floats -> 8 int32 already within [qmin, qmax].
  __m256i operator()(__m256 x) const {
    __m256 q = _mm256_div_ps(x, scale_);
    q = _mm256_and_ps(q, _mm256_cmp_ps(q, q, _CMP_ORD_Q));  // NaN -> +0
    q = _mm256_max_ps(lo_, q);                               // lo > q ? lo : q
    q = _mm256_min_ps(hi_, q);                               // hi < q ? hi : q
    return _mm256_add_epi32(_mm256_cvtps_epi32(q), zp_);
  }

 private:
  __m256 scale_, lo_, hi_;
  __m256i zp_;
};

template <bool kSigned>
void quantize(std::size_t n, const float* x, const Quantizer& q, uint8_t* y) {
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i q0 = q(_mm256_loadu_ps(x + i));
    const __m256i q1 = q(_mm256_loadu_ps(x + i + 8));
    const __m256i q2 = q(_mm256_loadu_ps(x + i + 16));
    const __m256i q3 = q(_mm256_loadu_ps(x + i + 24));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), pack32<kSigned>(q0, q1, q2, q3));
  }
  for (; i + 8 <= n; i += 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), pack8<kSigned>(q(_mm256_loadu_ps(x + i))));
  }
  if (i < n) {
    // Masked-off lanes load 0 (0 / scale is harmless) and are never stored.
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    uint8_t bytes[16];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), pack8<kSigned>(q(_mm256_maskload_ps(x + i, mask))));
    std::memcpy(y + i, bytes, n - i);
  }
}

}  // namespace

void f32_qx8_quantize_avx2_to_uint8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= 0 && zero_point <= 255);
  quantize<false>(n, x, Quantizer(scale, zero_point, 0, 255), static_cast<uint8_t*>(y));
}

void f32_qx8_quantize_avx2_to_int8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y) {
  assert(zero_point >= -128 && zero_point <= 127);
  quantize<true>(n, x, Quantizer(scale, zero_point, -128, 127), static_cast<uint8_t*>(y));
}

}  // namespace sparq
