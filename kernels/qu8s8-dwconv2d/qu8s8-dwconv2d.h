// qu8s8-dwconv2d: depthwise 2-D convolution (group == channels, M =
// `multiplier` output channels per channel: f32-dwconv2d's DwConv2dShape with
// group_channels 1) of uint8 NCHW images (zero point zx) with int8 weights
// [C * M, 1, KH, KW], exact in int32:
//   acc[n, o, oh, ow] = bias[o] + sum_{i,j} (x[n, o / M, oh*SH - PT + i*DH, ow*SW - PL + j*DW] - zx) * w[o, i, j]
// (wrapping modulo 2^32), positions in the padding contributing 0, then
// stored as int32 or through qs32-qx8-requantize's row functions (uint8,
// int8 or float32), so the rounding is that family's, bit for bit.
//
// Every variant computes the sums on one layout, built per plane in scratch
// memory (the "pair layout"): widening multiply-adds of int16 pairs
// (vpmaddwd; NEON: vmulq_s16 + vpadalq_s16) take two kernel rows at once.
//   - U: the plane padded with zx, rows_u x width_u bytes (what no output
//     reads is left out: the right and bottom edges stop where the windows do);
//   - P: int32 words, word (r, phase, j) = (U[q][j*SW + phase] - zx) in its
//     low 16 bits and (U[q + DH][j*SW + phase] - zx) in its high 16 bits,
//     for padded rows q = r * row_gcd. Splitting each row into SW phases
//     turns every tap of a stride-SW row into a contiguous run of words;
//     only the rows some pair of kernel rows starts on are built (row_gcd =
//     gcd(SH, 2*DH): stride 2 needs the even ones only).
//   - Kernel rows 2k and 2k + 1 meet P's words through one int32 weight word
//     (w[c, 2k, j] low, w[c, 2k + 1, j] high, 0 past KH), so tap t = (k, j)
//     adds madd(P[base + tap_offsets[t] + ow], weight[t]) to output ow.
// Both halves are in [-255, 255] x [-128, 127], so each product fits int16
// and the pair sums are exact in int32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"
#include "../f32-dwconv2d/f32-dwconv2d.h"
#include "../qs32-qx8-requantize/qs32-qx8-requantize.h"
#include "../qu8s8-gemm/qu8s8-gemm.h"

namespace sparq {

// Outputs the layout's rows are padded to (the widest vector: AVX-512's 16
// int32), so a variant may load and compute whole vectors past out_w.
constexpr std::size_t kQu8s8DwConv2dVector = 16;

// One plane's call: build P from U, then write out_h x out_w sums to acc.
struct Qu8s8DwConv2dPlane {
  const uint8_t* padded;    // U
  std::size_t padded_stride;  // width_u
  std::size_t dilation_h;   // the distance of a pair's two rows in U
  std::size_t stride_w;     // phases
  int32_t* pairs;           // P: pair_rows x stride_w x phase_width words
  std::size_t pair_rows, row_gcd, phase_width;
  std::size_t taps;         // ceil(KH / 2) * KW
  const std::ptrdiff_t* tap_offsets;  // per tap: words from an output row's base
  const int32_t* tap_weights;         // per tap: the weight pair word
  std::size_t row_step;     // words of P between output rows' bases: (SH / row_gcd) * stride_w * phase_width
  std::size_t out_h, out_w;
  uint8_t zero_point;
  int32_t* acc;             // out_h x out_w, row stride out_w
};

using Qu8s8DwConv2dPlaneFn = void (*)(const Qu8s8DwConv2dPlane& p);

struct Qu8s8DwConv2dVariant {
  const char* name;
  Isa isa;
  Qu8s8DwConv2dPlaneFn plane;
};

extern const Qu8s8DwConv2dVariant kQu8s8DwConv2dVariants[];
extern const std::size_t kQu8s8DwConv2dVariantCount;
const Qu8s8DwConv2dVariant& qu8s8_dwconv2d_best();

// The portable P builder (the scalar variant's): every row and phase of P,
// words [word_begin, phase_width). The SIMD variants build strides 1 and 2
// a vector at a time and call this for the tail words and other strides.
void qu8s8_dwconv2d_pack_scalar(const Qu8s8DwConv2dPlane& p, std::size_t word_begin);
// The AVX2 builder (strides 1 and 2 vectorized), shared by the AVX-512
// variant, which also hands rows of at most 8 outputs to the whole AVX2 plane.
void qu8s8_dwconv2d_pack_avx2(const Qu8s8DwConv2dPlane& p);
void qu8s8_dwconv2d_avx2(const Qu8s8DwConv2dPlane& p);

struct Qu8s8DwConv2dParams {
  uint8_t x_zero_point = 0;
  QOutput output = QOutput::kInt32;
  // bias (added for every output kind, int32 included) and multiplier step
  // along the output channels: stride 0 (per tensor) or 1 (per channel).
  RequantizeRow stage;
};

// y [batch, channels * multiplier, out_h, out_w] of the output's type from
// x [batch, channels, height, width] and w [channels * multiplier, kernel_h,
// kernel_w]; planes are
// split across the thread pool. Any padding: a window wholly in it sums to
// the bias. Preconditions (asserted): kernel, strides, dilations and multiplier >= 1, group_channels 1,
// the stage as qs32-qx8-requantize checks it.
void qu8s8_dwconv2d(const Qu8s8DwConv2dVariant& variant, const DwConv2dShape& s, const uint8_t* x, const int8_t* w,
                    void* y, const Qu8s8DwConv2dParams& params);

}  // namespace sparq
