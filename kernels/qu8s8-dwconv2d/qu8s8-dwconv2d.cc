// The qu8s8-dwconv2d driver: the variant table, the pair layout's geometry
// (qu8s8-dwconv2d.h), the weight words, and per plane the padded copy U, the
// variant's sums and the output stage. Planes are split across the pool.
#include "qu8s8-dwconv2d.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(prefix, name, isa) void prefix(const Qu8s8DwConv2dPlane& p);
#include "qu8s8-dwconv2d-variants.inc"
#undef SPARQ_VARIANT

const Qu8s8DwConv2dVariant kQu8s8DwConv2dVariants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix},
#include "qu8s8-dwconv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kQu8s8DwConv2dVariantCount = sizeof(kQu8s8DwConv2dVariants) / sizeof(kQu8s8DwConv2dVariants[0]);

const Qu8s8DwConv2dVariant& qu8s8_dwconv2d_best() { return best_variant(kQu8s8DwConv2dVariants); }

namespace {

// Below this many multiply-adds per task the pool's wake-up costs more than it saves.
constexpr std::size_t kMinTapsPerTask = 1 << 17;

// What every plane of a call shares: the layout's sizes and the tap offsets.
struct Layout {
  std::size_t rows_u, width_u, pair_rows, row_gcd, phase_width, row_step, taps;
  std::vector<std::ptrdiff_t> tap_offsets;
};

Layout layout_of(const DwConv2dShape& s) {
  Layout l{};
  const std::size_t kernel_pairs = (s.kernel_h + 1) / 2;
  l.taps = kernel_pairs * s.kernel_w;
  l.row_gcd = std::gcd(s.stride_h, 2 * s.dilation_h);
  // The words whole output vectors read, rounded up to whole vectors so the
  // builders have no scalar tail (it cost 10% of a layer).
  const auto round_up = [](std::size_t n) { return (n + kQu8s8DwConv2dVector - 1) / kQu8s8DwConv2dVector * kQu8s8DwConv2dVector; };
  l.phase_width = round_up(round_up(s.out_w) + (s.kernel_w - 1) * s.dilation_w / s.stride_w);
  // The last pair's first row in U: the bottom output row's last kernel pair.
  const std::size_t last_pair_row = (s.out_h - 1) * s.stride_h + 2 * (kernel_pairs - 1) * s.dilation_h;
  l.pair_rows = last_pair_row / l.row_gcd + 1;
  l.rows_u = last_pair_row + s.dilation_h + 1;
  l.width_u = s.stride_w * l.phase_width;
  const std::size_t row_words = s.stride_w * l.phase_width;
  l.row_step = s.stride_h / l.row_gcd * row_words;
  for (std::size_t k = 0; k < kernel_pairs; k++)
    for (std::size_t j = 0; j < s.kernel_w; j++) {
      const std::size_t column = j * s.dilation_w;
      l.tap_offsets.push_back(static_cast<std::ptrdiff_t>(2 * k * s.dilation_h / l.row_gcd * row_words +
                                                          column % s.stride_w * l.phase_width + column / s.stride_w));
    }
  return l;
}

// Output channel c's weight words: rows 2k and 2k + 1 of column j in one int32.
void weight_words(const DwConv2dShape& s, const int8_t* w, std::size_t c, int32_t* out) {
  const int8_t* wc = w + c * s.kernel_h * s.kernel_w;
  for (std::size_t k = 0; k < (s.kernel_h + 1) / 2; k++)
    for (std::size_t j = 0; j < s.kernel_w; j++) {
      const int32_t lo = wc[2 * k * s.kernel_w + j];
      const int32_t hi = 2 * k + 1 < s.kernel_h ? wc[(2 * k + 1) * s.kernel_w + j] : 0;
      *out++ = static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xffffu) | (static_cast<uint32_t>(hi) << 16));
    }
}

// U for one plane: the plane's rows the windows reach, copied inside U's
// padding. The padding itself is the zero point in every plane of a call,
// so it is written once per task (U starts filled with it), and a plane
// costs one copy per row.
void copy_plane(const DwConv2dShape& s, const Layout& l, const uint8_t* x, uint8_t* u) {
  const std::size_t left = std::min(s.pad_left, l.width_u);
  const std::size_t copied = std::min(s.width, l.width_u - left);
  const std::size_t rows = l.rows_u > s.pad_top ? std::min(s.height, l.rows_u - s.pad_top) : 0;
  for (std::size_t r = 0; r < rows; r++) std::memcpy(u + (s.pad_top + r) * l.width_u + left, x + r * s.width, copied);
}

}  // namespace

