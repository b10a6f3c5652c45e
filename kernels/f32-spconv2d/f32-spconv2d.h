// f32-spconv2d: sparse 2-D convolution of NCHW images (pruned weights, any
// stride: strided ones read the images' phase planes, as f32-conv2d does),
// computed directly on the padded images (shifted-conv/shifted-conv.h):
// each output channel keeps only its nonzero taps, and each tap adds
// w * image[offset + p] to a run of positions. No im2col, no zero weight
// read, NCHW out; the cost is one image load per FMA (the dense kernel
// shares each load among 6 channels), so it wins below about 1/4 density.
//
// Output as f32-conv2d: float32 with bias and clamp, or exact int32 sums
// (requantized to uint8/int8) for integer inputs whose sums stay below 2^24.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/cpu-features.h"
#include "../shifted-conv/shifted-conv.h"

namespace sparq {

// W [out_channels, taps] in block rows of `block_rows` (1 or 4) output
// channels: per block row, the taps where any of its channels has a nonzero
// weight, in tap order, each entry the block's weights for that tap (zeros
// past the last channel). Block rows of 1 are CSR; blocks of 4 channels
// share each image load among 4 FMAs, which pays when pruning keeps or
// drops a tap for 4 channels together (block pruning), not for scattered zeros.
struct F32SpConv2dWeights {
  std::size_t out_channels = 0, taps = 0, block_rows = 1;
  std::vector<int32_t> row_start;  // block rows + 1
  std::vector<int32_t> tap;        // per entry
  std::vector<float> value;        // per entry, block_rows values
};

void f32_spconv2d_pack(std::size_t out_channels, std::size_t taps, std::size_t block_rows, const float* w,
                       F32SpConv2dWeights* out);

// One microkernel call: one block row of `rows` (<= block rows) output
// channels over all `vectors` 16-position vectors of the image at x.
struct F32SpConv2dTile {
  std::size_t rows, vectors, entries;
  const float* x;
  const int32_t* offsets;  // per entry: its tap's image offset
  const float* values;     // per entry, block-rows values
  ConvTileOutput out;      // row r is the block's channel r
};

// How many partial sums a row of `vectors` vectors splits its entries into,
// entry e in sum e % P, added as s0 + s1 or (s0 + s1) + (s2 + s3): every
// variant sums in this order, so they give the same float bits.
inline std::size_t f32_spconv2d_chains(std::size_t vectors) { return vectors >= 8 ? 1 : vectors >= 4 ? 2 : 4; }

using F32SpConv2dUkernel = void (*)(const F32SpConv2dTile& t);

struct F32SpConv2dVariant {
  const char* name;
  Isa isa;
  F32SpConv2dUkernel rows1;  // block rows of 1 (CSR)
  F32SpConv2dUkernel rows4;  // block rows of 4
};

extern const F32SpConv2dVariant kF32SpConv2dVariants[];
extern const std::size_t kF32SpConv2dVariantCount;
const F32SpConv2dVariant& f32_spconv2d_best();

// Inf and NaN pixels give the dense convolution's NaNs: an unstored tap
// counts as an exact 0, and 0 x Inf = 0 x NaN = NaN (padding is exact zeros).
void f32_spconv2d(const F32SpConv2dVariant& variant, const ShiftedConvShape& s, const ConvInput& x,
                  const F32SpConv2dWeights& w, const ConvOutputParams& out);

}  // namespace sparq
