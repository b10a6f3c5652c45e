// qu8s8-conv2d: 2-D convolution (any stride, dilation 1 where strided) of uint8 NCHW images with int8
// weights pruned in blocks of [4 output channels x 4 input channels] at one
// kernel position, on 8-bit dot products (AVX-512 VNNI vpdpbusd: per 32-bit
// lane, 4 uint8 x int8 products summed into int32), exact in int32.
//
// Layout (shifted-conv/shifted-conv.h): each image is padded with its zero point
// (and split into phase planes when strided, as f32-conv2d's) and interleaved by 4 channels, x4[g][p][q] = x[4g + q] at padded position
// p (channels past C are the zero point too), so one 64-byte load holds 16
// positions x 4 channels: one lane's 4 bytes meet one block row's 4 weights.
// A stored block is its 4 rows' 4-byte weight words; a block row's entries
// are its stored blocks in (group, i, j) order. With x taken as stored
// (zero point included) the sums are corrected once per channel:
//   sum w * (x - zx) = sum w * x - zx * sum w,
// padding contributing w * zx - w * zx = 0. Output as f32-spconv2d's integer
// outputs (int32, or requantized uint8/int8, fused pool), the same values.
//
// Without 8-bit dot products (AVX2) the sums are made exact in int16 pairs
// instead (vpmaddwd): each image word's even bytes (channels 0, 2) and odd
// bytes (1, 3) as two int16 each meet the block row's weights split the same
// way, `pairs` below, packed once with the words. Weights in [-64, 64]
// (`narrow`: 7-bit quantization, onnxruntime's reduce_range) take vpmaddubsw
// on the words instead, whose saturating int16 pair sums cannot saturate
// there (2 x 255 x 64 = 32640).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/cpu-features.h"
#include "../shifted-conv/shifted-conv.h"

namespace sparq {

struct Qu8s8Conv2dWeights {
  std::size_t out_channels = 0, channels = 0, kernel_h = 0, kernel_w = 0;
  std::vector<int32_t> row_start;  // per block row of 4 channels, + 1
  std::vector<int32_t> group, tap;  // per entry: channel group g, kernel position i * kernel_w + j
  std::vector<int32_t> words;       // per entry, 4: row r's 4 weights (channels 4g..4g+3), little end first
  // per entry, 8: row r's weights as int16 pairs, (w0, w2) at 2r and (w1, w3)
  // at 2r + 1, the low half first
  std::vector<int32_t> pairs;
  bool narrow = false;              // every weight in [-64, 64]
  std::vector<int32_t> row_sums;    // per output channel: sum of its weights
};

// Packs w [out_channels, channels, kernel_h, kernel_w] of integers in
// [-128, 127] (given as floats, as the conv weights are kept); false (and
// nothing packed) when a value is not such an integer.
bool qu8s8_conv2d_pack(std::size_t out_channels, std::size_t channels, std::size_t kernel_h, std::size_t kernel_w,
                       const float* w, Qu8s8Conv2dWeights* out);

// One microkernel call: one block row (`rows` <= 4 channels) over all
// `vectors` 16-position vectors of the interleaved image at x.
struct Qu8s8Conv2dTile {
  std::size_t rows, vectors, entries;
  const uint8_t* x;
  const int32_t* offsets;     // per entry: its block's position offset in x (units of 4 bytes)
  const int32_t* words;       // per entry, 4
  const int32_t* pairs;       // per entry, 8 (Qu8s8Conv2dWeights::pairs)
  bool narrow;                // the weights are (Qu8s8Conv2dWeights::narrow)
  const int32_t* correction;  // per row: zero point x its sum of weights
  ConvTileOutput out;
};

using Qu8s8Conv2dUkernel = void (*)(const Qu8s8Conv2dTile& t);

struct Qu8s8Conv2dVariant {
  const char* name;
  Isa isa;
  Qu8s8Conv2dUkernel ukernel;
};

extern const Qu8s8Conv2dVariant kQu8s8Conv2dVariants[];
extern const std::size_t kQu8s8Conv2dVariantCount;
const Qu8s8Conv2dVariant& qu8s8_conv2d_best();

// out[i] = c0[i] | c1[i] << 8 | c2[i] << 16 | c3[i] << 24, i < n (the image
// layout's rows; the driver calls the best one the CPU has).
void qu8s8_conv2d_interleave_avx512(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                    std::size_t n, uint32_t* out);
void qu8s8_conv2d_interleave_avx2(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                  std::size_t n, uint32_t* out);
void qu8s8_conv2d_interleave_neon(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                  std::size_t n, uint32_t* out);

// x.u8 must be set; out.kind one of the integer kinds.
void qu8s8_conv2d(const Qu8s8Conv2dVariant& variant, const ShiftedConvShape& s, const ConvInput& x,
                  const Qu8s8Conv2dWeights& w, const ConvOutputParams& out);

}  // namespace sparq
