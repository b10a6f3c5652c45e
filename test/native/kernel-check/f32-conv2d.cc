// f32-conv2d: every variant against the scalar one through the driver, bit
// for bit (every variant sums the taps in order with one fused multiply-add
// each, as conv2d.test.ts requires), on random shapes (shifted-conv-cases.h):
// every strip height, maps from the compact layout to rows of several
// vectors, float32 and int32 output, the fused pool, Inf and NaN pixels.
#include <vector>

#include "check.h"
#include "kernels/f32-conv2d/f32-conv2d.h"
#include "shifted-conv-cases.h"

using namespace sparq;

CHECK_FAMILY("f32-conv2d") {
  const F32Conv2dVariant& ref = kF32Conv2dVariants[kF32Conv2dVariantCount - 1];
  c.variants(kF32Conv2dVariants, kF32Conv2dVariantCount, [&](const F32Conv2dVariant& v) {
    for (int i = 0; i < 160; ++i) {
      const kcheck::ConvCase t = kcheck::random_conv_case(c, i, /*strided=*/true);
      const std::vector<float> w = kcheck::conv_weights(c, t, 0.1f);
      F32Conv2dWeights packed;
      f32_conv2d_pack(t.s.out_channels, t.s.taps(), w.data(), &packed);
      kcheck::check_conv_case(
          c, t,
          [&](const ConvInput& in, const ConvOutputParams& p, bool variant) {
            f32_conv2d(variant ? v : ref, t.s, in, packed, p);
          },
          "dense");
    }
  });
  c.best(f32_conv2d_best().name);
}
