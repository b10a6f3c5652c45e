// shifted-conv-helpers: the per-ISA helpers of the direct convolutions
// against their portable loops, bit for bit. The drivers pick these by
// isa_supported() rather than from a variant list, so each "variant" here is
// an ISA level: the public function runs once with the ISA limit set to that
// level and once at the scalar limit (the portable loop), on the same data.
//   widen            ShiftedImages of uint8 images (padded, compact and
//                    plain layouts, rows of every width up to a few vectors
//                    and random zero points): every float of the copies
//   pool-requantize  ConvRowSink::finish on random int32 rows under a 2x2
//                    stride-2 pool, uint8 and int8 output: pooled widths
//                    from 1 across the 16- and 4-window steps, bias (some
//                    wrapping past int32), multipliers giving clamped
//                    values, exact ties (powers of two) and NaN (infinite
//                    multipliers), 16 bytes past the output kept
//   interleave       qu8s8_conv2d's image layout, through the scalar
//                    variant with int32 output (every pixel reaches an output)
// and each level's functions called directly on rows of every length, with
// sentinels after the output (the tails go through copies: nothing may be
// written past n).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "kernels/shifted-conv/shifted-conv.h"
#include "kernels/qu8s8-conv2d/qu8s8-conv2d.h"

using namespace sparq;

