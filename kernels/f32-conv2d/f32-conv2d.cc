// f32-conv2d driver: pads (or phase-splits) the images once, then runs one
// task per (image, strip of MR output channels), whose microkernel call
// sweeps the image's positions in tiles of its own size. A strip's weights
// (taps x MR floats, 7 KiB at 288 taps) and the image (29 KiB for 32
// channels of 15 x 15) stay in L1/L2 while the task sweeps all positions.
// Unpadded stride-1 float images (pointwise convs: Y_n[OC, HW] =
// W[OC, C] x X_n[C, HW]) are read where they lie, the last image's last
// vector from ShiftedImages' tail, so such a conv copies nothing.
#include <algorithm>
#include <optional>
#include <type_traits>

#include "f32-conv2d.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) std::remove_pointer_t<F32Conv2dUkernel> symbol;
#include "f32-conv2d-variants.inc"
#undef SPARQ_VARIANT

const F32Conv2dVariant kF32Conv2dVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "f32-conv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kF32Conv2dVariantCount = sizeof(kF32Conv2dVariants) / sizeof(kF32Conv2dVariants[0]);

const F32Conv2dVariant& f32_conv2d_best() { return best_variant(kF32Conv2dVariants); }

void f32_conv2d_pack(std::size_t out_channels, std::size_t taps, const float* w, F32Conv2dWeights* out) {
  const std::size_t strips = (out_channels + kF32Conv2dMr - 1) / kF32Conv2dMr;
  out->out_channels = out_channels;
  out->taps = taps;
  out->strips.assign(strips * taps * kF32Conv2dMr, 0.0f);
  for (std::size_t o = 0; o < out_channels; ++o)
    for (std::size_t k = 0; k < taps; ++k)
      out->strips[(o / kF32Conv2dMr * taps + k) * kF32Conv2dMr + o % kF32Conv2dMr] = w[o * taps + k];
}

void f32_conv2d(const F32Conv2dVariant& variant, const ShiftedConvShape& shape, const ConvInput& x,
                const F32Conv2dWeights& w, const ConvOutputParams& out) {
  ShiftedConvShape s = shape;
  s.compact = prefer_compact(s);
  const ShiftedImages images(s, x, /*split_tail=*/true);
  const ShiftedMasks masks(s);
  const std::vector<int32_t> offsets = shifted_offsets(s);
  const float* tail = images.tail();
  const std::vector<int32_t> tail_offsets = tail != nullptr ? shifted_tail_offsets(s) : std::vector<int32_t>();
  const std::size_t strips = (s.out_channels + kF32Conv2dMr - 1) / kF32Conv2dMr;
  const std::size_t per_call = std::max<std::size_t>(1, kF32Conv2dGroupVectors / s.vectors());
  const std::size_t groups = (s.batch + per_call - 1) / per_call;
  parallel_for(groups * strips, shifted_work(s, s.out_channels * s.taps()), [&](std::size_t task) {
    const std::size_t n0 = task / strips * per_call, strip = task % strips, first = strip * kF32Conv2dMr;
    const std::size_t rows = std::min(kF32Conv2dMr, s.out_channels - first);
    const std::size_t count = std::min(per_call, s.batch - n0);
    // Constructed (their scratch sized) before any is used: optional has no default constructor to get in the way.
    std::optional<ConvRowSink> sinks[kF32Conv2dGroupVectors];
    for (std::size_t i = 0; i < count; ++i) sinks[i].emplace(s, out, masks, n0 + i, first, rows, i, count);
    F32Conv2dTile t{};
    t.rows = rows;
    t.taps = s.taps();
    t.offsets = offsets.data();
    t.strip = w.strips.data() + strip * s.taps() * kF32Conv2dMr;
    t.vectors = s.vectors();
    t.images = count;
    for (std::size_t i = 0; i < count; ++i) {
      t.x[i] = images.image(n0 + i);
      t.out[i] = sinks[i]->tile(0);
    }
    if (tail == nullptr || n0 + count < s.batch) {
      variant.ukernel(t);
    } else {
      // This call holds the last image, read in place: the others whole, it
      // without its last vector, then that vector from the tail rows.
      const std::size_t last = count - 1, vectors = s.vectors();
      if (last > 0) {
        t.images = last;
        variant.ukernel(t);
      }
      F32Conv2dTile u = t;
      u.images = 1;
      u.x[0] = t.x[last];
      u.out[0] = t.out[last];
      if (vectors > 1) {
        u.vectors = vectors - 1;
        variant.ukernel(u);
      }
      u.vectors = 1;
      u.x[0] = tail;
      u.offsets = tail_offsets.data();
      u.out[0] = shifted_from_vector(t.out[last], vectors - 1);
      variant.ukernel(u);
    }
    for (std::size_t i = 0; i < count; ++i) sinks[i]->finish();
  });
}

}  // namespace sparq
