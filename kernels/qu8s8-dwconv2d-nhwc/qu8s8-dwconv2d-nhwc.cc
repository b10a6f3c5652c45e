// The qu8s8-dwconv2d-nhwc driver: the variant table, the weight packing, and
// per output row either the kernel rows of a stack row (on a variant that
// has them, for weights it takes) or the interior columns and the indirection
// row of the others (qu8s8-dwconv2d-nhwc.h), the variant's sums and the output
// stage. Rows are split across the pool.
#include "qu8s8-dwconv2d-nhwc.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <tuple>
#include <utility>

#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(prefix, name, isa) void prefix(const Qu8s8DwConv2dNhwcRow& r);
#define SPARQ_STACK_VARIANT(prefix, row, depth, column_bytes, pairs, name, isa) \
  void prefix(const Qu8s8DwConv2dNhwcStackRow& r);                        \
  bool prefix##_pack(std::size_t channels, std::size_t kernel_h, std::size_t kernel_w, const int32_t* w, aligned_vector<uint8_t>* out);
#include "qu8s8-dwconv2d-nhwc-variants.inc"
#undef SPARQ_STACK_VARIANT
#undef SPARQ_VARIANT

const Qu8s8DwConv2dNhwcVariant kQu8s8DwConv2dNhwcVariants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix, nullptr, nullptr, 0, 0, false},
#define SPARQ_STACK_VARIANT(prefix, row, depth, column_bytes, pairs, name, isa) {name, isa, row, prefix, prefix##_pack, depth, column_bytes, pairs},
#include "qu8s8-dwconv2d-nhwc-variants.inc"
#undef SPARQ_STACK_VARIANT
#undef SPARQ_VARIANT
};
const std::size_t kQu8s8DwConv2dNhwcVariantCount = sizeof(kQu8s8DwConv2dNhwcVariants) / sizeof(kQu8s8DwConv2dNhwcVariants[0]);

const Qu8s8DwConv2dNhwcVariant& qu8s8_dwconv2d_nhwc_best() { return best_variant(kQu8s8DwConv2dNhwcVariants); }

Qu8s8DwConv2dNhwcWeights qu8s8_dwconv2d_nhwc_pack(const Qu8s8DwConv2dNhwcVariant& variant, std::size_t channels, std::size_t kernel_h,
                                                  std::size_t kernel_w, const void* w, bool w_unsigned, const int32_t* zero_points,
                                                  std::size_t zero_point_stride) {
  const std::size_t taps = kernel_h * kernel_w;
  assert(zero_point_stride <= 1 && taps >= 1);
  Qu8s8DwConv2dNhwcWeights p;
  p.channels = channels;
  p.taps = taps;
  p.tap_stride = (taps + 1) / 2 * 2;
  p.channels_padded = (channels + kQu8s8DwConv2dNhwcChannelTile - 1) / kQu8s8DwConv2dNhwcChannelTile * kQu8s8DwConv2dNhwcChannelTile;
  p.weights.assign(p.tap_stride * p.channels_padded, 0);
  p.sums.assign(channels, 0);
  std::vector<int32_t> off(channels * taps);
  for (std::size_t c = 0; c < channels; c++) {
    const int32_t zero_point = zero_points[c * zero_point_stride];
    for (std::size_t t = 0; t < taps; t++) {
      const std::size_t i = c * taps + t;
      const int32_t v = (w_unsigned ? static_cast<const uint8_t*>(w)[i] : static_cast<const int8_t*>(w)[i]) - zero_point;
      p.weights[t * p.channels_padded + c] = static_cast<int16_t>(v);
      p.sums[c] += v;
      off[i] = v;
    }
  }
  if (variant.stack_row != nullptr && variant.stack_pack(channels, kernel_h, kernel_w, off.data(), &p.stacked)) {
    p.stacked_for = &variant;
    p.stacks = (kernel_h + variant.stack_depth - 1) / variant.stack_depth;
  }
  return p;
}

