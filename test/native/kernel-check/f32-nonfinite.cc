// f32-nonfinite: every variant against the scalar one on runs that hold no
// Inf/NaN and runs with exactly one (+-Inf, a quiet or signalling NaN, at
// every position class: first, last, in a full vector, in the tail), and the
// copy each writes bit for bit.
#include <cmath>
#include <cstring>

#include "check.h"
#include "kernels/f32-nonfinite/f32-nonfinite.h"

using namespace sparq;

namespace {

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

CHECK_FAMILY("f32-nonfinite") {
  const F32NonfiniteVariant& ref = kF32NonfiniteVariants[kF32NonfiniteVariantCount - 1];
  // The largest finite magnitude (just below Inf's bits), then the values that are not finite.
  const float finite_edge = from_bits(0xff7fffffu);
  const float bad[] = {INFINITY, -INFINITY, NAN, from_bits(0x7f800001u) /* signalling NaN */, from_bits(0xffc00000u)};
  c.variants(kF32NonfiniteVariants, kF32NonfiniteVariantCount, [&](const F32NonfiniteVariant& v) {
    c.expect(!v.fn(0, nullptr, nullptr), "n=0 is finite");
    for (std::size_t n : c.sizes({8, 16, 64, 128})) {
      std::vector<float> x = c.floats(n + 1, -1e30f, 1e30f);
      x[1 + c.below(n)] = finite_edge;
      std::vector<std::size_t> at = {0, n - 1, c.below(n), n / 2};
      for (int trial = -1; trial < static_cast<int>(at.size() * 2); ++trial) {
        std::vector<float> y = x;
        if (trial >= 0) y[1 + at[trial / 2]] = bad[c.below(5)];
        const float* r = y.data() + 1;  // not 16-byte aligned
        const bool want = ref.fn(n, r, nullptr);
        c.expect(want == (trial >= 0), "n=%zu trial %d: the scalar variant's answer", n, trial);
        c.expect(v.fn(n, r, nullptr) == want, "n=%zu trial %d: answer without copy", n, trial);
        std::vector<float> copy(n + 2, 7.0f);
        c.expect(v.fn(n, r, copy.data() + 1) == want, "n=%zu trial %d: answer with copy", n, trial);
        std::vector<uint32_t> got_bits(n), want_bits(n);  // the copy keeps NaN payloads
        std::memcpy(got_bits.data(), copy.data() + 1, n * 4);
        std::memcpy(want_bits.data(), r, n * 4);
        c.same(got_bits.data(), want_bits.data(), n, "n=%zu trial %d: copy", n, trial);
        c.expect(copy[0] == 7.0f && copy[n + 1] == 7.0f, "n=%zu trial %d: copy wrote outside [0, n)", n, trial);
      }
    }
  });
  c.best(f32_nonfinite_best().name);
}
