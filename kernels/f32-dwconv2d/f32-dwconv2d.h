// f32-dwconv2d: depthwise 2-D convolution of NCHW float32 images (ONNX Conv
// with group == input channels), `multiplier` output channels per input
// channel (channel c feeds outputs c*M .. c*M + M - 1):
//   y[n, o, oh, ow] = clamp(bias[o] + sum over i < KH, j < KW of
//                     w[o, i, j] * x[n, o / M, oh*SH - PT + i*DH, ow*SW - PL + j*DW], min, max)
// with positions in the padding reading zero. Grouped convolutions with a
// few input channels per group (group_channels = CG > 1: output o of group
// g = o / M sums the planes of input channels g*CG .. g*CG + CG - 1, with
// weights w[o, c, i, j]) run the same kernels once per input channel, each
// pass adding into the output plane while it is still in cache: one call for
// every group, at CG times the output traffic (fine for the few channels
// per group of mobile nets; many channels per group are a GEMM's work).
//
// What bounds it: one output costs KH*KW multiply-adds (9 for 3x3) against
// 4 bytes written and, at stride 1, about 4 bytes read (each input value is
// read once from memory; the KH rows a window spans stay in L1/L2 while the
// plane's output rows sweep down). 9 FMAs per 8 bytes moved is ~1 FMA per
// byte, far below any CPU's FMA-to-bandwidth ratio (an AVX2 core does ~16
// FMA lanes per cycle against ~10-20 bytes per cycle of DRAM for the whole
// socket), so a large layer is memory-bandwidth bound and a small one
// (whose planes sit in cache) load/store bound on L1. The kernels therefore
// aim at touching each value once: one output row of one channel at a time,
// vectors along the width, the KH*KW weights in registers, no padded copy
// of the image (rows in the padding point at a row of zeros, and the few
// border columns whose window leaves the row are computed clipped), and
// planes (N * C * M of them) split across threads.
#pragma once

#include <cstddef>

#include "../common/cpu-features.h"

namespace sparq {

struct DwConv2dShape {
  std::size_t batch, channels;  // input channels
  std::size_t group_channels;   // input channels per group: 1 for depthwise, channels % group_channels == 0
  std::size_t multiplier;       // output channels per group: output channels = channels / group_channels * multiplier
  std::size_t height, width;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left;  // bottom/right padding is implied by out_h/out_w
  std::size_t out_h, out_w;
};

// One output plane (one output channel of one image) from one input plane:
// what a variant computes.
struct DwConv2dPlane {
  const DwConv2dShape* shape;
  const float* x;      // the input plane, height x width
  const float* w;      // the kernel_h x kernel_w weights of this output channel and input plane
  // y = clamp((accumulate ? y : 0) + bias + the window sums, min, max): a
  // grouped convolution's later input channels add to what the earlier wrote.
  bool accumulate;
  float bias, min, max;
  const float* zeros;  // `width` zeros: the rows that lie in the padding
  // Interior output columns [lo, hi): every window column of theirs lies inside the row.
  std::size_t lo, hi;
  float* y;  // out_h x out_w
};

// A variant computes whole planes of 3x3 or 5x5 kernels at stride_w 1 or 2
// and dilation_w 1 (any stride_h, dilation_h and pads: rows are picked by
// pointer); every other shape runs the portable plane below.
using DwConv2dUkernel = void (*)(const DwConv2dPlane& p);

struct DwConv2dVariant {
  const char* name;  // file stem, e.g. "f32-dwconv2d-row8-avx2"
  Isa isa;
  DwConv2dUkernel plane;
};

extern const DwConv2dVariant kDwConv2dVariants[];
extern const std::size_t kDwConv2dVariantCount;
const DwConv2dVariant& f32_dwconv2d_best();

// Whether `variant.plane` takes this shape (else the portable plane runs).
bool dwconv2d_variant_takes(const DwConv2dShape& s);

// The whole convolution, planes split across the thread pool.
// Preconditions: every size >= 1 except batch/channels/out sizes, the
// windows start inside the padded input as convGeometry sizes them
// ((out - 1) * stride + dilation * (kernel - 1) < size + pads, pads < extent).
// With OC = channels / group_channels * multiplier output channels: x holds
// batch*channels*height*width, w OC*group_channels*kernel_h*kernel_w, bias OC
// values or null, y batch*OC*out_h*out_w.
void f32_dwconv2d(const DwConv2dVariant& variant, const DwConv2dShape& s, const float* x, const float* w, const float* bias,
                  float min, float max, float* y);

// Shared portable pieces (compiled without ISA flags, called by every variant):
// output columns [ow0, ow1) of the row whose kernel rows are `rows`
// (kernel_h pointers: input rows, or p.zeros), each window clipped to the row.
void f32_dwconv2d_columns(const DwConv2dPlane& p, const float* const* rows, std::size_t ow0, std::size_t ow1, float* y_row);
// The kernel_h row pointers of output row oh.
void f32_dwconv2d_rows(const DwConv2dPlane& p, std::size_t oh, const float** rows);

}  // namespace sparq
