// f32-dwconv2d driver and the portable pieces every variant shares: row
// pointers (rows in the padding point at one row of zeros, so no padded
// copy of the image is made), clipped border columns, and the plane of any
// shape the variants do not take (other kernel sizes, stride_w > 2,
// dilation_w > 1), computed column by column with clipping.
#include "f32-dwconv2d.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <vector>

#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) void symbol(const DwConv2dPlane& p);
#include "f32-dwconv2d-variants.inc"
#undef SPARQ_VARIANT

const DwConv2dVariant kDwConv2dVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "f32-dwconv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kDwConv2dVariantCount = sizeof(kDwConv2dVariants) / sizeof(kDwConv2dVariants[0]);

const DwConv2dVariant& f32_dwconv2d_best() { return best_variant(kDwConv2dVariants); }

bool dwconv2d_variant_takes(const DwConv2dShape& s) {
  return s.kernel_h == s.kernel_w && (s.kernel_w == 3 || s.kernel_w == 5) && (s.stride_w == 1 || s.stride_w == 2) &&
         s.dilation_w == 1;
}

namespace {

using Index = std::ptrdiff_t;

// Below this many multiply-adds a task costs more to hand to a worker than to run.
constexpr std::size_t kMinTaskWork = std::size_t{1} << 16;

float clamp_output(float v, float min, float max) { return std::min(std::max(v, min), max); }

void portable_plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  std::vector<const float*> rows(s.kernel_h);
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows.data());
    f32_dwconv2d_columns(p, rows.data(), 0, s.out_w, p.y + oh * s.out_w);
  }
}

}  // namespace

void f32_dwconv2d_rows(const DwConv2dPlane& p, std::size_t oh, const float** rows) {
  const DwConv2dShape& s = *p.shape;
  const Index top = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
  for (std::size_t i = 0; i < s.kernel_h; i++) {
    const Index ih = top + static_cast<Index>(i * s.dilation_h);
    rows[i] = ih >= 0 && ih < static_cast<Index>(s.height) ? p.x + ih * static_cast<Index>(s.width) : p.zeros;
  }
}

void f32_dwconv2d_columns(const DwConv2dPlane& p, const float* const* rows, std::size_t ow0, std::size_t ow1, float* y_row) {
  const DwConv2dShape& s = *p.shape;
  const Index w = static_cast<Index>(s.width), dw = static_cast<Index>(s.dilation_w), kw = static_cast<Index>(s.kernel_w);
  for (std::size_t ow = ow0; ow < ow1; ow++) {
    const Index xs = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
    // Window columns j with 0 <= xs + j*dw < w.
    const Index j0 = xs >= 0 ? 0 : (-xs + dw - 1) / dw;
    const Index j1 = xs >= w ? 0 : std::min(kw, (w - xs + dw - 1) / dw);
    float acc = p.accumulate ? y_row[ow] : 0.0f;
    for (std::size_t i = 0; i < s.kernel_h; i++)
      for (Index j = j0; j < j1; j++) acc += rows[i][xs + j * dw] * p.w[static_cast<Index>(i) * kw + j];
    y_row[ow] = clamp_output(acc + p.bias, p.min, p.max);
  }
}

void f32_dwconv2d(const DwConv2dVariant& variant, const DwConv2dShape& s, const float* x, const float* w, const float* bias,
                  float min, float max, float* y) {
  assert(s.group_channels >= 1 && s.channels % s.group_channels == 0);
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  const std::size_t cg = s.group_channels, out_channels = s.channels / cg * s.multiplier, planes = s.batch * out_channels;
  const std::size_t out_plane = s.out_h * s.out_w, in_plane = s.height * s.width, taps = s.kernel_h * s.kernel_w;
  if (planes == 0 || out_plane == 0) return;
  const std::vector<float> zeros(s.width, 0.0f);
  // Interior columns: ow*sw >= pl and ow*sw - pl + (kw - 1)*dw < width.
  const std::size_t extent = (s.kernel_w - 1) * s.dilation_w;
  const std::size_t lo = std::min(s.out_w, (s.pad_left + s.stride_w - 1) / s.stride_w);
  const std::size_t hi =
      s.width + s.pad_left > extent ? std::clamp((s.width + s.pad_left - extent - 1) / s.stride_w + 1, lo, s.out_w) : lo;
  const DwConv2dUkernel plane = dwconv2d_variant_takes(s) ? variant.plane : portable_plane;
  const std::size_t tasks = std::clamp<std::size_t>(planes * out_plane * taps * cg / kMinTaskWork, 1, planes);
  parallel_for(tasks, [&](std::size_t task) {
    const std::size_t p0 = planes * task / tasks, p1 = planes * (task + 1) / tasks;
    for (std::size_t q = p0; q < p1; q++) {
      const std::size_t n = q / out_channels, o = q % out_channels, first = o / s.multiplier * cg;
      DwConv2dPlane pl{};
      pl.shape = &s;
      pl.zeros = zeros.data();
      pl.lo = lo;
      pl.hi = hi;
      pl.y = y + q * out_plane;
      // Input channel by input channel; the clamp once the last one is added.
      for (std::size_t c = 0; c < cg; c++) {
        pl.x = x + (n * s.channels + first + c) * in_plane;
        pl.w = w + (o * cg + c) * taps;
        pl.accumulate = c > 0;
        pl.bias = c == 0 && bias != nullptr ? bias[o] : 0.0f;
        pl.min = c + 1 == cg ? min : -std::numeric_limits<float>::infinity();
        pl.max = c + 1 == cg ? max : std::numeric_limits<float>::infinity();
        plane(pl);
      }
    }
  });
}

}  // namespace sparq
