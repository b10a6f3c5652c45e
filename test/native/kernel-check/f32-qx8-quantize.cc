// f32-qx8-quantize: every variant against the scalar one, exactly, for uint8
// and int8: random scales and zero points, values that round half way (to
// even), saturate, or are NaN/Inf. Then quantize_channels_last on each
// variant's row functions against the scalar rows transposed: channel counts
// that take each interleave, several channel blocks and pixel tiles.
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
  c.variants(kQuantizeVariants, kQuantizeVariantCount, [&](const QuantizeVariant& v) {
    const std::size_t shapes[][3] = {{1, 3, 300}, {2, 1, 17}, {1, 2, 256}, {2, 4, 9}, {1, 5, 513}, {2, 33, 40}};
    for (const auto& s : shapes) {
      const std::size_t outer = s[0], channels = s[1], inner = s[2], total = outer * channels * inner;
      for (int to_int8 = 0; to_int8 < 2; ++to_int8) {
        const QuantizeFn want_row = to_int8 ? ref.to_int8 : ref.to_uint8;
        const QuantizeFn got_row = to_int8 ? v.to_int8 : v.to_uint8;
        std::vector<float> scales(channels);
        std::vector<int32_t> zps(channels);
        for (std::size_t ch = 0; ch < channels; ++ch) {
          scales[ch] = c.uniform(1e-3f, 0.1f);
          zps[ch] = to_int8 ? static_cast<int32_t>(c.integer(-128, 127)) : static_cast<int32_t>(c.integer(0, 255));
        }
        std::vector<float> x(total);
        for (float& e : x) e = c.uniform(-20.0f, 20.0f);
        for (std::size_t per_channel = 0; per_channel < 2; ++per_channel) {
          const std::size_t count = per_channel ? channels : 1;
          std::vector<uint8_t> rows(total), want(total), got(total + 1, 0xa5);
          for (std::size_t n = 0; n < outer; ++n)
            for (std::size_t ch = 0; ch < channels; ++ch) {
              const std::size_t at = per_channel ? ch : 0;
              want_row(inner, x.data() + (n * channels + ch) * inner, scales[at], zps[at], rows.data() + (n * channels + ch) * inner);
              for (std::size_t p = 0; p < inner; ++p) want[(n * inner + p) * channels + ch] = rows[(n * channels + ch) * inner + p];
            }
          quantize_channels_last(got_row, outer, channels, inner, x.data(), scales.data(), count, zps.data(), count, got.data());
          c.same(got.data(), want.data(), total, "channels last %s %zux%zux%zu per %s", to_int8 ? "int8" : "uint8", outer,
                 channels, inner, per_channel ? "channel" : "tensor");
          c.expect(got[total] == 0xa5, "channels last %zux%zux%zu: wrote past the end", outer, channels, inner);
        }
      }
    }
  });
  c.best(quantize_best().name);
}
