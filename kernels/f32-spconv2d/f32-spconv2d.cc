// f32-spconv2d driver: pads the images once, maps every entry's tap to its
// image offset once per call, then runs one task per (image, group of
// output channels); a task runs each channel over the whole image, whose
// positions and the channel's entries stay in L1/L2. An image that holds an
// Inf or NaN runs again with a fix-up (propagate_nonfinite).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "f32-spconv2d.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"
#include "../f32-nonfinite/f32-nonfinite.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) std::remove_pointer_t<F32SpConv2dUkernel> symbol, symbol##_rows4;
#include "f32-spconv2d-variants.inc"
#undef SPARQ_VARIANT

const F32SpConv2dVariant kF32SpConv2dVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol, symbol##_rows4},
#include "f32-spconv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kF32SpConv2dVariantCount = sizeof(kF32SpConv2dVariants) / sizeof(kF32SpConv2dVariants[0]);

const F32SpConv2dVariant& f32_spconv2d_best() { return best_variant(kF32SpConv2dVariants); }

void f32_spconv2d_pack(std::size_t out_channels, std::size_t taps, std::size_t block_rows, const float* w,
                       F32SpConv2dWeights* out) {
  out->out_channels = out_channels;
  out->taps = taps;
  out->block_rows = block_rows;
  out->row_start.assign(1, 0);
  out->tap.clear();
  out->value.clear();
  for (std::size_t o0 = 0; o0 < out_channels; o0 += block_rows) {
    const std::size_t rows = std::min(block_rows, out_channels - o0);
    for (std::size_t k = 0; k < taps; ++k) {
      bool stored = false;
      for (std::size_t r = 0; r < rows; ++r) stored = stored || w[(o0 + r) * taps + k] != 0.0f;
      if (!stored) continue;
      out->tap.push_back(static_cast<int32_t>(k));
      for (std::size_t r = 0; r < block_rows; ++r) out->value.push_back(r < rows ? w[(o0 + r) * taps + k] : 0.0f);
    }
    out->row_start.push_back(static_cast<int32_t>(out->tap.size()));
  }
}

namespace {

// An Inf or NaN pixel of one image: channel, row and column in the unpadded image.
struct NonfinitePixel {
  std::size_t c, h, w;
  bool nan;
};

std::vector<NonfinitePixel> nonfinite_pixels(const ShiftedConvShape& s, const float* image) {
  std::vector<NonfinitePixel> pixels;
  for (std::size_t c = 0, i = 0; c < s.channels; ++c)
    for (std::size_t h = 0; h < s.height; ++h)
      for (std::size_t w = 0; w < s.width; ++w, ++i)
        if (!std::isfinite(image[i])) pixels.push_back({c, h, w, std::isnan(image[i])});
  return pixels;
}

// The NaNs the dense convolution has and the kernels, which skip unstored
// taps, do not make. The contract: an unstored weight is an exact 0, and
// 0 x Inf = 0 x NaN = NaN, so output (o, oh, ow) is NaN when its receptive
// field holds a NaN pixel, or an Inf pixel at a tap that o does not store
// (padding is exact zeros and makes no NaN). Stored taps carry their
// products through the kernels, whose clamps keep NaN. Sets them in rows
// [first, first + rows) of the sink before its pool; runs only for images
// that hold an Inf or NaN, not fast: an error case.
void propagate_nonfinite(const ShiftedConvShape& s, const F32SpConv2dWeights& w, const std::vector<NonfinitePixel>& pixels,
                         std::size_t first, std::size_t rows, const ConvRowSink& sink) {
  const auto oh_count = static_cast<std::ptrdiff_t>(s.out_h()), ow_count = static_cast<std::ptrdiff_t>(s.out_w());
  std::vector<uint8_t> stored(w.taps, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t block = (first + r) / w.block_rows;
    for (int32_t e = w.row_start[block]; e < w.row_start[block + 1]; ++e) stored[w.tap[e]] = 1;
    for (const NonfinitePixel& px : pixels)
      for (std::size_t i = 0; i < s.kernel_h; ++i)
        for (std::size_t j = 0; j < s.kernel_w; ++j) {
          // The output whose tap (i, j) reads this pixel: oh * SH + i * DH = h + pad_top (likewise), if any.
          const auto dy = static_cast<std::ptrdiff_t>(px.h + s.pad_top) - static_cast<std::ptrdiff_t>(i * s.dilation_h);
          const auto dx = static_cast<std::ptrdiff_t>(px.w + s.pad_left) - static_cast<std::ptrdiff_t>(j * s.dilation_w);
          const auto sh = static_cast<std::ptrdiff_t>(s.stride_h), sw = static_cast<std::ptrdiff_t>(s.stride_w);
          if (dy < 0 || dx < 0 || dy % sh != 0 || dx % sw != 0) continue;
          const std::ptrdiff_t oh = dy / sh, ow = dx / sw;
          if (oh >= oh_count || ow >= ow_count) continue;
          if (px.nan || stored[(px.c * s.kernel_h + i) * s.kernel_w + j] == 0)
            sink.float_output(r, static_cast<std::size_t>(oh), static_cast<std::size_t>(ow)) = NAN;
        }
    for (int32_t e = w.row_start[block]; e < w.row_start[block + 1]; ++e) stored[w.tap[e]] = 0;
  }
}

}  // namespace