namespace {

struct HelperLevel {
  const char* name;
  Isa isa;
  void (*widen)(const uint8_t* in, std::size_t n, int32_t zero_point, float* out);
  void (*interleave)(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3, std::size_t n,
                     uint32_t* out);
};

std::vector<HelperLevel> levels() {
  std::vector<HelperLevel> v;
#if SPARQ_HAVE_AVX2
  v.push_back({"shifted-conv-helpers-avx512", Isa::kAvx512, shifted_widen_avx512, qu8s8_conv2d_interleave_avx512});
  v.push_back({"shifted-conv-helpers-avx2", Isa::kAvx2Fma, shifted_widen_avx2, qu8s8_conv2d_interleave_avx2});
#endif
#if SPARQ_HAVE_NEON
  v.push_back({"shifted-conv-helpers-neon", Isa::kNeon, shifted_widen_neon, qu8s8_conv2d_interleave_neon});
#endif
  return v;
}

// Runs fn() capped at `level`, then at the scalar level, and restores the limit.
template <typename F>
void at_level_and_scalar(Isa level, F&& fn) {
  const Isa limit = isa_limit();
  set_isa_limit(level);
  fn(true);
  set_isa_limit(Isa::kScalar);
  fn(false);
  set_isa_limit(limit);
}

ShiftedConvShape random_shape(kcheck::Checker& c, std::size_t width) {
  ShiftedConvShape s{};
  s.batch = 1 + c.below(2);
  s.channels = 1 + c.below(3);
  s.out_channels = 1;
  s.height = 1 + c.below(4);
  s.width = width;
  s.kernel_h = 1 + c.below(std::min<std::size_t>(s.height, 3));
  s.kernel_w = 1 + c.below(std::min<std::size_t>(width, 3));
  s.dilation_h = s.dilation_w = 1;
  s.pad_top = c.below(2), s.pad_left = c.below(2), s.pad_bottom = c.below(2), s.pad_right = c.below(2);
  return s;
}

// ShiftedImages of random uint8 images with the level's widen and the portable one.
void check_widen_images(kcheck::Checker& c, Isa level, std::size_t width, int trial) {
  ShiftedConvShape s = random_shape(c, width);
  s.compact = trial % 3 == 0;
  const std::vector<uint8_t> x = c.integers<uint8_t>(s.batch * s.channels * s.height * s.width, 0, 255);
  ConvInput in;
  in.u8 = x.data();
  in.zero_point = static_cast<int32_t>(c.integer(0, 255));
  // Every float of an image's copy: the padded planes and their slack, or the compact tap rows.
  const std::size_t floats = s.compact ? s.taps() * s.compact_stride() : s.channels * s.plane() + kShiftedSlack;
  std::vector<float> got, want;
  at_level_and_scalar(level, [&](bool fast) {
    // The copies live in a thread scratch that the next ShiftedImages reuses.
    const ShiftedImages images(s, in);
    std::vector<float>& out = fast ? got : want;
    for (std::size_t n = 0; n < s.batch; ++n) out.insert(out.end(), images.image(n), images.image(n) + floats);
  });
  c.same(got.data(), want.data(), got.size(), "widen images: n=%zu c=%zu %zux%zu k=%zux%zu pads=%zu,%zu,%zu,%zu%s zp=%d",
         s.batch, s.channels, s.height, s.width, s.kernel_h, s.kernel_w, s.pad_top, s.pad_left, s.pad_bottom,
         s.pad_right, s.compact ? " compact" : "", in.zero_point);
}

// ConvRowSink::finish of random int32 rows, pooled 2x2/2 and requantized.
void check_pool_requantize(kcheck::Checker& c, Isa level, std::size_t pooled_width, int trial) {
  ShiftedConvShape s{};
  s.batch = s.channels = 1;
  s.out_channels = 1 + c.below(6);
  s.dilation_h = s.dilation_w = 1;
  s.kernel_h = 1 + c.below(3), s.kernel_w = 1 + c.below(3);
  s.pad_bottom = c.below(2), s.pad_right = c.below(2);
  // Conv output 2-7 rows and 2 * pooled_width columns or one more (the pool
  // drops an odd last row or column); wider padded rows when kernel_w > 1.
  const std::size_t conv_h = 2 + c.below(6), conv_w = 2 * pooled_width + c.below(2);
  s.height = conv_h + s.kernel_h - 1 - s.pad_bottom;
  s.width = conv_w + s.kernel_w - 1 - s.pad_right;
  s.compact = trial % 4 == 1;
  const std::size_t rows = s.out_channels;

  ConvOutputParams p;
  p.kind = trial % 2 == 0 ? ConvOutputKind::kUint8 : ConvOutputKind::kInt8;
  p.pool.kernel_h = p.pool.kernel_w = p.pool.stride_h = p.pool.stride_w = 2;
  const int lo = p.kind == ConvOutputKind::kUint8 ? 0 : -128;
  p.zero_point = static_cast<int32_t>(c.integer(lo, lo + 255));
  p.out_min = static_cast<int32_t>(c.integer(lo, lo + 30));
  p.out_max = static_cast<int32_t>(c.integer(lo + 225, lo + 255));
  // Per row: sums and a multiplier that land mostly inside the output range
  // (rounding tested, not only clamping), powers of two on small sums (ties),
  // an infinite multiplier now and then (inf, and NaN where the sum is 0).
  std::vector<float> multipliers(rows);
  std::vector<int64_t> spans(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t kind = c.below(8);
    if (kind == 0) {
      multipliers[r] = c.below(2) == 0 ? INFINITY : -INFINITY;
      spans[r] = 2;
    } else if (kind <= 3) {
      multipliers[r] = std::ldexp(1.0f, -static_cast<int>(c.below(4)));
      spans[r] = 400;
    } else {
      multipliers[r] = c.uniform(-1e-3f, 1e-3f);
      spans[r] = 200000;
    }
  }
  std::vector<int32_t> bias = c.integers<int32_t>(rows, -100, 100);
  // Sometimes a bias that wraps the int32 sum, as the portable path does.
  if (trial % 5 == 2) bias[c.below(rows)] = std::numeric_limits<int32_t>::max() - 50;
  if (c.below(3) != 0) p.int_bias = bias.data();
  p.multipliers = multipliers.data();

  const ShiftedMasks masks(s);
  const std::size_t out_plane = pooled_h(p.pool, s.out_h()) * pooled_w(p.pool, s.out_w());
  std::vector<uint8_t> got(rows * out_plane + 16, 0xA5), want(got);  // 16 bytes past the output keep their fill
  std::vector<int32_t> sums;
  at_level_and_scalar(level, [&](bool fast) {
    p.y = fast ? got.data() : want.data();
    ConvRowSink sink(s, p, masks, 0, 0, rows);
    const ConvTileOutput t = sink.tile(0);
    if (sums.empty()) {
      sums.resize(rows * t.row_stride);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < t.row_stride; ++i)
          sums[r * t.row_stride + i] = static_cast<int32_t>(c.integer(-spans[r], spans[r]));
    }
    std::copy(sums.begin(), sums.end(), t.yi);
    sink.finish();
  });
  c.same(got.data(), want.data(), got.size(), "pool-requantize: rows=%zu conv %zux%zu padded width %zu%s %s zp=%d [%d, %d]%s",
         rows, s.out_h(), s.out_w(), s.row_width(), s.compact ? " compact" : "",
         p.kind == ConvOutputKind::kUint8 ? "uint8" : "int8", p.zero_point, p.out_min, p.out_max,
         p.int_bias != nullptr ? " bias" : "");
}

