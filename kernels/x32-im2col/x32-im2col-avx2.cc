// AVX2 im2col: the loops of x32-im2col-loops.h with runs moved by 256-bit
// loads and stores inline (x32-im2col-vector-copy.h).
#include <immintrin.h>

#include "x32-im2col-loops.h"
#include "x32-im2col-vector-copy.h"

namespace sparq {
namespace {

struct Avx2 {
  using T = __m256i;
  static constexpr std::size_t kBytes = 32;
  static T load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(uint8_t* p, T v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static T splat(float value) { return _mm256_castps_si256(_mm256_set1_ps(value)); }
  static T splat(uint8_t value) { return _mm256_set1_epi8(static_cast<char>(value)); }
};
using Avx2Copy = VectorCopy<Avx2>;

}  // namespace

void x32_im2col_avx2(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc) {
  dispatch<Avx2Copy>(s, image, pad_value, col, ldc);
}

void x8_im2col_avx2(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc) {
  dispatch<Avx2Copy>(s, image, pad_value, col, ldc);
}

void x32_nhwc_im2col_avx2(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                          std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<Avx2Copy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

void x8_nhwc_im2col_avx2(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                         std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<Avx2Copy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

}  // namespace sparq