namespace {

// Below this many multiply-adds per task the pool's wake-up costs more than it saves.
constexpr std::size_t kMinTapsPerTask = 1 << 17;

// The prefetch step over rows (a cache line on x86 and most Arm cores; a longer line only prefetches twice).
constexpr std::size_t kCacheLine = 64;

// A stack row's interleaved columns stay below this (at 4 x 64 bytes a column, rows as wide as 4000 pixels);
// wider rows (huge pads or strides) take the variant's row function instead.
constexpr std::size_t kMaxStackScratch = std::size_t{1} << 20;

// x with each channel repeated `multiplier` times (output channel o reads
// input channel o / M), so every multiplier runs on the one-channel-per-output rows.
std::vector<uint8_t> repeat_channels(const DwConv2dShape& s, const uint8_t* x) {
  const std::size_t pixels = s.batch * s.height * s.width;
  std::vector<uint8_t> out(pixels * s.channels * s.multiplier);
  uint8_t* o = out.data();
  for (std::size_t i = 0; i < pixels * s.channels; i++, o += s.multiplier) std::memset(o, x[i], s.multiplier);
  return out;
}

// The indirection row of output row oh of the image at `image`, columns
// [begin, end): per column, its taps' pixels, or `padding` (zx in every
// channel) where a tap lies in the padding or past the kernel.
void indirection_row(const DwConv2dShape& s, std::size_t channels, std::size_t tap_stride, const uint8_t* image, std::size_t oh,
                     std::size_t begin, std::size_t end, const uint8_t* padding, const uint8_t** out) {
  for (std::size_t ow = begin; ow < end; ow++) {
    const uint8_t** column = out + ow * tap_stride;
    for (std::size_t i = 0; i < s.kernel_h; i++) {
      // Unsigned wrap-around makes positions above or left of the image huge, so one compare covers both edges.
      const std::size_t ih = oh * s.stride_h + i * s.dilation_h - s.pad_top;
      for (std::size_t j = 0; j < s.kernel_w; j++) {
        const std::size_t iw = ow * s.stride_w + j * s.dilation_w - s.pad_left;
        *column++ = ih < s.height && iw < s.width ? image + (ih * s.width + iw) * channels : padding;
      }
    }
    for (std::size_t t = s.kernel_h * s.kernel_w; t < tap_stride; t++) *column++ = padding;
  }
}

// The first position and one past the last whose window [p * stride - pad, + (kernel - 1) * dilation] lies in [0, size).
std::pair<std::size_t, std::size_t> interior(std::size_t out, std::size_t size, std::size_t kernel, std::size_t stride, std::size_t dilation,
                                             std::size_t pad) {
  const std::size_t span = (kernel - 1) * dilation;
  const std::size_t begin = std::min((pad + stride - 1) / stride, out);
  if (size < span + 1 || size - 1 - span + pad < begin * stride) return {begin, begin};
  return {begin, std::min((size - 1 - span + pad) / stride + 1, out)};
}

// The rows [0, batch * out_h) through the variant's stack rows, split into `tasks` across the pool.
void stack_rows(const Qu8s8DwConv2dNhwcVariant& variant, const DwConv2dShape& s, const Qu8s8DwConv2dNhwcWeights& w, const uint8_t* x, void* y,
                const Qu8s8DwConv2dParams& params, const int32_t* bias, std::size_t tasks, std::size_t span) {
  const std::size_t channels = w.channels, rows = s.batch * s.out_h, row_bytes = s.out_w * channels * qgemm_output_size(params.output);
  const std::size_t image_size = s.height * s.width * channels;
  // Rows of zx bytes stand for kernel rows in the padding and past kernel_h.
  const std::vector<uint8_t> padding(s.width * channels, params.x_zero_point);
  // float(acc) * m is NaN only where m is NaN or infinite: finite multipliers (any real layer's) skip that step.
  // |m| < 1 keeps float(acc) * m below 2^31 (float(INT32_MAX) is 2^31), so it rounds to an int32 unclamped.
  bool finite_multipliers = true, small_multipliers = true;
  const RequantizeRow& stage = params.stage;
  for (std::size_t c = 0; params.output != QOutput::kInt32 && c < (stage.multiplier_stride == 0 ? 1 : channels); c++) {
    finite_multipliers = finite_multipliers && std::isfinite(stage.multiplier[c]);
    small_multipliers = small_multipliers && std::fabs(stage.multiplier[c]) < 1.0f;
  }
  // Output rows two at a time where the variant runs pairs: at vertical stride and dilation 1, a kernel whose rows
  // leave its stacks a row to spare (kernel_h not a multiple of the depth) holds the two rows' kernel_h + 1 input rows.
  const bool pairs = variant.stack_row_pairs && s.kernel_h % variant.stack_depth != 0 && s.stride_h == 1 && s.dilation_h == 1;
  parallel_for(tasks, [&](std::size_t task) {
    std::vector<const uint8_t*> kernel_rows(w.stacks * variant.stack_depth);
    aligned_vector<uint8_t> columns(w.stacks * span * variant.stack_column_bytes);
    Qu8s8DwConv2dNhwcStackRow r{};
    r.rows = kernel_rows.data();
    r.width = s.width;
    r.channels = channels;
    r.pad_left = s.pad_left;
    r.stride_w = s.stride_w;
    r.dilation_w = s.dilation_w;
    r.kernel_w = s.kernel_w;
    r.stacks = w.stacks;
    r.out_w = s.out_w;
    r.x_zero_point = params.x_zero_point;
    r.weights = w.stacked.data();
    r.bias = bias;
    r.output = params.output;
    r.stage = &params.stage;
    r.finite_multipliers = finite_multipliers;
    r.small_multipliers = small_multipliers;
    r.columns = columns.data();
    r.span = span;
    const std::size_t end = rows * (task + 1) / tasks;
    for (std::size_t row = rows * task / tasks; row < end;) {
      const std::size_t n = row / s.out_h, oh = row % s.out_h;
      const bool pair = pairs && row + 1 < end && oh + 1 < s.out_h;
      // A pair reads one input row more: the next output row's last kernel row.
      const std::size_t read = pair ? s.kernel_h + 1 : s.kernel_h;
      for (std::size_t i = 0; i < kernel_rows.size(); i++) {
        // Unsigned wrap-around makes rows above the image huge, so one compare covers both edges.
        const std::size_t ih = oh * s.stride_h + i * s.dilation_h - s.pad_top;
        kernel_rows[i] = i < read && ih < s.height ? x + n * image_size + ih * s.width * channels : padding.data();
      }
      r.y = static_cast<char*>(y) + row * row_bytes;
      r.y_next = pair ? static_cast<char*>(r.y) + row_bytes : nullptr;
      // The next pair's two new input rows (oh + 1 + kernel_h - pad_top and the one after), prefetched whole: from
      // pair to pair each new row skips the one the other read, which the hardware's stream prefetchers do not follow
      // (a layer out of cache, MobileNetV2's 56x56x144 at batch 16, ran ~35% slower than single rows without this).
      const std::size_t ahead = oh + 1 + s.kernel_h - s.pad_top;
      if (pair && ahead < s.height && ahead + 1 < s.height) {
        const uint8_t* next = x + n * image_size + ahead * s.width * channels;
        for (std::size_t b = 0; b < 2 * s.width * channels; b += kCacheLine) __builtin_prefetch(next + b);
      }
      variant.stack_row(r);
      row += pair ? 2 : 1;
    }
  });
}

}  // namespace