void f32_spconv2d(const F32SpConv2dVariant& variant, const ShiftedConvShape& shape, const ConvInput& x,
                  const F32SpConv2dWeights& w, const ConvOutputParams& out) {
  // Never compact: gathering an image costs about as much as its sparse conv.
  const ShiftedConvShape& s = shape;
  const ShiftedImages images(s, x);
  const ShiftedMasks masks(s);
  const std::vector<int32_t> tap_offsets = shifted_offsets(s);
  std::vector<int32_t> offsets(w.tap.size());
  for (std::size_t e = 0; e < offsets.size(); ++e) offsets[e] = tap_offsets[w.tap[e]];
  const std::size_t per_task = shifted_rows_per_task(s);
  const std::size_t groups = (s.out_channels + per_task - 1) / per_task;
  const F32SpConv2dUkernel ukernel = w.block_rows == 4 ? variant.rows4 : variant.rows1;
  // Output channels [first, first + per_task) of image n, with the fix-up when `pixels` holds the image's Inf and NaN.
  const auto run = [&](std::size_t n, std::size_t first, const std::vector<NonfinitePixel>* pixels) {
    const std::size_t rows = std::min(per_task, s.out_channels - first);
    ConvRowSink sink(s, out, masks, n, first, rows);
    F32SpConv2dTile t{};
    t.vectors = s.vectors();
    t.x = images.image(n);
    for (std::size_t r = 0; r < rows; r += w.block_rows) {
      const std::size_t block = (first + r) / w.block_rows;
      const std::size_t e0 = w.row_start[block], e1 = w.row_start[block + 1];
      t.rows = std::min(w.block_rows, rows - r);
      t.entries = e1 - e0;
      t.offsets = offsets.data() + e0;
      t.values = w.value.data() + e0 * w.block_rows;
      t.out = sink.tile(r);
      ukernel(t);
    }
    if (pixels != nullptr) propagate_nonfinite(s, w, *pixels, first, rows, sink);
    sink.finish();
  };
  // Float images are checked for Inf and NaN by the first task of each
  // image, after its tiles: they read the image, so the check finds it in cache.
  const F32NonfiniteFn check = x.f32 != nullptr ? f32_nonfinite_best().fn : nullptr;
  std::vector<uint8_t> nonfinite(s.batch, 0);
  const std::size_t work = shifted_work(s, w.tap.size() * w.block_rows);
  parallel_for(s.batch * groups, work, [&](std::size_t task) {
    const std::size_t n = task / groups, first = task % groups * per_task;
    run(n, first, nullptr);
    if (check != nullptr && first == 0) nonfinite[n] = check(s.image_floats(), images.image(n), nullptr);
  });
  // Such images run again with the fix-up, which has to come between the
  // tiles and a fused pool.
  for (std::size_t n = 0; n < s.batch; ++n) {
    if (nonfinite[n] == 0) continue;
    const std::vector<NonfinitePixel> pixels = nonfinite_pixels(s, x.f32 + n * s.channels * s.height * s.width);
    parallel_for(groups, work / s.batch, [&](std::size_t g) { run(n, g * per_task, &pixels); });
  }
}

}  // namespace sparq
