// AVX-512 im2col: the loops of x32-im2col-loops.h with runs moved by 512-bit
// loads and stores inline: whole vectors, then one byte-masked load and store
// for the rest (AVX-512BW masks suppress faults on the bytes left out), so a
// run of up to 64 bytes (16 floats) is a single masked move.
#include <immintrin.h>

#include "x32-im2col-loops.h"

namespace sparq {
namespace {

struct Avx512Copy {
  // The first n (< 64) bytes.
  static __mmask64 first(std::size_t n) { return (__mmask64{1} << n) - 1; }

  template <typename T>
  static void copy(T* dst, const T* src, std::size_t n) {
    auto* d = reinterpret_cast<uint8_t*>(dst);
    const auto* s = reinterpret_cast<const uint8_t*>(src);
    std::size_t bytes = n * sizeof(T), i = 0;
    for (; i + 64 <= bytes; i += 64) _mm512_storeu_si512(d + i, _mm512_loadu_si512(s + i));
    if (i < bytes) {
      const __mmask64 m = first(bytes - i);
      _mm512_mask_storeu_epi8(d + i, m, _mm512_maskz_loadu_epi8(m, s + i));
    }
  }
  static void fill(float* dst, std::size_t n, float value) {
    fill_bytes(reinterpret_cast<uint8_t*>(dst), n * sizeof(float), _mm512_castps_si512(_mm512_set1_ps(value)));
  }
  static void fill(uint8_t* dst, std::size_t n, uint8_t value) {
    fill_bytes(dst, n, _mm512_set1_epi8(static_cast<char>(value)));
  }
  // v repeats the value; every offset is a whole number of elements.
  static void fill_bytes(uint8_t* d, std::size_t bytes, __m512i v) {
    std::size_t i = 0;
    for (; i + 64 <= bytes; i += 64) _mm512_storeu_si512(d + i, v);
    if (i < bytes) _mm512_mask_storeu_epi8(d + i, first(bytes - i), v);
  }
};

}  // namespace

void x32_im2col_avx512(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc) {
  dispatch<Avx512Copy>(s, image, pad_value, col, ldc);
}

void x8_im2col_avx512(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc) {
  dispatch<Avx512Copy>(s, image, pad_value, col, ldc);
}

void x32_nhwc_im2col_avx512(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                            std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<Avx512Copy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

void x8_nhwc_im2col_avx512(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                           std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<Avx512Copy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

}  // namespace sparq
