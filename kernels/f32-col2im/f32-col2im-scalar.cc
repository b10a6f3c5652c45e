// Portable col2im: the loops of f32-col2im-loops.h with runs added one float
// at a time, the f32-col2im-scalar variant and the reference of the others.
#include "f32-col2im-loops.h"

namespace sparq {
namespace {

struct ScalarAdd {
  static void add(float* dst, const float* src, std::size_t n) {
    for (std::size_t i = 0; i < n; i++) dst[i] += src[i];
  }
};

}  // namespace

void f32_nhwc_col2im_scalar(const Im2colShape& s, const float* col, std::size_t ldc, float* image) {
  col2im_nhwc<ScalarAdd>(s, col, ldc, image);
}

}  // namespace sparq
