// f32-dwconv2d-nhwc driver: weight packing, the multiplier's channel
// repeat and row pointers (rows in the padding point at a row of zeros),
// with output rows split across the thread pool.
#include "f32-dwconv2d-nhwc.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) void symbol(const DwConv2dNhwcRow& r);
#include "f32-dwconv2d-nhwc-variants.inc"
#undef SPARQ_VARIANT

const DwConv2dNhwcVariant kDwConv2dNhwcVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "f32-dwconv2d-nhwc-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kDwConv2dNhwcVariantCount = sizeof(kDwConv2dNhwcVariants) / sizeof(kDwConv2dNhwcVariants[0]);

const DwConv2dNhwcVariant& f32_dwconv2d_nhwc_best() { return best_variant(kDwConv2dNhwcVariants); }

bool dwconv2d_nhwc_fixed_taps(const DwConv2dNhwcShape& s) {
  return s.kernel_h == s.kernel_w && (s.kernel_w == 3 || s.kernel_w == 5) && (s.stride_w == 1 || s.stride_w == 2) &&
         s.dilation_w == 1;
}

PackedDwConv2dNhwc f32_dwconv2d_nhwc_pack(const float* w, const float* bias, std::size_t out_channels, std::size_t kernel_h,
                                          std::size_t kernel_w) {
  PackedDwConv2dNhwc p;
  p.out_channels = out_channels;
  p.padded = (out_channels + kDwConv2dNhwcChannelTile - 1) / kDwConv2dNhwcChannelTile * kDwConv2dNhwcChannelTile;
  p.kernel_h = kernel_h;
  p.kernel_w = kernel_w;
  const std::size_t taps = kernel_h * kernel_w;
  p.w.assign(taps * p.padded, 0.0f);
  p.bias.assign(p.padded, 0.0f);
  for (std::size_t o = 0; o < out_channels; o++) {
    for (std::size_t t = 0; t < taps; t++) p.w[t * p.padded + o] = w[o * taps + t];
    if (bias != nullptr) p.bias[o] = bias[o];
  }
  return p;
}

namespace {

// Below this many multiply-adds a task costs more to hand to a worker than to run.
constexpr std::size_t kMinTaskWork = std::size_t{1} << 16;

// x with every channel repeated `multiplier` times: output channel o = c*M + m then reads channel o.
std::vector<float> repeat_channels(const DwConv2dNhwcShape& s, const float* x) {
  const std::size_t pixels = s.batch * s.height * s.width, m = s.multiplier;
  std::vector<float> out(pixels * s.channels * m);
  float* o = out.data();
  for (std::size_t p = 0; p < pixels; p++)
    for (std::size_t c = 0; c < s.channels; c++, o += m) std::fill(o, o + m, x[p * s.channels + c]);
  return out;
}

}  // namespace

void f32_dwconv2d_nhwc(const DwConv2dNhwcVariant& variant, const DwConv2dNhwcShape& s, const PackedDwConv2dNhwc& weights,
                       const float* x, const DwConv2dNhwcActivation& act, float* y) {
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  const std::size_t channels = s.channels * s.multiplier, out_rows = s.batch * s.out_h;
  assert(weights.out_channels == channels && weights.kernel_h == s.kernel_h && weights.kernel_w == s.kernel_w);
  if (channels == 0 || out_rows == 0 || s.out_w == 0) return;
  std::vector<float> repeated;
  if (s.multiplier > 1) {
    repeated = repeat_channels(s, x);
    x = repeated.data();
  }
  const std::size_t row_in = s.width * channels, image_in = s.height * row_in, row_out = s.out_w * channels;
  const std::vector<float> zeros(row_in, 0.0f);
  const std::size_t work = out_rows * row_out * s.kernel_h * s.kernel_w;
  const std::size_t tasks = std::clamp<std::size_t>(work / kMinTaskWork, 1, out_rows);
  parallel_for(tasks, [&](std::size_t task) {
    std::vector<const float*> rows(s.kernel_h);
    DwConv2dNhwcRow r{};
    r.shape = &s;
    r.channels = channels;
    r.rows = rows.data();
    r.w = weights.w.data();
    r.bias = weights.bias.data();
    r.padded = weights.padded;
    r.act = act;
    for (std::size_t q = out_rows * task / tasks, end = out_rows * (task + 1) / tasks; q < end; q++) {
      const std::size_t n = q / s.out_h, oh = q % s.out_h;
      for (std::size_t i = 0; i < s.kernel_h; i++) {
        // ih = oh*sh - pt + i*dh, in the input when pt <= oh*sh + i*dh < height + pt.
        const std::size_t top = oh * s.stride_h + i * s.dilation_h;
        rows[i] = top >= s.pad_top && top - s.pad_top < s.height ? x + n * image_in + (top - s.pad_top) * row_in : zeros.data();
      }
      r.y = y + q * row_out;
      variant.row(r);
    }
  });
}

}  // namespace sparq
