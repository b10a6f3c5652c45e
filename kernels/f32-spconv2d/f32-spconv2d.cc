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

#define SPARQ_VARIANT(symbol, name, isa) std::remove_pointer_t<F32SpConv2dUkernel> symbol;
#include "f32-spconv2d-variants.inc"
#undef SPARQ_VARIANT

const F32SpConv2dVariant kF32SpConv2dVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "f32-spconv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kF32SpConv2dVariantCount = sizeof(kF32SpConv2dVariants) / sizeof(kF32SpConv2dVariants[0]);

const F32SpConv2dVariant& f32_spconv2d_best() { return best_variant(kF32SpConv2dVariants); }

namespace {

// Output channels per task: enough work per task to amortize the pool, few
// enough that one image still splits across threads.
constexpr std::size_t kChannelsPerTask = 8;

}  // namespace

void f32_spconv2d_pack(std::size_t out_channels, std::size_t taps, const float* w, F32SpConv2dWeights* out) {
  out->out_channels = out_channels;
  out->taps = taps;
  out->row_start.assign(1, 0);
  out->tap.clear();
  out->value.clear();
  for (std::size_t o = 0; o < out_channels; ++o) {
    for (std::size_t k = 0; k < taps; ++k) {
      const float v = w[o * taps + k];
      if (v == 0.0f) continue;
      out->tap.push_back(static_cast<int32_t>(k));
      out->value.push_back(v);
    }
    out->row_start.push_back(static_cast<int32_t>(out->tap.size()));
  }
}

void f32_spconv2d(const F32SpConv2dVariant& variant, const ShiftedConvShape& s, const ConvInput& x,
                  const F32SpConv2dWeights& w, const ConvOutputParams& out) {
  const ShiftedImages images(s, x);
  const ShiftedMasks masks(s);
  const std::vector<int32_t> tap_offsets = shifted_offsets(s);
  std::vector<int32_t> offsets(w.tap.size());
  for (std::size_t e = 0; e < offsets.size(); ++e) offsets[e] = tap_offsets[w.tap[e]];
  const std::size_t groups = (s.out_channels + kChannelsPerTask - 1) / kChannelsPerTask;
  parallel_for(s.batch * groups, [&](std::size_t task) {
    const std::size_t n = task / groups, first = task % groups * kChannelsPerTask;
    const std::size_t rows = std::min(kChannelsPerTask, s.out_channels - first);
    ConvRowSink sink(s, out, masks, n, first, rows);
    F32SpConv2dTile t{};
    t.vectors = s.vectors();
    t.x = images.image(n);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t e0 = w.row_start[first + r], e1 = w.row_start[first + r + 1];
      t.entries = e1 - e0;
      t.offsets = offsets.data() + e0;
      t.values = w.value.data() + e0;
      t.out = sink.tile(r);
      variant.ukernel(t);
    }
    sink.finish();
  });
}

}  // namespace sparq
