// AVX2 col2im: the loops of f32-col2im-loops.h with runs added 8 floats at a
// time, then 4 (SSE), then one by one. No masked stores: vmaskmovps stores
// are slow on AMD cores, and an AVX-512 masked tail was 1.6x slower than
// this on a 1-channel stem, whose taps are runs of 1-3 floats. This is also
// the variant AVX-512 CPUs run (see f32-col2im-variants.inc).
#include <immintrin.h>

#include "f32-col2im-loops.h"

namespace sparq {
namespace {

struct Avx2Add {
  static void add(float* dst, const float* src, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_add_ps(_mm256_loadu_ps(dst + i), _mm256_loadu_ps(src + i)));
    if (i + 4 <= n) {
      _mm_storeu_ps(dst + i, _mm_add_ps(_mm_loadu_ps(dst + i), _mm_loadu_ps(src + i)));
      i += 4;
    }
    for (; i < n; i++) dst[i] += src[i];
  }
};

}  // namespace

void f32_nhwc_col2im_avx2(const Im2colShape& s, const float* col, std::size_t ldc, float* image) {
  col2im_nhwc<Avx2Add>(s, col, ldc, image);
}

}  // namespace sparq
