// What the direct convolutions (f32-conv2d dense, f32-spconv2d sparse,
// qu8s8-conv2d int8 blocks) share: stride-1 2-D convolution over NCHW images
// without im2col.
//
// Not a family (no variants of its own) and not common/ either: the
// driver's row sink pools and requantizes with f32-maxpool and
// qs32-qx8-requantize, so it sits above those families and below the three
// conv families that run on it (common/ depends on no family).
//
// With the image zero-padded to Hp x Wp and flattened, output pixel (oh, ow)
// sits at padded position p = oh * Wp + ow, and its input for weight tap
// (c, i, j) is x[c * Hp * Wp + i * DH * Wp + j * DW + p]. So each tap is one
// constant offset, and the taps of a run of consecutive p read consecutive
// floats: the GEMM "B row" of tap k is the padded image itself, shifted by
// offset[k]. The kernels compute every p in [0, span) with span =
// (OH - 1) * Wp + OW; positions with p % Wp >= OW (the last KW - 1 columns of
// a padded row) are computed and dropped when the tile is stored: a vector
// of 16 positions keeps the lanes of `masks[v]`, written contiguously from
// output index `starts[v]` (valid positions are in output order).
//
// Strided convolutions (stride > 1, dilation 1) run on the same kernels by
// a polyphase split: the padded image is copied once into its stride_h x
// stride_w phase planes, phase (a, b) of channel c holding the padded pixels
// (y * SH + a, x * SW + b). Tap (c, i, j) reads phase (i % SH, j % SW)
// shifted by (i / SH, j / SW), so output (oh, ow) of every tap sits at the
// same position oh * grid_w + ow of its phase plane: a stride-1 convolution
// again, with the same C x KH x KW taps (one constant offset each), no
// zero-filled taps and no KH x KW im2col blow-up (the copy is one pass over
// the input, as the padding copy is). Chosen over strided loads in the
// microkernels, which would need gathers (or 2x the loads and a shuffle per
// vector) in every ISA's inner loop; the phase copy touches each input value
// once and leaves the microkernels and their tests unchanged.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../f32-elementwise/f32-elementwise.h"

namespace sparq {

struct ShiftedConvShape {
  std::size_t batch, channels, height, width;  // input NCHW
  std::size_t out_channels;
  std::size_t kernel_h, kernel_w;
  std::size_t dilation_h, dilation_w;
  std::size_t pad_top, pad_left, pad_bottom, pad_right;
  // Dilation must be 1 where a stride is above 1 (checked by the binding).
  std::size_t stride_h = 1, stride_w = 1;