// qu8s8_conv2d's scalar variant, int32 output, so the interleaving is all that differs.
void check_interleave_conv(kcheck::Checker& c, Isa level, std::size_t width) {
  ShiftedConvShape s = random_shape(c, width);
  s.channels = 1 + c.below(9);
  s.out_channels = 1 + c.below(5);
  std::vector<float> w(s.out_channels * s.taps());
  // Dense nonzero weights: every pixel reaches an output.
  for (float& v : w) v = static_cast<float>(c.below(2) == 0 ? c.integer(-128, -1) : c.integer(1, 127));
  Qu8s8Conv2dWeights packed;
  if (!c.expect(qu8s8_conv2d_pack(s.out_channels, s.channels, s.kernel_h, s.kernel_w, w.data(), &packed),
                "packing integer weights"))
    return;
  const std::vector<uint8_t> x = c.integers<uint8_t>(s.batch * s.channels * s.height * s.width, 0, 255);
  ConvInput in;
  in.u8 = x.data();
  in.zero_point = static_cast<int32_t>(c.integer(0, 255));
  ConvOutputParams p;
  p.kind = ConvOutputKind::kInt32;
  const std::size_t count = s.batch * s.out_channels * s.out_h() * s.out_w();
  std::vector<int32_t> got(count), want(count);
  const Qu8s8Conv2dVariant& scalar = kQu8s8Conv2dVariants[kQu8s8Conv2dVariantCount - 1];
  at_level_and_scalar(level, [&](bool fast) {
    p.y = fast ? got.data() : want.data();
    qu8s8_conv2d(scalar, s, in, packed, p);
  });
  c.same(got.data(), want.data(), count, "interleave conv: n=%zu c=%zu %zux%zu k=%zux%zu pads=%zu,%zu,%zu,%zu zp=%d",
         s.batch, s.channels, s.height, s.width, s.kernel_h, s.kernel_w, s.pad_top, s.pad_left, s.pad_bottom,
         s.pad_right, in.zero_point);
}

// The level's widen and interleave called directly on n values, against
// their formulas, with sentinels after the output.
void check_direct(kcheck::Checker& c, const HelperLevel& v, std::size_t n) {
  const std::vector<uint8_t> bytes = c.integers<uint8_t>(4 * n, 0, 255);
  const int32_t zp = static_cast<int32_t>(c.integer(0, 255));
  std::vector<float> got(n + 16, -7.0f), want(got);
  for (std::size_t i = 0; i < n; ++i) want[i] = static_cast<float>(static_cast<int32_t>(bytes[i]) - zp);
  v.widen(bytes.data(), n, zp, got.data());
  c.same(got.data(), want.data(), got.size(), "widen n=%zu zp=%d", n, zp);

  std::vector<uint32_t> words(n + 16, 0xA5A5A5A5u), expected(words);
  const uint8_t *c0 = bytes.data(), *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
  for (std::size_t i = 0; i < n; ++i)
    expected[i] = static_cast<uint32_t>(c0[i]) | static_cast<uint32_t>(c1[i]) << 8 | static_cast<uint32_t>(c2[i]) << 16 |
                  static_cast<uint32_t>(c3[i]) << 24;
  v.interleave(c0, c1, c2, c3, n, words.data());
  c.same(words.data(), expected.data(), words.size(), "interleave n=%zu", n);
}

}  // namespace

CHECK_FAMILY("shifted-conv-helpers") {
  const std::vector<HelperLevel> list = levels();
  c.variants(list.data(), list.size(), [&](const HelperLevel& v) {
    for (std::size_t n : c.sizes({4, 16, 32})) check_direct(c, v, n);
    int trial = 0;
    for (std::size_t width : c.sizes({8, 16, 32})) {
      check_widen_images(c, v.isa, width, trial);
      check_interleave_conv(c, v.isa, width);
      ++trial;
    }
    trial = 0;
    for (std::size_t pooled : c.sizes({4, 16})) {
      for (int k = 0; k < 4; ++k, ++trial) check_pool_requantize(c, v.isa, pooled, trial);
    }
  });
}