void qu8s8_dwconv2d(const Qu8s8DwConv2dVariant& variant, const DwConv2dShape& s, const uint8_t* x, const int8_t* w,
                    void* y, const Qu8s8DwConv2dParams& params) {
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.dilation_h >= 1 && s.dilation_w >= 1 && s.multiplier >= 1 && s.group_channels == 1);
  const std::size_t out_channels = s.channels * s.multiplier;
  const std::size_t planes = s.batch * out_channels, out_plane = s.out_h * s.out_w;
  if (planes == 0 || out_plane == 0) return;
  const RequantizeRow& stage = params.stage;
  assert(params.output == QOutput::kInt32 || (stage.multiplier != nullptr && stage.multiplier_stride <= 1));
  assert(stage.bias_stride <= 1);
  const Layout l = layout_of(s);
  std::vector<int32_t> weights(out_channels * l.taps);
  for (std::size_t c = 0; c < out_channels; c++) weight_words(s, w, c, weights.data() + c * l.taps);
  const RequantizeVariant& requantize = requantize_best();
  const std::size_t out_size = qgemm_output_size(params.output);
  const std::size_t work = planes * out_plane * l.taps;
  const std::size_t tasks = std::clamp<std::size_t>(work / kMinTapsPerTask, 1, std::min<std::size_t>(planes, 4 * thread_count()));
  parallel_for(tasks, [&](std::size_t task) {
    const std::size_t p0 = planes * task / tasks, p1 = planes * (task + 1) / tasks;
    aligned_vector<uint8_t> u(l.rows_u * l.width_u, params.x_zero_point);
    aligned_vector<int32_t> pairs(l.pair_rows * s.stride_w * l.phase_width);
    aligned_vector<int32_t> sums(params.output == QOutput::kInt32 ? 0 : out_plane);
    Qu8s8DwConv2dPlane p{};
    p.padded = u.data();
    p.padded_stride = l.width_u;
    p.dilation_h = s.dilation_h;
    p.stride_w = s.stride_w;
    p.pairs = pairs.data();
    p.pair_rows = l.pair_rows;
    p.row_gcd = l.row_gcd;
    p.phase_width = l.phase_width;
    p.taps = l.taps;
    p.tap_offsets = l.tap_offsets.data();
    p.row_step = l.row_step;
    p.out_h = s.out_h;
    p.out_w = s.out_w;
    p.zero_point = params.x_zero_point;
    for (std::size_t plane = p0; plane < p1; plane++) {
      // Output channel c of image n reads input channel c / multiplier.
      const std::size_t c = plane % out_channels, n = plane / out_channels;
      char* out = static_cast<char*>(y) + plane * out_plane * out_size;
      copy_plane(s, l, x + (n * s.channels + c / s.multiplier) * s.height * s.width, u.data());
      p.tap_weights = weights.data() + c * l.taps;
      p.acc = params.output == QOutput::kInt32 ? reinterpret_cast<int32_t*>(out) : sums.data();
      variant.plane(p);
      RequantizeRow row = stage;
      row.bias = stage.bias == nullptr ? nullptr : stage.bias + c * stage.bias_stride;
      row.bias_stride = 0;
      if (params.output == QOutput::kInt32) {
        if (row.bias == nullptr) continue;
        const uint32_t b = static_cast<uint32_t>(*row.bias);
        for (std::size_t i = 0; i < out_plane; i++) p.acc[i] = static_cast<int32_t>(static_cast<uint32_t>(p.acc[i]) + b);
        continue;
      }
      row.multiplier = stage.multiplier + c * stage.multiplier_stride;
      row.multiplier_stride = 0;
      if (params.output == QOutput::kUint8) requantize.to_uint8(out_plane, p.acc, row, out);
      else if (params.output == QOutput::kInt8) requantize.to_int8(out_plane, p.acc, row, out);
      else requantize.to_float(out_plane, p.acc, row, reinterpret_cast<float*>(out));
    }
  });
}

}  // namespace sparq
