// f32-maxpool-grad-nhwc: every variant against the scalar one, bit for bit:
// channel counts across every vector width's vectors and tails, even and odd
// image sizes (an odd last row or column lies in no window), with and without
// positive_only, images of few distinct values (ties, zeros of both signs,
// NaN) with their true pooled maxima, gradients with -0 and NaN, and dx
// starting as garbage (every value must be written).
#include <cmath>
#include <cstddef>
#include <vector>

#include "check.h"
#include "kernels/f32-maxpool-grad-nhwc/f32-maxpool-grad-nhwc.h"

using namespace sparq;

CHECK_FAMILY("f32-maxpool-grad-nhwc") {
  const MaxPoolGradNhwcVariant& ref = kMaxPoolGradNhwcVariants[kMaxPoolGradNhwcVariantCount - 1];
  const float values[] = {0.0f, -0.0f, 1.0f, 2.0f, -1.0f, NAN, 0.5f};
  c.variants(kMaxPoolGradNhwcVariants, kMaxPoolGradNhwcVariantCount, [&](const MaxPoolGradNhwcVariant& v) {
    for (std::size_t channels : c.sizes({4, 8, 16})) {
      for (int positive_only = 0; positive_only < 2; ++positive_only) {
        MaxPoolGradNhwcShape s{};
        s.images = 1 + c.below(2);
        s.channels = channels;
        s.height = 2 + c.below(6);
        s.width = 2 + c.below(6);
        s.out_h = s.height / 2;
        s.out_w = s.width / 2;
        s.positive_only = positive_only == 1;
        const std::size_t n = s.images * s.height * s.width * channels, outputs = s.images * s.out_h * s.out_w * channels;
        const std::size_t rows = s.images * s.out_h, row = s.width * channels;
        std::vector<float> x(n);
        for (float& e : x) e = values[c.below(7)];
        std::vector<float> y(outputs), dy = c.floats(outputs, -1.0f, 1.0f);
        for (std::size_t r = 0, o = 0; r < rows; ++r)
          for (std::size_t ow = 0; ow < s.out_w; ++ow)
            for (std::size_t ch = 0; ch < channels; ++ch, ++o) {
              const float* in = x.data() + (r / s.out_h * s.height + 2 * (r % s.out_h)) * row + 2 * ow * channels + ch;
              float m = -INFINITY;
              for (const float e : {in[0], in[channels], in[row], in[row + channels]}) m = e > m ? e : m;
              y[o] = m;
              if (c.below(5) == 0) dy[o] = c.below(2) == 0 ? -0.0f : NAN;
            }
        std::vector<float> got(n, 7.0f), want(n, 7.0f);
        // Two calls splitting the output rows, as the binding's tasks do.
        v.f32(s, 0, rows / 2, x.data(), y.data(), dy.data(), got.data());
        v.f32(s, rows / 2, rows, x.data(), y.data(), dy.data(), got.data());
        ref.f32(s, 0, rows, x.data(), y.data(), dy.data(), want.data());
        c.same(got.data(), want.data(), n, "C=%zu %zux%zux%zu positive_only %d", channels, s.images, s.height, s.width, positive_only);
      }
    }
  });
  c.best(maxpool_grad_nhwc_best().name);
}
