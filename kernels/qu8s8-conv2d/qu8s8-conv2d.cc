// qu8s8-conv2d driver: packs blocks once; per call interleaves the images
// (padded with the zero point; split into phase planes when strided,
// shifted-conv.h) on the thread pool, maps every entry to its
// position offset, then runs one task per (image, group of block rows), each
// block row over the whole image.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "qu8s8-conv2d.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) std::remove_pointer_t<Qu8s8Conv2dUkernel> symbol;
#include "qu8s8-conv2d-variants.inc"
#undef SPARQ_VARIANT

const Qu8s8Conv2dVariant kQu8s8Conv2dVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "qu8s8-conv2d-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kQu8s8Conv2dVariantCount = sizeof(kQu8s8Conv2dVariants) / sizeof(kQu8s8Conv2dVariants[0]);

const Qu8s8Conv2dVariant& qu8s8_conv2d_best() { return best_variant(kQu8s8Conv2dVariants); }

namespace {

constexpr std::size_t kBlock = 4;
// Bytes after each interleaved image that the last vector of the last entry may read.
constexpr std::size_t kSlackBytes = 64;

std::size_t groups_of(std::size_t channels) { return (channels + kBlock - 1) / kBlock; }

using InterleaveFn = void (*)(const uint8_t*, const uint8_t*, const uint8_t*, const uint8_t*, std::size_t, uint32_t*);

void interleave_portable(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3, std::size_t n, uint32_t* out) {
  for (std::size_t w = 0; w < n; ++w)
    out[w] = static_cast<uint32_t>(c0[w]) | static_cast<uint32_t>(c1[w]) << 8 | static_cast<uint32_t>(c2[w]) << 16 |
             static_cast<uint32_t>(c3[w]) << 24;
}

// Chosen once per call: the ISA check is not free next to a 15-position row.
InterleaveFn interleave_for_this_cpu() {
#if SPARQ_HAVE_AVX2
  if (isa_supported(Isa::kAvx512)) return qu8s8_conv2d_interleave_avx512;
  if (isa_supported(Isa::kAvx2Fma)) return qu8s8_conv2d_interleave_avx2;
#endif
#if SPARQ_HAVE_NEON
  if (isa_supported(Isa::kNeon)) return qu8s8_conv2d_interleave_neon;
#endif
  return interleave_portable;
}

// Writes image n of x padded with the zero point and interleaved by 4
// channels, one 32-bit word per position, each written once (interleaving
// was a quarter of a pruned layer as strided byte stores over a filled buffer).
void interleave_image(const ShiftedConvShape& s, const ConvInput& x, std::size_t n, InterleaveFn interleave, uint8_t* out) {
  const std::size_t wp = s.padded_w(), hp = s.padded_h(), plane = s.plane(), groups = groups_of(s.channels);
  const uint32_t zp = static_cast<uint8_t>(x.zero_point);
  const uint32_t zp_word = zp * 0x01010101u;
  uint32_t* words = reinterpret_cast<uint32_t*>(out);
  // Channels past C (when 4 does not divide it) read a plane of zero points.
  const std::vector<uint8_t> filler(s.channels % kBlock != 0 ? s.height * s.width : 0, static_cast<uint8_t>(zp));
  for (std::size_t g = 0; g < groups; ++g) {
    const uint8_t* src[kBlock];
    for (std::size_t q = 0; q < kBlock; ++q) {
      const std::size_t c = g * kBlock + q;
      src[q] = c < s.channels ? x.u8 + (n * s.channels + c) * s.height * s.width : filler.data();
    }
    uint32_t* dst = words + g * plane;
    for (std::size_t y = 0; y < hp; ++y) {
      uint32_t* row = dst + y * wp;
      if (y < s.pad_top || y >= s.pad_top + s.height) {
        std::fill(row, row + wp, zp_word);
        continue;
      }
      const std::size_t h = y - s.pad_top;
      std::fill(row, row + s.pad_left, zp_word);
      interleave(src[0] + h * s.width, src[1] + h * s.width, src[2] + h * s.width, src[3] + h * s.width, s.width, row + s.pad_left);
      std::fill(row + s.pad_left + s.width, row + wp, zp_word);
    }
  }
  std::fill(out + groups * plane * kBlock, out + groups * plane * kBlock + kSlackBytes, static_cast<uint8_t>(zp));
}

// The strided layout (shifted-conv.h): image n of x split into phase planes
// of interleaved words, zero points where a phase position falls in the
// padding or past the padded image; each input word written once, in the
// order of for_each_phase_position. A grid row's inside columns are one
// strided run of each of the group's 4 channel rows: each run is gathered
// into a row of its own, then the 4 rows are interleaved as the stride-1
// layout's are (a byte-at-a-time gather of the 4 channels per word was most
// of a strided pruned layer's time).
void interleave_phases(const ShiftedConvShape& s, const ConvInput& x, std::size_t n, InterleaveFn interleave, uint8_t* out) {
  const std::size_t hw = s.height * s.width, groups = groups_of(s.channels), gh = s.grid_h(), gw = s.grid_w();
  const uint8_t zp = static_cast<uint8_t>(x.zero_point);
  const uint32_t zp_word = static_cast<uint32_t>(zp) * 0x01010101u;
  // The 4 gathered runs, a grid row long each.
  std::vector<uint8_t> runs(kBlock * gw);
  uint32_t* dst = reinterpret_cast<uint32_t*>(out);
  for (std::size_t g = 0; g < groups; ++g)
    for (std::size_t a = 0; a < s.phases_h(); ++a)
      for (std::size_t b = 0; b < s.phases_w(); ++b) {
        // Grid columns q in [q0, q1) read input column q * SW + b - pad_left, inside [0, width).
        const std::size_t q0 = std::min(gw, b >= s.pad_left ? 0 : (s.pad_left - b + s.stride_w - 1) / s.stride_w);
        const std::size_t q1 = s.width + s.pad_left > b ? std::clamp((s.width + s.pad_left - b + s.stride_w - 1) / s.stride_w, q0, gw) : q0;
        for (std::size_t y = 0; y < gh; ++y, dst += gw) {
          const std::size_t py = y * s.stride_h + a;
          if (py < s.pad_top || py - s.pad_top >= s.height || q0 == q1) {
            std::fill(dst, dst + gw, zp_word);
            continue;
          }
          const std::size_t first = (py - s.pad_top) * s.width + q0 * s.stride_w + b - s.pad_left;
          for (std::size_t c = 0; c < kBlock; ++c) {
            uint8_t* run = runs.data() + c * gw;
            const std::size_t channel = g * kBlock + c;
            if (channel >= s.channels) {
              std::fill(run, run + (q1 - q0), zp);
              continue;
            }
            const uint8_t* src = x.u8 + (n * s.channels + channel) * hw + first;
            for (std::size_t i = 0; i < q1 - q0; ++i) run[i] = src[i * s.stride_w];
          }
          std::fill(dst, dst + q0, zp_word);
          interleave(runs.data(), runs.data() + gw, runs.data() + 2 * gw, runs.data() + 3 * gw, q1 - q0, dst + q0);
          std::fill(dst + q1, dst + gw, zp_word);
        }
      }
  std::fill(reinterpret_cast<uint8_t*>(dst), reinterpret_cast<uint8_t*>(dst) + kSlackBytes, zp);
}

}  // namespace