void qu8s8_dwconv2d_nhwc(const Qu8s8DwConv2dNhwcVariant& variant, const DwConv2dShape& s, const Qu8s8DwConv2dNhwcWeights& w,
                         const uint8_t* x, void* y, const Qu8s8DwConv2dParams& params) {
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.dilation_h >= 1 && s.dilation_w >= 1 && s.multiplier >= 1 && s.group_channels == 1);
  const std::size_t channels = s.channels * s.multiplier;
  assert(w.channels == channels && w.taps == s.kernel_h * s.kernel_w);
  const std::size_t rows = s.batch * s.out_h, row_values = s.out_w * channels;
  if (rows == 0 || row_values == 0) return;
  const RequantizeRow& stage = params.stage;
  assert(params.output == QOutput::kInt32 || (stage.multiplier != nullptr && stage.multiplier_stride <= 1));
  assert(stage.bias_stride <= 1);
  std::vector<uint8_t> repeated;
  if (s.multiplier > 1) {
    repeated = repeat_channels(s, x);
    x = repeated.data();
  }
  // The bias with zx * sum w' taken off (wrapping, as the sums do).
  std::vector<int32_t> bias(channels);
  for (std::size_t c = 0; c < channels; c++) {
    const uint32_t b = stage.bias == nullptr ? 0 : static_cast<uint32_t>(stage.bias[c * stage.bias_stride]);
    bias[c] = static_cast<int32_t>(b - uint32_t{params.x_zero_point} * static_cast<uint32_t>(w.sums[c]));
  }
  const std::size_t tasks = std::clamp<std::size_t>(rows * row_values * w.taps / kMinTapsPerTask, 1, std::min<std::size_t>(rows, 4 * thread_count()));
  const std::size_t out_size = qgemm_output_size(params.output);
  const std::size_t image_size = s.height * s.width * channels;
  const std::size_t span = (s.out_w - 1) * s.stride_w + (s.kernel_w - 1) * s.dilation_w + 1;
  if (w.stacked_for == &variant && w.stacks * span * variant.stack_column_bytes <= kMaxStackScratch) {
    stack_rows(variant, s, w, x, y, params, bias.data(), tasks, span);
    return;
  }
  // Per-channel multipliers repeated along a row, so each row requantizes in one call (not one per pixel,
  // which at a few channels costs more in calls than in values).
  std::vector<float> row_multipliers;
  if (params.output != QOutput::kInt32 && stage.multiplier_stride == 1) {
    row_multipliers.resize(row_values);
    for (std::size_t i = 0; i < row_values; i++) row_multipliers[i] = stage.multiplier[i % channels];
  }
  const std::vector<uint8_t> padding(w.channels_padded, params.x_zero_point);
  const RequantizeVariant& requantize = requantize_best();
  // Interior columns (the same in every row) and rows: windows wholly inside the image.
  std::size_t column_begin, column_end, row_begin, row_end;
  std::tie(column_begin, column_end) = interior(s.out_w, s.width, s.kernel_w, s.stride_w, s.dilation_w, s.pad_left);
  std::tie(row_begin, row_end) = interior(s.out_h, s.height, s.kernel_h, s.stride_h, s.dilation_h, s.pad_top);
  std::vector<std::ptrdiff_t> tap_offsets(w.tap_stride, 0);
  for (std::size_t i = 0; i < s.kernel_h; i++)
    for (std::size_t j = 0; j < s.kernel_w; j++)
      tap_offsets[i * s.kernel_w + j] = static_cast<std::ptrdiff_t>((i * s.dilation_h * s.width + j * s.dilation_w) * channels);
  parallel_for(tasks, [&](std::size_t task) {
    const std::size_t r0 = rows * task / tasks, r1 = rows * (task + 1) / tasks;
    std::vector<const uint8_t*> inputs(s.out_w * w.tap_stride);
    aligned_vector<int32_t> sums(params.output == QOutput::kInt32 ? 0 : row_values);
    Qu8s8DwConv2dNhwcRow r{};
    r.inputs = inputs.data();
    r.column_step = s.stride_w * channels;
    r.tap_offsets = tap_offsets.data();
    r.out_w = s.out_w;
    r.taps = w.taps;
    r.tap_stride = w.tap_stride;
    r.channels = channels;
    r.channels_padded = w.channels_padded;
    r.weights = w.weights.data();
    r.bias = bias.data();
    for (std::size_t row = r0; row < r1; row++) {
      const std::size_t n = row / s.out_h, oh = row % s.out_h;
      const uint8_t* image = x + n * image_size;
      const bool inner = oh >= row_begin && oh < row_end && column_begin < column_end;
      r.interior_begin = inner ? column_begin : 0;
      r.interior_end = inner ? column_end : 0;
      if (inner) {
        r.origin = image + ((oh * s.stride_h - s.pad_top) * s.width + column_begin * s.stride_w - s.pad_left) * channels;
        indirection_row(s, channels, w.tap_stride, image, oh, 0, column_begin, padding.data(), inputs.data());
        indirection_row(s, channels, w.tap_stride, image, oh, column_end, s.out_w, padding.data(), inputs.data());
      } else {
        indirection_row(s, channels, w.tap_stride, image, oh, 0, s.out_w, padding.data(), inputs.data());
      }
      char* out = static_cast<char*>(y) + row * row_values * out_size;
      r.acc = params.output == QOutput::kInt32 ? reinterpret_cast<int32_t*>(out) : sums.data();
      variant.row(r);
      if (params.output == QOutput::kInt32) continue;
      RequantizeRow q = stage;
      q.bias = nullptr;  // in the sums already
      if (!row_multipliers.empty()) q.multiplier = row_multipliers.data();
      if (params.output == QOutput::kUint8) requantize.to_uint8(row_values, r.acc, q, out);
      else if (params.output == QOutput::kInt8) requantize.to_int8(row_values, r.acc, q, out);
      else requantize.to_float(row_values, r.acc, q, reinterpret_cast<float*>(out));
    }
  });
}

}  // namespace sparq
