// qx8-f32-dequantize: every variant against the scalar one, bit for bit, for
// uint8 and int8 input: zero points in and out of the type's range (the
// subtraction wraps in int32), and scales that are tiny, huge, negative, Inf
// or NaN.
#include <cmath>

#include "check.h"
#include "kernels/qx8-f32-dequantize/qx8-f32-dequantize.h"

using namespace sparq;

CHECK_FAMILY("qx8-f32-dequantize") {
  const DequantizeVariant& ref = kDequantizeVariants[kDequantizeVariantCount - 1];
  const float scales[] = {1.0f, 0.0078125f, -3.5f, 1e-38f, 3e38f, INFINITY, NAN};
  c.variants(kDequantizeVariants, kDequantizeVariantCount, [&](const DequantizeVariant& v) {
    for (std::size_t n : c.sizes({8, 16, 32, 64})) {
      for (int from_int8 = 0; from_int8 < 2; ++from_int8) {
        for (int trial = 0; trial < 3; ++trial) {
          const float scale = trial == 0 ? scales[c.below(7)] : c.uniform(1e-4f, 1.0f);
          const int32_t zp = trial == 2 ? static_cast<int32_t>(c.integer(INT32_MIN, INT32_MAX))
                             : from_int8 ? static_cast<int32_t>(c.integer(-128, 127))
                                         : static_cast<int32_t>(c.integer(0, 255));
          const std::vector<uint8_t> x = c.integers<uint8_t>(n + 1, 0, 255);
          const uint8_t* row = x.data() + 1;  // odd address
          std::vector<float> got(n + 2, 7.0f), want(n);
          (from_int8 ? ref.from_int8 : ref.from_uint8)(n, row, scale, zp, want.data());
          (from_int8 ? v.from_int8 : v.from_uint8)(n, row, scale, zp, got.data() + 1);
          c.same(got.data() + 1, want.data(), n, "%s n=%zu scale %g zp %d", from_int8 ? "int8" : "uint8", n,
                 static_cast<double>(scale), zp);
          c.expect(got[0] == 7.0f && got[n + 1] == 7.0f, "n=%zu: wrote outside [0, n)", n);
        }
      }
    }
  });
  c.best(dequantize_best().name);
}
