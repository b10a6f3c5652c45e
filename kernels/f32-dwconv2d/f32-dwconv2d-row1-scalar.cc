// Portable f32-dwconv2d plane of K x K kernels at stride_w S (3 or 5, 1 or
// 2): one output row at a time, the interior columns (every window inside
// the row) without bounds checks and with the K*K weights in locals, the
// border columns clipped by the shared f32_dwconv2d_columns.
#include <algorithm>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  float w[K * K];
  std::copy(p.w, p.w + K * K, w);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    float* y = p.y + oh * s.out_w;
    f32_dwconv2d_columns(p, rows, 0, p.lo, y);
    for (std::size_t ow = p.lo; ow < p.hi; ow++) {
      const std::size_t x0 = ow * S - s.pad_left;
      float acc = p.accumulate ? y[ow] : 0.0f;
      for (std::size_t i = 0; i < K; i++)
        for (std::size_t j = 0; j < K; j++) acc += rows[i][x0 + j] * w[i * K + j];
      y[ow] = std::min(std::max(acc + p.bias, p.min), p.max);
    }
    f32_dwconv2d_columns(p, rows, p.hi, s.out_w, y);
  }
}

}  // namespace

void f32_dwconv2d_row1_scalar(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
