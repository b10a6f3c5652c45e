// f32-qx8-quantize: every variant against the scalar one, exactly, for uint8
// and int8: random scales and zero points, values that round half way (to
// even), saturate, or are NaN/Inf.
#include <cmath>

#include "check.h"
#include "kernels/f32-qx8-quantize/f32-qx8-quantize.h"

using namespace sparq;

CHECK_FAMILY("f32-qx8-quantize") {
  const QuantizeVariant& ref = kQuantizeVariants[kQuantizeVariantCount - 1];
  c.variants(kQuantizeVariants, kQuantizeVariantCount, [&](const QuantizeVariant& v) {
    for (std::size_t n : c.sizes({8, 16, 32, 64})) {
      for (int to_int8 = 0; to_int8 < 2; ++to_int8) {
        for (int trial = 0; trial < 3; ++trial) {
          // A power-of-two scale makes x / scale exact, so (k + 0.5) * scale
          // lands exactly half way and tests round-half-to-even.
          const float scale = trial == 0 ? std::ldexp(1.0f, static_cast<int>(c.integer(-8, 4))) : c.uniform(1e-3f, 2.0f);
          const int32_t zp = to_int8 ? static_cast<int32_t>(c.integer(-128, 127)) : static_cast<int32_t>(c.integer(0, 255));
          std::vector<float> x(n + 1);
          for (float& e : x) {
            switch (c.below(8)) {
              case 0: e = (static_cast<float>(c.integer(-300, 300)) + 0.5f) * scale; break;
              case 1: e = static_cast<float>(c.integer(-1, 1)) * INFINITY + (c.below(4) == 0 ? NAN : 0.0f); break;
              case 2: e = c.uniform(-1e30f, 1e30f); break;
              default: e = c.uniform(-300.0f, 300.0f) * scale;
            }
          }
          const float* row = x.data() + 1;  // not 16-byte aligned
          std::vector<uint8_t> got(n + 2, 0xa5), want(n);
          (to_int8 ? ref.to_int8 : ref.to_uint8)(n, row, scale, zp, want.data());
          (to_int8 ? v.to_int8 : v.to_uint8)(n, row, scale, zp, got.data() + 1);
          c.same(got.data() + 1, want.data(), n, "%s n=%zu scale %g zp %d", to_int8 ? "int8" : "uint8", n,
                 static_cast<double>(scale), zp);
          c.expect(got[0] == 0xa5 && got[n + 1] == 0xa5, "n=%zu: wrote outside [0, n)", n);
        }
      }
    }
  });
  c.best(quantize_best().name);
}
