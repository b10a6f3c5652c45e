// f32-conv2d-nhwc: group-1 2-D convolution of channels-last (NHWC) float32
// images on the f32-gemm microkernels, without an im2col matrix in memory:
//   y[n, oh, ow, o] = clamp(bias[o] + sum over i < KH, j < KW, c < C of
//       x[n, oh*SH - PT + i*DH, ow*SW - PL + j*DW, c] * W[(i*KW + j)*C + c, o], min, max)
// with positions in the padding skipped (they read zero). W is the GEMM
// weight [KH*KW*C, OC], rows (kh, kw, c), packed once by f32_gemm_pack_b.
//
// Why it works without copies ("shifted GEMM"): in NHWC the C channels of a
// pixel are one contiguous row, and at dilation 1 the KW pixels of one window
// row are KW*C contiguous floats, which are exactly rows [(i*KW)*C, (i*KW + KW)*C)
// of W. So for a strip of output pixels along an output row, the A operand of
// window row i is the input itself, read with lda = SW*C (one pixel stride per
// output pixel), and the conv is KH microkernel calls accumulating into the
// output tile. Along an output column the same holds with lda = SH*W*C.
//
// Padding is handled by clipping, not by a padded copy: output pixels whose
// window hits the border see a smaller range of taps (rows [kh_lo, kh_hi),
// columns [kw_lo, kw_hi)), which is still contiguous in x and in W. The plan
// cuts the output into rectangles of pixels that share one tap range and the
// rectangles into strips of at most MR pixels (along rows, or along columns
// when a rectangle is taller than wide, as the left/right border columns are),
// sized evenly so a 14-pixel run is 7 + 7, not 12 + 2.
//
// A small window (all of K = KH*KW*C within one K block, yet more than one
// call per strip: the 3-channel stems, 3x3 over few channels) is gathered
// instead: each strip's K values per pixel are copied into an L1 buffer
// (zeros in the padding) and one microkernel call takes the whole K. Calls
// of a few values of K each (9 at the 3x3 stem) cost more in loading and
// storing the output tile than in FMAs; the copy is K floats per pixel
// against K*OC FMAs.
//
// Small maps (ResNet's 7x7 layer-4 maps at batch 1), whose tap rectangles
// cut into strips of a few pixels (5-pixel interior rows, 1-pixel corners),
// read the whole B once per strip: short strips make B's traffic from L2
// the bound, not the FMAs. Where the plain strips would average under MR/2
// pixels, the plan gathers blocks instead: strips of up to MR consecutive
// output pixels across the output rows that share one range of window rows,
// and for each K block every strip's kc values per pixel are copied into an
// L1 buffer (zeros in the padding) for the calls on that block. The copy is
// kc floats per pixel against kc*OC FMAs; window rows in the padding are
// skipped, window columns in it multiply zeros. (ResNet-18's 7x7x512 3x3 at
// batch 1: 7 + 12 + 12 + 11 + 7 pixels, not 13 strips of 1-5: 5-10% faster.)
//
// Channels-first input (shape.channels_first: an NCHW image that would
// otherwise be transposed first): x is [N, C, H, W] and W's rows are
// (c, kh, kw), ONNX's own weight order, so that each (c, kh) of a window is KW
// contiguous floats in x and in W. The plan is always gathered; the gather
// reads the NCHW planes in place and the output is NHWC as above. (Against a
// scalar transpose it saved ~40% of a 224x224x3 stem; against the vectorized
// 3-row interleave it measured no faster, so the runtime keeps the transpose.)
#pragma once

#include <cstddef>
#include <vector>

#include "../f32-gemm/f32-gemm.h"

namespace sparq {

struct F32Conv2dNhwcShape {
  std::size_t batch, channels;  // input channels C
  std::size_t height, width;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
  bool channels_first;  // x [N, C, H, W], W rows (c, kh, kw) (see above); else x NHWC, W rows (kh, kw, c)
};

// A run of output pixels that share one tap range (gathered blocks: a run
// across output rows that share window rows [kh_lo, kh_hi); only y_offset,
// rows and kh_lo/kh_hi are used): pixel p < rows reads its
// window at x + x_offset + p * x_step (the window origin, an offset that may
// lie before x: only in-range taps are added to it; channels first, the
// origin in channel 0's plane) and writes its OC values
// at y + (y_offset + p * y_step) * OC (counted in pixels: OC is the weights').
struct F32Conv2dNhwcStrip {
  std::ptrdiff_t x_offset;
  std::size_t x_step, y_offset, y_step, rows;
  std::size_t kh_lo, kh_hi, kw_lo, kw_hi;
  std::size_t ow;  // gathered strips: the output column of pixel 0 (each pixel clips its own window columns)
};

// The strips of one variant (its MR) and shape, made once per input shape.
struct F32Conv2dNhwcPlan {
  F32Conv2dNhwcShape shape;
  const F32GemmVariant* variant;
  std::size_t taps_per_block;  // window columns per microkernel call (K block)
  bool gather;                 // strips gathered into a buffer, one call per strip over the whole K
  bool gather_blocks;          // strips of up to MR pixels across rows, each K block gathered (small maps)
  std::vector<F32Conv2dNhwcStrip> strips;
};

// Preconditions: every kernel, stride and dilation size >= 1; out_h/out_w any
// (windows wholly in the padding give clamp(bias)).
F32Conv2dNhwcPlan f32_conv2d_nhwc_plan(const F32GemmVariant& variant, const F32Conv2dNhwcShape& shape);

// The convolution, strips split across the thread pool. w.k must be
// KH*KW*C and w.n = OC; x holds batch*height*width*C floats, y
// batch*out_h*out_w*OC; y must not overlap x.
void f32_conv2d_nhwc(const F32Conv2dNhwcPlan& plan, const F32PackedB& w, const float* x, float* y,
                     const F32GemmParams& params);

}  // namespace sparq
