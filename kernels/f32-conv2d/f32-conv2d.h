// f32-conv2d: dense stride-1 2-D convolution of NCHW images, computed
// directly on the (padded) images as an implicit GEMM (shifted-conv/shifted-conv.h):
//   y[n, o, p] = sum over taps k of W[o, k] * image_n[offset[k] + p]
// with W packed once into strips of MR output channels, so the microkernel
// broadcasts MR weights per tap against 16-position vectors of the image. No
// im2col buffer is written and the result comes out NCHW, without the
// transpose a pixel-major GEMM needs.
//
// Output: float32 (y = clamp(acc + bias[o], min, max)), or exact int32 sums
// when the inputs are integers whose sums stay below 2^24 (the quantized
// convolutions: uint8 - zero point times int8 weights), requantized to
// uint8/int8 by qs32-qx8-requantize or returned as int32.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"
#include "../shifted-conv/shifted-conv.h"

namespace sparq {

// Output channels per packed strip, shared by every variant so one packing serves all.
constexpr std::size_t kF32Conv2dMr = 6;

// W [out_channels, taps] packed as ceil(out_channels / MR) strips of taps x MR floats, zero-padded.
struct F32Conv2dWeights {
  std::size_t out_channels = 0, taps = 0;
  aligned_vector<float> strips;
};

void f32_conv2d_pack(std::size_t out_channels, std::size_t taps, const float* w, F32Conv2dWeights* out);

// Images of at most this many vectors (a 6x6 map has 2) are computed
// several at once, so each broadcast weight feeds kF32Conv2dGroupVectors
// vectors as in a large image: 4 / vectors images per call.
constexpr std::size_t kF32Conv2dGroupVectors = 4;

// One microkernel call: `rows` (<= MR) output channels over all `vectors`
// 16-position vectors of `images` images (more than 1 only when images x
// vectors <= kF32Conv2dGroupVectors), image i at x[i], its rows to out[i].
struct F32Conv2dTile {
  std::size_t rows, vectors, taps, images;
  const float* x[kF32Conv2dGroupVectors];
  const int32_t* offsets;  // per tap
  const float* strip;      // taps x MR weights
  ConvTileOutput out[kF32Conv2dGroupVectors];
};

using F32Conv2dUkernel = void (*)(const F32Conv2dTile& t);

struct F32Conv2dVariant {
  const char* name;  // file stem, e.g. "f32-conv2d-6x64-avx512"
  Isa isa;
  F32Conv2dUkernel ukernel;
};

extern const F32Conv2dVariant kF32Conv2dVariants[];
extern const std::size_t kF32Conv2dVariantCount;
const F32Conv2dVariant& f32_conv2d_best();

// Runs the whole convolution, split across the thread pool by images and strips.
void f32_conv2d(const F32Conv2dVariant& variant, const ShiftedConvShape& s, const ConvInput& x,
                const F32Conv2dWeights& w, const ConvOutputParams& out);

}  // namespace sparq
