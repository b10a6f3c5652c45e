// f32-dwconv2d-nhwc: depthwise 2-D convolution of channels-last (NHWC)
// float32 images (ONNX Conv with group == input channels, activations laid
// out [N, H, W, C]), `multiplier` output channels per input channel:
//   y[n, oh, ow, c*M + m] = clamp(bias[c*M + m] + sum over i < KH, j < KW of
//       w[c*M + m, 0, i, j] * x[n, oh*SH - PT + i*DH, ow*SW - PL + j*DW, c], min, max)
// with positions in the padding reading zero.
//
// Why channels-last: on NCHW a 7x7 or 14x14 plane is shorter than a few
// vectors, so vectors along the row are mostly edges and masks; here the
// channels are the contiguous axis (32 to 960 of them in mobile nets), so
// each output pixel is whole vectors of channels, and a tap's weights for a
// vector of channels are one aligned load from weights packed once as
// [KH*KW][channels rounded up to 16] (PackedDwConv2dNhwc).
//
// The kernels run one output row at a time. For 3x3 and 5x5 at stride_w 1
// or 2 (the shapes mobile nets use) the SIMD variants run tiles of 8
// output pixels by one or two vectors of channels: each input column under
// the tile is loaded once per kernel row and feeds every pixel whose window
// holds it, and the tile's accumulators are independent FMA chains (one
// pixel at a time is one chain and a load per FMA); tiles inside the row
// run without bounds checks, the row's end tiles skip the padding's
// columns. Other kernels take each pixel's taps with the weights loaded per
// tap, edge pixels clipping their window columns. Input rows that lie in
// the padding point at a row of zeros, so no padded copy of the image is
// made. Output rows are
// split across the thread pool. A multiplier M > 1 (rare) first copies the
// input with each channel repeated M times, so the kernels only ever see
// M = 1 (output channel o reads input channel o).
#pragma once

#include <cstddef>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"

namespace sparq {

// Packed channels are rounded up to this (the widest vector, AVX-512's 16),
// so every variant runs on the same packing and every weight vector is aligned.
constexpr std::size_t kDwConv2dNhwcChannelTile = 16;

struct DwConv2dNhwcShape {
  std::size_t batch, channels;  // input channels
  std::size_t multiplier;       // output channels per input channel
  std::size_t height, width;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
};

// Weights [OC, 1, KH, KW] (OC = channels * multiplier) and the bias, packed
// once: w[t * padded + o] is tap t = i * KW + j of output channel o, zero for
// o >= OC; bias[o] likewise (zeros without a bias).
struct PackedDwConv2dNhwc {
  std::size_t out_channels, padded, kernel_h, kernel_w;
  aligned_vector<float> w, bias;
};
PackedDwConv2dNhwc f32_dwconv2d_nhwc_pack(const float* w, const float* bias, std::size_t out_channels, std::size_t kernel_h,
                                          std::size_t kernel_w);

// What follows the sums: y = clamp(post(conv + bias), min, max), with post
// none, HardSigmoid clamp(alpha*v + beta, 0, 1) or HardSwish
// v * clamp(v/6 + 0.5, 0, 1) (MobileNetV3's depthwise layers end in one;
// fused, it costs no second pass over the output).
enum class DwConv2dNhwcPost : int { kNone = 0, kHardSigmoid = 1, kHardSwish = 2 };
struct DwConv2dNhwcActivation {
  DwConv2dNhwcPost post = DwConv2dNhwcPost::kNone;
  float alpha = 0.2f, beta = 0.5f;  // kHardSigmoid only
  float min, max;
};

// One output row: what a variant computes.
struct DwConv2dNhwcRow {
  const DwConv2dNhwcShape* shape;
  std::size_t channels;      // of x's rows and y: the output channels (the input's, repeated, when multiplier > 1)
  const float* const* rows;  // kernel_h input rows, width * channels floats each (a row of zeros in the padding)
  const float* w;            // PackedDwConv2dNhwc::w
  const float* bias;         // PackedDwConv2dNhwc::bias
  std::size_t padded;        // PackedDwConv2dNhwc::padded
  DwConv2dNhwcActivation act;
  float* y;  // out_w * channels
};

// A variant computes any row; 3x3 and 5x5 kernels at stride_w 1 or 2 and
// dilation_w 1 (dwconv2d_nhwc_fixed_taps) take the tiled path.
using DwConv2dNhwcUkernel = void (*)(const DwConv2dNhwcRow& r);

struct DwConv2dNhwcVariant {
  const char* name;  // file stem, e.g. "f32-dwconv2d-nhwc-c8-avx2"
  Isa isa;
  DwConv2dNhwcUkernel row;
};

extern const DwConv2dNhwcVariant kDwConv2dNhwcVariants[];
extern const std::size_t kDwConv2dNhwcVariantCount;
const DwConv2dNhwcVariant& f32_dwconv2d_nhwc_best();

// Whether the variants take the tiled path (3x3 or 5x5, stride_w 1 or 2, dilation_w 1).
bool dwconv2d_nhwc_fixed_taps(const DwConv2dNhwcShape& s);

// The whole convolution, output rows split across the thread pool.
// Preconditions: every size >= 1 except batch/channels/out sizes, `weights`
// packed for channels * multiplier outputs and this kernel; x holds
// batch*height*width*channels floats, y batch*out_h*out_w*channels*multiplier.
// Windows may lie anywhere (positions outside the input read zero).
void f32_dwconv2d_nhwc(const DwConv2dNhwcVariant& variant, const DwConv2dNhwcShape& s, const PackedDwConv2dNhwc& weights,
                       const float* x, const DwConv2dNhwcActivation& act, float* y);

}  // namespace sparq