bool qu8s8_conv2d_pack(std::size_t out_channels, std::size_t channels, std::size_t kernel_h, std::size_t kernel_w,
                       const float* w, Qu8s8Conv2dWeights* out) {
  const std::size_t taps = channels * kernel_h * kernel_w, positions = kernel_h * kernel_w;
  for (std::size_t i = 0; i < out_channels * taps; ++i)
    if (!(w[i] >= -128.0f && w[i] <= 127.0f && std::nearbyint(w[i]) == w[i])) return false;
  *out = Qu8s8Conv2dWeights{};
  out->out_channels = out_channels;
  out->channels = channels;
  out->kernel_h = kernel_h;
  out->kernel_w = kernel_w;
  out->row_start.assign(1, 0);
  auto weight = [&](std::size_t o, std::size_t c, std::size_t t) -> int32_t {
    return o < out_channels && c < channels ? static_cast<int32_t>(w[(o * channels + c) * positions + t]) : 0;
  };
  for (std::size_t o0 = 0; o0 < out_channels; o0 += kBlock) {
    for (std::size_t g = 0; g < groups_of(channels); ++g)
      for (std::size_t t = 0; t < positions; ++t) {
        int32_t block[kBlock] = {}, pairs[2 * kBlock] = {};
        bool stored = false;
        for (std::size_t r = 0; r < kBlock; ++r)
          for (std::size_t q = 0; q < kBlock; ++q) {
            const int32_t v = weight(o0 + r, g * kBlock + q, t);
            stored = stored || v != 0;
            block[r] |= static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint8_t>(v)) << (8 * q));
            // Channel q goes to pair q % 2, half q / 2.
            pairs[2 * r + q % 2] |= static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(v)) << (16 * (q / 2)));
          }
        if (!stored) continue;
        out->group.push_back(static_cast<int32_t>(g));
        out->tap.push_back(static_cast<int32_t>(t));
        out->words.insert(out->words.end(), block, block + kBlock);
        out->pairs.insert(out->pairs.end(), pairs, pairs + 2 * kBlock);
      }
    out->row_start.push_back(static_cast<int32_t>(out->group.size()));
  }
  out->narrow = std::all_of(w, w + out_channels * taps, [](float v) { return v >= -64.0f && v <= 64.0f; });
  for (std::size_t o = 0; o < out_channels; ++o) {
    int32_t sum = 0;
    for (std::size_t k = 0; k < taps; ++k) sum += static_cast<int32_t>(w[o * taps + k]);
    out->row_sums.push_back(sum);
  }
  return true;
}

