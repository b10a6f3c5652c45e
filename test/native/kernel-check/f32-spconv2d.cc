// f32-spconv2d: every variant against the scalar one through the driver,
// bit for bit (same entry order, partial sums and fused multiply-adds, as
// conv2d.test.ts requires), CSR and 4-channel blocks at densities from
// empty channels to full, on random shapes (shifted-conv-cases.h, strided
// ones on the phase planes): row
// lengths that split the entries over 1, 2 and 4 partial sums, float32 and
// int32 output, the fused pool, Inf and NaN pixels (the driver's fix-up).
#include <vector>

#include "check.h"
#include "kernels/f32-spconv2d/f32-spconv2d.h"
#include "shifted-conv-cases.h"

using namespace sparq;

CHECK_FAMILY("f32-spconv2d") {
  const F32SpConv2dVariant& ref = kF32SpConv2dVariants[kF32SpConv2dVariantCount - 1];
  const float zeros[] = {0.0f, 0.5f, 0.9f, 1.0f};
  c.variants(kF32SpConv2dVariants, kF32SpConv2dVariantCount, [&](const F32SpConv2dVariant& v) {
    for (int i = 0; i < 200; ++i) {
      const kcheck::ConvCase t = kcheck::random_conv_case(c, i, /*strided=*/true);
      const std::vector<float> w = kcheck::conv_weights(c, t, zeros[i % 4]);
      const std::size_t block_rows = i % 2 == 0 ? 1 : 4;
      F32SpConv2dWeights packed;
      f32_spconv2d_pack(t.s.out_channels, t.s.taps(), block_rows, w.data(), &packed);
      kcheck::check_conv_case(
          c, t,
          [&](const ConvInput& in, const ConvOutputParams& p, bool variant) {
            f32_spconv2d(variant ? v : ref, t.s, in, packed, p);
          },
          block_rows == 1 ? "csr" : "blocks of 4");
    }
  });
  c.best(f32_spconv2d_best().name);
}
