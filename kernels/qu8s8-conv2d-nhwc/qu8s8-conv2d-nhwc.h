// qu8s8-conv2d-nhwc: group-1 2-D convolution of uint8 channels-last images
// [batch, height, width, channels] with int8 weights packed for qu8s8-gemm
// as W' [KH*KW*C, OC] (rows (kh, kw, c), c fastest), exact int32 sums through
// the qu8s8-gemm output stage into y [batch * outH * outW, OC]:
//
//   y[p, o] = stage(sum_{kh,kw,c} (x[window(p, kh, kw), c] - x_zp) * (W[o, c, kh, kw] - w_zp[o]))
//
// with the window's positions outside the image reading x_zp (adding 0).
//
// It is im2col + qu8s8_gemm without the im2col matrix in memory: the output
// pixels are cut into tiles of a few MR-row strips, and each task gathers its
// tile's windows (zero-point padded, rows of k_padded bytes at the variant's
// a_align) into a scratch buffer that stays in L2, then runs the variant's
// microkernel on every strip for each block of its nr columns while the tile is hot.
// The microkernel calls are qu8s8_gemm's (QGemmCall), each over the whole K,
// so results are bit-identical to qu8s8_gemm on the im2col rows, for any
// tiling and thread count. The variants are kQGemmVariants (every ISA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "../common/aligned-vector.h"
#include "../qu8s8-gemm/qu8s8-gemm.h"

namespace sparq {

struct QConv2dNhwcShape {
  std::size_t batch, channels, height, width;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
};

// The gather buffers of one planned conv, reused across its calls: one per
// task running at a time (tasks take one and give it back), so a plan holds
// about thread_count() tiles however large its image.
class QConv2dNhwcScratch {
 public:
  aligned_vector<uint8_t> take();
  void give_back(aligned_vector<uint8_t> buffer);

 private:
  std::mutex mutex_;
  std::vector<aligned_vector<uint8_t>> free_;
};

// y (row stride ldc >= OC, in elements of params.output's type) of x. w.k
// must be kernel_h * kernel_w * channels. The variant must be exact for w
// (needs_narrow only on narrow weights). params.a_zero_point is x's zero point.
void qu8s8_conv2d_nhwc(const QGemmVariant& variant, const QConv2dNhwcShape& s, const QPackedB& w, const uint8_t* x,
                       void* y, std::size_t ldc, const QGemmParams& params, QConv2dNhwcScratch* scratch);

}  // namespace sparq
