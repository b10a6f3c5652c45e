// f32-spconv2d driver: pads the images once, maps every entry's tap to its
// image offset once per call, then runs one task per (image, group of
// output channels); a task runs each channel over the whole image, whose
// positions and the channel's entries stay in L1/L2.
#include <algorithm>
#include <type_traits>

#include "f32-spconv2d.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

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
  parallel_for(s.batch * groups, [&](std::size_t task) {
    const std::size_t n = task / groups, first = task % groups * per_task;
    const std::size_t rows = std::min(per_task, s.out_channels - first);
    ConvRowSink sink(s, out, masks, n, first, rows);
    F32SpConv2dTile t{};
    t.vectors = s.vectors();
    t.x = images.image(n);
    const F32SpConv2dUkernel ukernel = w.block_rows == 4 ? variant.rows4 : variant.rows1;
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
    sink.finish();
  });
}

}  // namespace sparq