  std::size_t padded_h() const { return height + pad_top + pad_bottom; }
  std::size_t padded_w() const { return width + pad_left + pad_right; }
  std::size_t padded_plane() const { return padded_h() * padded_w(); }
  std::size_t taps() const { return channels * kernel_h * kernel_w; }
  bool padded() const { return pad_top + pad_left + pad_bottom + pad_right > 0; }
  bool strided() const { return stride_h > 1 || stride_w > 1; }
  // Preconditions (checked by the binding): the dilated kernel fits the padded input.
  std::size_t out_h() const { return (padded_h() - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  std::size_t out_w() const { return (padded_w() - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
  // The planes the kernels read: phases_h x phases_w phase planes per
  // channel of grid_h x grid_w values (stride 1: one, the padded image's
  // plane). A kernel narrower than the stride leaves phases unread: a 1x1
  // stride-2 conv copies one phase (the subsampled image), not four.
  std::size_t phases_h() const { return std::min(stride_h, kernel_h); }
  std::size_t phases_w() const { return std::min(stride_w, kernel_w); }
  std::size_t grid_h() const { return out_h() + dilation_h * (kernel_h - 1) / stride_h; }
  std::size_t grid_w() const { return out_w() + dilation_w * (kernel_w - 1) / stride_w; }
  std::size_t plane() const { return grid_h() * grid_w(); }
  // Floats of one image as the kernels read it (without slack).
  std::size_t image_floats() const { return channels * phases_h() * phases_w() * plane(); }
  std::size_t span() const { return (out_h() - 1) * grid_w() + out_w(); }

  // Compact layout, for small maps where the padded positions past each
  // row's end would be a third or more of the work (a 6x6 map computes 32
  // positions for 16 outputs): each image is first gathered into one row of
  // exactly the output positions per tap, col[k][oh * OW + ow] (an im2col
  // that stays in cache), tap k's offset is k * compact_stride(), and the
  // same kernels run on it. The dense driver sets it from prefer_compact();
  // the sparse one never does (the gather costs as much as a pruned layer).
  bool compact = false;
  // Positions computed per image, and per output row.
  std::size_t positions() const { return compact ? out_h() * out_w() : span(); }
  std::size_t row_width() const { return compact ? out_w() : grid_w(); }
  std::size_t vectors() const { return (positions() + 15) / 16; }
  std::size_t compact_stride() const { return vectors() * 16; }
};

// Whether the compact layout pays for `s` (its waste is high and one
// gathered image stays small enough for L2).
bool prefer_compact(const ShiftedConvShape& s);

// Floats after each padded image that the last vector of the last tap may read.
constexpr std::size_t kShiftedSlack = 16;

// The conv input: float32, or uint8 with its zero point (taken as x - zero_point, so padding is 0).
struct ConvInput {
  const float* f32 = nullptr;
  const uint8_t* u8 = nullptr;
  int32_t zero_point = 0;
};

// Where a tile's rows go, and what happens to them on the way.
struct ConvTileOutput {
  // Kept lanes are packed to output order: vector v's kept lanes (masks[v])
  // go to starts[v] on. Or, when `positions` is set, every vector is stored
  // whole at its own position (v * 16), computed columns included: rows of
  // padded positions that a fused pool reads with the padded row stride.
  bool positions;
  const uint16_t* masks;   // per vector of the image
  const uint32_t* starts;  // per vector: output index of its first kept lane
  bool int32_out;          // store round(acc) to yi (exact integer sums), else clamp(acc + bias) to y
  float* y;
  int32_t* yi;
  std::size_t row_stride;  // between the tile's rows in y / yi
  const float* bias;       // per row of the tile, float output only; null for none
  float min, max;
};

// Stores the 16 lanes of vector v of tile row r (portable; the SIMD kernels
// use shifted-conv-store-<isa>.h, with the same results).
void shifted_store_lanes(const ConvTileOutput& o, std::size_t r, std::size_t v, const float (&lanes)[16]);
// The same for exact int32 sums (integer outputs only).
void shifted_store_lanes_i32(const ConvTileOutput& o, std::size_t r, std::size_t v, const int32_t (&lanes)[16]);

// The float images the kernels read. Float input without padding or stride
// is read in place, but for the last image (nothing follows it to absorb the
// slack reads; the last few when an image is smaller than the slack); every other image is copied (padded, phase-split when
// strided, widened from uint8), with kShiftedSlack floats after each; in the
// compact layout every image is gathered into its tap rows.
//
// With `split_tail` (a driver that runs an image's last vector on its own),
// the last image is read in place too, all but its last vector: that vector
// of every tap is gathered into tail() instead, taps rows of 16 floats (tap
// k at k * 16), zeros past the input. A pointwise conv then copies nothing.
class ShiftedImages {
 public:
  // Makes the copies, split across the thread pool by images.
  ShiftedImages(const ShiftedConvShape& s, const ConvInput& x, bool split_tail = false);
  const float* image(std::size_t n) const {
    return n < in_place_ ? input_ + n * input_stride_ : copies_ + (n - in_place_) * copy_stride_;
  }
  // The last image's last vector per tap, or null when that image is a copy (read whole).
  const float* tail() const { return tail_.empty() ? nullptr : tail_.data(); }

 private:
  const float* input_ = nullptr;
  std::size_t input_stride_ = 0, copy_stride_ = 0;
  std::size_t in_place_ = 0;  // images read from the input itself
  float* copies_ = nullptr;   // the calling thread's scratch
  std::vector<float> tail_;
};

// Offsets of the tail() rows: tap k at k * 16.
std::vector<int32_t> shifted_tail_offsets(const ShiftedConvShape& s);

// `o` for vectors [first, ...) of its image, so that a kernel call over
// those vectors alone (numbered from 0) stores where the whole image's would.
ConvTileOutput shifted_from_vector(ConvTileOutput o, std::size_t first);

// The lanes kept and the output index of every 16-position vector over [0, span).
struct ShiftedMasks {
  std::vector<uint16_t> masks;
  std::vector<uint32_t> starts;
  explicit ShiftedMasks(const ShiftedConvShape& s);
};

// What the convolution writes: float32, int32, or int32 requantized to uint8/int8.
enum class ConvOutputKind { kFloat32, kInt32, kUint8, kInt8 };

// A max pool applied to the convolution's output before it is stored
// (unpadded windows, floor rounding); kernel_h == 0 for none. Integer sums
// are pooled before they are requantized: requantization is monotonic, so
// max commutes with it and the result equals pooling the requantized values.
struct ConvPool {
  std::size_t kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1;
  bool active() const { return kernel_h != 0; }
};

// Walks the strided layout's positions of one channel plane in the order
// they are stored (phase row a, phase column b, grid row y, grid column q),
// passing the input value's offset in the channel's plane (iy * width + ix),
// or -1 where the position falls in the padding or past the padded image:
// f32's phase planes and qu8s8's interleaved ones are laid out by this one walk.
template <typename Visit>
void for_each_phase_position(const ShiftedConvShape& s, Visit&& visit) {
  const std::size_t gh = s.grid_h(), gw = s.grid_w();
  for (std::size_t a = 0; a < s.phases_h(); ++a)
    for (std::size_t b = 0; b < s.phases_w(); ++b)
      for (std::size_t y = 0; y < gh; ++y) {
        // Input row and column of grid position (y, q): y * SH + a - pad_top (likewise), when inside the input.
        const std::size_t py = y * s.stride_h + a;
        const bool row_in = py >= s.pad_top && py - s.pad_top < s.height;
        const std::size_t iy = py - s.pad_top;
        for (std::size_t q = 0; q < gw; ++q) {
          const std::size_t px = q * s.stride_w + b;
          const bool in = row_in && px >= s.pad_left && px - s.pad_left < s.width;
          visit(in ? static_cast<std::ptrdiff_t>(iy * s.width + px - s.pad_left) : std::ptrdiff_t{-1});
        }
      }
}

inline std::size_t pooled_h(const ConvPool& p, std::size_t h) { return (h - p.kernel_h) / p.stride_h + 1; }
inline std::size_t pooled_w(const ConvPool& p, std::size_t w) { return (w - p.kernel_w) / p.stride_w + 1; }

struct ConvOutputParams {
  ConvOutputKind kind = ConvOutputKind::kFloat32;
  void* y = nullptr;                    // [batch, out_channels, out_h, out_w], pooled when `pool` is
  const float* bias = nullptr;          // float32: per output channel, or null
  float min = -INFINITY, max = INFINITY;  // float32 clamp
  // float32, unpooled: a HardSwish/HardSigmoid (then clamp) post-op that
  // finish() applies to the sink's finished rows while they are in cache.
  bool post_op = false;
  F32Activation post;
  const int32_t* int_bias = nullptr;    // integer output: per output channel, or null
  const float* multipliers = nullptr;   // uint8/int8: per output channel
  int32_t zero_point = 0, out_min = 0, out_max = 255;
  ConvPool pool;
};

// The output rows [first, first + rows) of image n, as tiles see them.
// Float32 and int32 output is stored in place; pooled output, and uint8/int8
// (through int32 sums), go to a scratch of rows that finish() pools,
// biases (int32) and requantizes into the output.
class ConvRowSink {
 public:
  // A task that fills several images at once makes one sink per image, each
  // with its `member` index in a group of `group`: their scratch rows share
  // one thread buffer (sized for the group before any member uses it).
  ConvRowSink(const ShiftedConvShape& s, const ConvOutputParams& p, const ShiftedMasks& masks, std::size_t n,
              std::size_t first, std::size_t rows, std::size_t member = 0, std::size_t group = 1);
  // Where rows [row, ...) of this sink go, over all vectors of the image.
  ConvTileOutput tile(std::size_t row) const;
  // Float32 output (row, oh, ow) as the tiles stored it (before a fused
  // pool), for a fix-up between the tiles and finish().
  float& float_output(std::size_t row, std::size_t oh, std::size_t ow) const;
  void finish();

 private:
  void post_op_rows() const;
  const ConvOutputParams& p_;
  const ShiftedMasks& masks_;
  std::size_t first_, rows_, conv_h_, conv_w_, conv_plane_, out_plane_;
  void* out_;            // this sink's first output row, of the output's type
  bool positions_;       // tiles store padded positions (pooled output), else packed rows
  std::size_t padded_w_, tile_stride_;  // row stride of the padded positions; between tile rows
  float* tile_y_ = nullptr;    // where tiles store float rows
  int32_t* tile_yi_ = nullptr; // ... or int32 rows
  void* rows_scratch_ = nullptr;  // the tiles' rows when they are not the output (thread scratch)
};

// thread_scratch slots: the padded images (on the calling thread, read by
// every task), a task's tile rows, its pooled sums, one padded image on its
// way to the compact layout.
enum ScratchSlot : std::size_t { kScratchImages, kScratchRows, kScratchPooled, kScratchPad, kScratchSlots };

// Uninitialized per-thread storage of at least `bytes`, kept (grown, never
// shrunk) between calls: the sinks' rows are rewritten by every task, and a
// fresh zeroed vector per task cost more than the pooling it feeds. `slot`
// separates the buffers one thread holds at once.
void* thread_scratch(std::size_t slot, std::size_t bytes);

// out[i] = in[i] - zero_point as float32, i < n (shifted-conv-widen-<isa>.cc;
// ShiftedImages calls the best one the CPU allows, else a portable loop).
void shifted_widen_avx512(const uint8_t* in, std::size_t n, int32_t zero_point, float* out);
void shifted_widen_avx2(const uint8_t* in, std::size_t n, int32_t zero_point, float* out);
void shifted_widen_neon(const uint8_t* in, std::size_t n, int32_t zero_point, float* out);

// A 2x2 stride-2 max pool of `rows` planes of int32 sums (`width` values
// per row, planes `plane_stride` apart) requantized to uint8/int8 bytes:
// row r with bias[r] (or none) and multipliers[r], output planes of
// out_h x out_w bytes one after another.
struct ShiftedPoolRequantize {
  std::size_t rows, width, plane_stride, out_h, out_w;
  const int32_t* sums;
  const int32_t* bias;
  const float* multipliers;
  int32_t zero_point, out_min, out_max;
  uint8_t* out;
};
// shifted-conv-pool-requantize-<isa>.cc; ConvRowSink::finish calls the best
// one the CPU allows, else pools and requantizes in two portable passes.
void shifted_pool_requantize_avx512(const ShiftedPoolRequantize& p);
void shifted_pool_requantize_avx2(const ShiftedPoolRequantize& p);
void shifted_pool_requantize_neon(const ShiftedPoolRequantize& p);

// Output channels per task of the sparse drivers (a multiple of every
// block-row count): enough work per task to amortize the pool, few enough
// that one image still splits across threads, and 4 when 8 rows of a large
// map (8 x 960 values for 30 x 30) would push the image out of L1 beside them.
std::size_t shifted_rows_per_task(const ShiftedConvShape& s);

// A driver's work for parallel_for: `weights` stored weights per position (a
// float's, or a 4-byte int8 group's, one multiply-add lane each) times the
// positions of every image.
std::size_t shifted_work(const ShiftedConvShape& s, std::size_t weights);

// offsets[k] of tap k = (c, i, j) in the image the kernels read (padded, phase-split when strided).
std::vector<int32_t> shifted_offsets(const ShiftedConvShape& s);

}  // namespace sparq
