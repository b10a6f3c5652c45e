// Portable im2col: the loops of x32-im2col-loops.h with runs moved by memcpy
// and fill_n, the x32-im2col-scalar variant.
#include <algorithm>
#include <cstring>

#include "x32-im2col-loops.h"

namespace sparq {
namespace {

struct LibraryCopy {
  template <typename T>
  static void copy(T* dst, const T* src, std::size_t n) {
    std::memcpy(dst, src, n * sizeof(T));
  }
  template <typename T>
  static void fill(T* dst, std::size_t n, T value) {
    std::fill_n(dst, n, value);
  }
};

}  // namespace

void x32_im2col_scalar(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc) {
  dispatch<LibraryCopy>(s, image, pad_value, col, ldc);
}

void x8_im2col_scalar(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc) {
  dispatch<LibraryCopy>(s, image, pad_value, col, ldc);
}

void x32_nhwc_im2col_scalar(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                            std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<LibraryCopy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

void x8_nhwc_im2col_scalar(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                           std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<LibraryCopy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

}  // namespace sparq