void qu8s8_conv2d(const Qu8s8Conv2dVariant& variant, const ShiftedConvShape& s, const ConvInput& x,
                  const Qu8s8Conv2dWeights& w, const ConvOutputParams& out) {
  const std::size_t phases = s.phases_h() * s.phases_w();
  const std::size_t image_bytes = groups_of(s.channels) * phases * s.plane() * kBlock + kSlackBytes;
  uint8_t* images = static_cast<uint8_t*>(thread_scratch(kScratchImages, s.batch * image_bytes));
  const InterleaveFn interleave = interleave_for_this_cpu();
  parallel_for(s.batch, [&](std::size_t n) {
    if (s.strided()) interleave_phases(s, x, n, interleave, images + n * image_bytes);
    else interleave_image(s, x, n, interleave, images + n * image_bytes);
  });
  const ShiftedMasks masks(s);
  // Entry (g, i, j) reads phase (i % SH, j % SW) of group g shifted by (i / SH, j / SW) (stride 1: plane g shifted by (i, j) dilated).
  std::vector<int32_t> offsets(w.group.size());
  for (std::size_t e = 0; e < offsets.size(); ++e) {
    const std::size_t di = w.tap[e] / w.kernel_w * s.dilation_h, dj = w.tap[e] % w.kernel_w * s.dilation_w;
    const std::size_t plane = (w.group[e] * s.phases_h() + di % s.stride_h) * s.phases_w() + dj % s.stride_w;
    offsets[e] = static_cast<int32_t>(plane * s.plane() + di / s.stride_h * s.grid_w() + dj / s.stride_w);
  }
  std::vector<int32_t> correction(w.row_sums.size() + kBlock, 0);
  for (std::size_t o = 0; o < w.row_sums.size(); ++o) correction[o] = x.zero_point * w.row_sums[o];
  const std::size_t per_task = shifted_rows_per_task(s);
  const std::size_t groups = (s.out_channels + per_task - 1) / per_task;
  // Each entry: kBlock output channels x one 4-byte group of input channels.
  parallel_for(s.batch * groups, shifted_work(s, w.group.size() * kBlock), [&](std::size_t task) {
    const std::size_t n = task / groups, first = task % groups * per_task;
    const std::size_t rows = std::min(per_task, s.out_channels - first);
    ConvRowSink sink(s, out, masks, n, first, rows);
    Qu8s8Conv2dTile t{};
    t.vectors = s.vectors();
    t.x = images + n * image_bytes;
    for (std::size_t r = 0; r < rows; r += kBlock) {
      const std::size_t block = (first + r) / kBlock;
      const std::size_t e0 = w.row_start[block], e1 = w.row_start[block + 1];
      t.rows = std::min(kBlock, rows - r);
      t.entries = e1 - e0;
      t.offsets = offsets.data() + e0;
      t.words = w.words.data() + e0 * kBlock;
      t.pairs = w.pairs.data() + e0 * 2 * kBlock;
      t.narrow = w.narrow;
      t.correction = correction.data() + first + r;
      t.out = sink.tile(r);
      variant.ukernel(t);
    }
    sink.finish();
  });
}

}  // namespace sparq
