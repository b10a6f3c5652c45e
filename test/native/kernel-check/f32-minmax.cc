// f32-minmax: min and max of a row, every variant against the scalar one,
// bit for bit (NaN ignored, zeros returned as +0), on rows of plain values,
// rows with NaN (quiet and signalling)/Inf/-0 sprinkled in, all-NaN rows, and n = 0.
#include <cmath>
#include <cstring>

#include "check.h"
#include "kernels/f32-minmax/f32-minmax.h"

using namespace sparq;

CHECK_FAMILY("f32-minmax") {
  const MinmaxVariant& ref = kMinmaxVariants[kMinmaxVariantCount - 1];
  const uint32_t signalling_nan_bits = 0x7f800001u;
  float signalling_nan;
  std::memcpy(&signalling_nan, &signalling_nan_bits, 4);
  const float specials[] = {NAN, signalling_nan, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-45f, -3.4e38f};
  c.variants(kMinmaxVariants, kMinmaxVariantCount, [&](const MinmaxVariant& v) {
    float lo, hi, want_lo, want_hi;
    v.fn(0, nullptr, &lo, &hi);
    c.expect(lo == INFINITY && hi == -INFINITY, "n=0 gives +inf, -inf");
    for (std::size_t n : c.sizes({4, 8, 16, 32, 64})) {
      for (int kind = 0; kind < 4; ++kind) {
        // Offset by one float so vector loads are not 16-byte aligned.
        std::vector<float> x = c.floats(n + 1, -100.0f, 100.0f);
        if (kind == 1)
          for (std::size_t k = 0; k < 1 + n / 8; ++k) x[1 + c.below(n)] = specials[c.below(8)];
        if (kind == 2)
          for (float& e : x) e = NAN;
        if (kind == 3)  // only zeros of both signs, and NaN: the +0 rule
          for (float& e : x) e = c.below(3) == 0 ? NAN : (c.below(2) ? -0.0f : 0.0f);
        ref.fn(n, x.data() + 1, &want_lo, &want_hi);
        v.fn(n, x.data() + 1, &lo, &hi);
        const float got[2] = {lo, hi}, want[2] = {want_lo, want_hi};
        c.same(got, want, 2, "n=%zu kind %d (min, max)", n, kind);
      }
    }
  });
  c.best(minmax_best().name);
}
