// qu8s8-dwconv2d-nhwc: depthwise 2-D convolution (group == channels, M =
// `multiplier` output channels per channel: f32-dwconv2d's DwConv2dShape with
// group_channels 1) of channels-last uint8 images x [N, H, W, C] (zero point
// zx) with int8 or uint8 weights w [C * M, 1, KH, KW] less their zero points
// wz (per tensor or per output channel), exact in int32:
//   acc[n, oh, ow, o] = bias[o] + sum_{i,j} (x[n, oh*SH - PT + i*DH, ow*SW - PL + j*DW, o / M] - zx) * (w[o, i, j] - wz[o])
// (wrapping modulo 2^32), positions in the padding contributing 0, then
// stored as int32 or through qs32-qx8-requantize's row functions (uint8,
// int8 or float32): the same numbers as qu8s8-dwconv2d on the NCHW image.
//
// The variants vectorize across channels, one output row at a time:
//   - the weights are packed once (qu8s8_dwconv2d_nhwc_pack) as int16
//     w' = w - wz, [tap_stride][channels_padded] (taps rounded up to even
//     with zero rows, channels to the widest vector with zeros), so the
//     x86 variants can pair taps for vpmaddwd;
//   - zx is taken off once per channel instead of once per tap:
//     sum (x - zx) * w' = sum x * w' - zx * sum w', and the call's bias
//     becomes bias - zx * sum w' (all taps). Taps in the padding point at
//     a pixel filled with zx, whose x * w' the full sum takes back, so edge
//     and interior pixels run the same code;
//   - a column whose window lies inside the image reads tap t at a fixed
//     offset from its window (tap_offsets[t]); the others (and every
//     column of a row whose window reaches the top or bottom padding) have
//     tap_stride input pointers (the indirection row): tap t of column ow
//     reads inputs[ow * tap_stride + t][c].
// x in [0, 255] and w' in [-255, 255]: a pair of products is below 2^17, so
// int16 multiplies with int32 pair sums are exact.
//
// Variants may also run whole rows as stacked rows (Qu8s8DwConv2dNhwcStackRow):
// per input column, the bytes of a stack of kernel rows (2 for int16 pair
// multiplies, 4 for 4-way byte dot products) interleaved once into a scratch
// row and reused by every output column whose window reads that column (3 of
// them at stride 1 for a 3x3), the weights packed to match by the variant,
// and the output stage applied in registers. A variant whose multiplies do
// not take a layer's weights (4-way uint8 x int8 dot products need every
// w' in int8) runs that layer on its row function.
//
// A variant with stack row pairs runs a kernel whose rows leave its stacks
// a row to spare (kernel_h not a multiple of the depth: 3x3 and 5x5 on
// stacks of 4) at vertical stride and dilation 1 two output rows per call:
// input rows oh - pad_top .. + kernel_h fill the stacks, whose interleaved
// columns serve row oh (the first kernel_h of those input rows) and, on a
// second copy of the weights shifted down one row, row oh + 1 (the last
// kernel_h), so each column is interleaved once for both output rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"
#include "../qu8s8-dwconv2d/qu8s8-dwconv2d.h"

