// qs32-qx8-requantize: every variant against the scalar one, exactly, for
// uint8, int8 and float output: bias absent, per row or per element (the add
// wraps), multipliers per row or per element (some Inf/NaN), zero points and
// fused clamps, accumulators up to INT32_MIN/MAX, float bounds with Inf/NaN.
#include <cmath>

#include "check.h"
#include "kernels/qs32-qx8-requantize/qs32-qx8-requantize.h"

using namespace sparq;

CHECK_FAMILY("qs32-qx8-requantize") {
  const RequantizeVariant& ref = kRequantizeVariants[kRequantizeVariantCount - 1];
  c.variants(kRequantizeVariants, kRequantizeVariantCount, [&](const RequantizeVariant& v) {
    for (std::size_t n : c.sizes({8, 16, 32, 64})) {
      for (int kind = 0; kind < 3; ++kind) {  // uint8, int8, float
        for (std::size_t bias_mode = 0; bias_mode < 3; ++bias_mode) {      // none, per row, per element
          for (std::size_t mul_stride = 0; mul_stride < 2; ++mul_stride) {  // per row, per element
            // Products mostly within the output range (so rounding, not the
            // clamp, decides them); a power-of-two multiplier puts many
            // exactly half way (ties to even).
            const bool ties = c.below(2) == 0;
            const float m0 = ties ? std::ldexp(1.0f, -static_cast<int>(c.integer(1, 8))) : c.uniform(1e-4f, 1e-2f);
            const int64_t span = static_cast<int64_t>(300.0f / m0);
            std::vector<int32_t> acc = c.integers<int32_t>(n + 1, -span, span);
            acc[1 + c.below(n)] = c.below(2) ? INT32_MIN : INT32_MAX;
            std::vector<int32_t> bias = c.integers<int32_t>(n + 1, -span / 4, span / 4);
            bias[1 + c.below(n)] = INT32_MAX;  // the add wraps
            std::vector<float> mul(n + 1, m0);
            if (!ties)
              for (float& m : mul) m *= c.uniform(0.5f, 2.0f);
            if (c.below(4) == 0) mul[1 + c.below(n)] = c.below(2) ? NAN : INFINITY;
            RequantizeRow p;
            p.bias = bias_mode == 0 ? nullptr : bias.data() + 1;
            p.bias_stride = bias_mode == 2 ? 1 : 0;
            p.multiplier = mul.data() + 1;
            p.multiplier_stride = mul_stride;
            const int32_t tmin = kind == 1 ? -128 : 0, tmax = kind == 1 ? 127 : 255;
            p.zero_point = static_cast<int32_t>(c.integer(tmin, tmax));
            p.out_min = c.below(2) ? tmin : p.zero_point;  // a fused ReLU clamps at the zero point
            p.out_max = c.below(4) ? tmax : static_cast<int32_t>(c.integer(p.out_min, tmax));
            const float fbounds[] = {-INFINITY, INFINITY, NAN, -0.5f, 0.5f};
            p.fmin = c.below(2) ? -INFINITY : fbounds[c.below(5)];
            p.fmax = c.below(2) ? INFINITY : fbounds[c.below(5)];
            const int32_t* a = acc.data() + 1;  // not 16-byte aligned
            if (kind == 2) {
              std::vector<float> got(n + 2, 7.0f), want(n);
              ref.to_float(n, a, p, want.data());
              v.to_float(n, a, p, got.data() + 1);
              c.same(got.data() + 1, want.data(), n, "float n=%zu bias %zu mul stride %zu fmin %g fmax %g", n,
                     bias_mode, mul_stride, static_cast<double>(p.fmin), static_cast<double>(p.fmax));
              c.expect(got[0] == 7.0f && got[n + 1] == 7.0f, "n=%zu: wrote outside [0, n)", n);
            } else {
              std::vector<uint8_t> got(n + 2, 0xa5), want(n);
              (kind == 1 ? ref.to_int8 : ref.to_uint8)(n, a, p, want.data());
              (kind == 1 ? v.to_int8 : v.to_uint8)(n, a, p, got.data() + 1);
              c.same(got.data() + 1, want.data(), n, "%s n=%zu bias %zu mul stride %zu zp %d [%d, %d]",
                     kind == 1 ? "int8" : "uint8", n, bias_mode, mul_stride, p.zero_point, p.out_min, p.out_max);
              c.expect(got[0] == 0xa5 && got[n + 1] == 0xa5, "n=%zu: wrote outside [0, n)", n);
            }
          }
        }
      }
    }
  });
  c.best(requantize_best().name);
}