namespace sparq {

// Channels the packed weights are padded to (AVX-512's 32 int16 lanes), so
// a variant may load whole weight vectors past the last channel.
constexpr std::size_t kQu8s8DwConv2dNhwcChannelTile = 32;

// One output row's call: acc[ow * channels + c] = bias[c] + sum_t tap(ow, t)[c] * weights[t][c], where
// tap(ow, t) = origin + (ow - interior_begin) * column_step + tap_offsets[t] for the interior columns
// [interior_begin, interior_end), else inputs[ow * tap_stride + t].
struct Qu8s8DwConv2dNhwcRow {
  const uint8_t* const* inputs;  // out_w * tap_stride pointers to `channels` bytes each (the interior columns' unset)
  std::size_t interior_begin, interior_end;
  const uint8_t* origin;               // the window of column interior_begin (when there are interior columns)
  std::size_t column_step;             // stride_w * channels
  const std::ptrdiff_t* tap_offsets;   // per tap: its pixel's offset from the window (0 past `taps`)
  std::size_t out_w;
  std::size_t taps;        // KH * KW; the rows past it up to tap_stride have zero weights
  std::size_t tap_stride;  // taps rounded up to even
  std::size_t channels, channels_padded;
  const int16_t* weights;  // [tap_stride][channels_padded]
  const int32_t* bias;     // [channels]: bias - zx * sum w'
  int32_t* acc;            // out_w x channels
};

using Qu8s8DwConv2dNhwcRowFn = void (*)(const Qu8s8DwConv2dNhwcRow& r);

// One output row's call on stacked weights, output stage included:
//   y[ow * channels + c] = stage(bias[c] + sum_{i,j} x(rows[i], ow * stride_w - pad_left + j * dilation_w)[c] * w'[c][i][j])
// where x(row, iw) is row + iw * channels, or zx in every channel for iw outside [0, width).
struct Qu8s8DwConv2dNhwcStackRow {
  const uint8_t* const* rows;  // stacks * depth: the input row kernel row i reads, or a row of zx bytes (in the padding or i >= kernel_h)
  std::size_t width, channels, pad_left, stride_w, dilation_w, kernel_w, stacks, out_w;
  uint8_t x_zero_point;
  const uint8_t* weights;  // as the variant's stack_pack packed them
  const int32_t* bias;     // [channels]: bias - zx * sum w'
  QOutput output;
  const RequantizeRow* stage;  // multiplier (per tensor or channel), zero point and clamps; its bias unused
  bool finite_multipliers;     // every multiplier finite: float(acc) * m is never NaN, so the stage skips NaN -> 0
  bool small_multipliers;      // every |multiplier| < 1: float(acc) * m rounds to an int32 without clamping first
  void* y;                     // out_w * channels values of the output's type
  // Null, or (variants with stack row pairs, as above) the next output row's y: rows[0 .. kernel_h] are then input
  // rows oh - pad_top .. + kernel_h, and the call runs both rows.
  void* y_next;
  uint8_t* columns;            // scratch of stacks * span * the variant's stack_column_bytes, 64-byte aligned
  std::size_t span;            // the input columns the row reads: (out_w - 1) * stride_w + (kernel_w - 1) * dilation_w + 1
};

using Qu8s8DwConv2dNhwcStackRowFn = void (*)(const Qu8s8DwConv2dNhwcStackRow& r);
// Packs w' [channels][kernel_h][kernel_w] for the variant's stack rows into *out; false (out untouched) when
// its multiplies do not take these weights.
using Qu8s8DwConv2dNhwcStackPackFn = bool (*)(std::size_t channels, std::size_t kernel_h, std::size_t kernel_w, const int32_t* w,
                                              aligned_vector<uint8_t>* out);

struct Qu8s8DwConv2dNhwcVariant {
  const char* name;
  Isa isa;
  Qu8s8DwConv2dNhwcRowFn row;
  // Stacked rows; null stack_row: every layer takes `row`.
  Qu8s8DwConv2dNhwcStackRowFn stack_row;
  Qu8s8DwConv2dNhwcStackPackFn stack_pack;
  std::size_t stack_depth;         // kernel rows per stack
  std::size_t stack_column_bytes;  // scratch per input column and stack
  // Stack rows run output row pairs (y_next) of kernels of kernel_h rows not a multiple of stack_depth, on weights
  // stack_pack packed for both rows.
  bool stack_row_pairs;
};

extern const Qu8s8DwConv2dNhwcVariant kQu8s8DwConv2dNhwcVariants[];
extern const std::size_t kQu8s8DwConv2dNhwcVariantCount;
const Qu8s8DwConv2dNhwcVariant& qu8s8_dwconv2d_nhwc_best();

// The portable row (the scalar variant), which the SIMD variants run for
// kernels of more taps than their stack holds, and the AVX2 row, which the
// AVX-512 variant runs for layers of at most 16 channels.
void qu8s8_dwconv2d_nhwc_1c_scalar(const Qu8s8DwConv2dNhwcRow& r);
void qu8s8_dwconv2d_nhwc_16c_avx2(const Qu8s8DwConv2dNhwcRow& r);

// The weights of one layer, packed once and run many times.
struct Qu8s8DwConv2dNhwcWeights {
  std::size_t channels = 0, channels_padded = 0, taps = 0, tap_stride = 0;
  aligned_vector<int16_t> weights;  // [tap_stride][channels_padded], w - wz
  std::vector<int32_t> sums;        // per output channel: sum over taps of w - wz
  // Packed by variant `stacked_for`'s stack_pack (when it has one and it takes these weights; else null).
  const Qu8s8DwConv2dNhwcVariant* stacked_for = nullptr;
  std::size_t stacks = 0;  // per row: kernel_h rounded up to the variant's stack depth, over it
  aligned_vector<uint8_t> stacked;
};

// Packs w [channels][kernel_h][kernel_w] (int8, or uint8 when w_unsigned)
// less its zero points (one, or one per channel: zero_point_stride 0 or 1),
// for every variant's row and for `variant`'s stack rows.
Qu8s8DwConv2dNhwcWeights qu8s8_dwconv2d_nhwc_pack(const Qu8s8DwConv2dNhwcVariant& variant, std::size_t channels, std::size_t kernel_h,
                                                  std::size_t kernel_w, const void* w, bool w_unsigned, const int32_t* zero_points,
                                                  std::size_t zero_point_stride);

// y [batch, out_h, out_w, channels * multiplier] of the output's type from x
// [batch, height, width, channels] and weights packed for s's kernel and
// channels * multiplier output channels (params as qu8s8_dwconv2d takes them;
// the bias, if any, has one value per output channel). Rows are split across
// the thread pool. Preconditions (asserted): kernel, strides, dilations and
// multiplier >= 1, group_channels 1, the stage as qs32-qx8-requantize checks it.
void qu8s8_dwconv2d_nhwc(const Qu8s8DwConv2dNhwcVariant& variant, const DwConv2dShape& s, const Qu8s8DwConv2dNhwcWeights& w,
                         const uint8_t* x, void* y, const Qu8s8DwConv2dParams& params);

}  // namespace sparq
