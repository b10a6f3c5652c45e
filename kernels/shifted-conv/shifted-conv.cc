#include "shifted-conv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "../common/aligned-vector.h"
#include "../common/cpu-features.h"
#include "../common/thread-pool.h"
#include "../f32-maxpool/f32-maxpool.h"
#include "../qs32-qx8-requantize/qs32-qx8-requantize.h"

namespace sparq {

namespace {

using WidenFn = void (*)(const uint8_t* in, std::size_t n, int32_t zero_point, float* out);

void widen_portable(const uint8_t* in, std::size_t n, int32_t zero_point, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<int32_t>(in[i]) - zero_point);
}

// Chosen once per call: the ISA check is not free next to a 15-value row.
WidenFn widen_for_this_cpu() {
#if SPARQ_HAVE_AVX2
  if (isa_supported(Isa::kAvx512)) return shifted_widen_avx512;
  if (isa_supported(Isa::kAvx2Fma)) return shifted_widen_avx2;
#endif
#if SPARQ_HAVE_NEON
  if (isa_supported(Isa::kNeon)) return shifted_widen_neon;
#endif
  return widen_portable;
}

using PoolRequantizeFn = void (*)(const ShiftedPoolRequantize& p);

// The fused 2x2/2 pool + requantization for this CPU; null where there is
// none (ConvRowSink::finish then pools and requantizes in two passes).
PoolRequantizeFn pool_requantize_for_this_cpu() {
#if SPARQ_HAVE_AVX2
  if (isa_supported(Isa::kAvx512)) return shifted_pool_requantize_avx512;
  if (isa_supported(Isa::kAvx2Fma)) return shifted_pool_requantize_avx2;
#endif
#if SPARQ_HAVE_NEON
  if (isa_supported(Isa::kNeon)) return shifted_pool_requantize_neon;
#endif
  return nullptr;
}

// Writes image n of x, padded, into out (plane after plane) and zeroes the slack after it.
void pad_image(const ShiftedConvShape& s, const ConvInput& x, std::size_t n, WidenFn widen, float* out) {
  const std::size_t hp = s.padded_h(), wp = s.padded_w(), hw = s.height * s.width, plane = s.padded_plane();
  // Padding and slack are zeros; without padding the rows below cover the rest.
  if (s.padded()) std::fill(out, out + s.channels * plane, 0.0f);
  std::fill(out + s.channels * plane, out + s.channels * plane + kShiftedSlack, 0.0f);
  for (std::size_t c = 0; c < s.channels; ++c) {
    const std::size_t src = (n * s.channels + c) * hw;
    float* dst = out + c * hp * wp + s.pad_top * wp + s.pad_left;
    for (std::size_t h = 0; h < s.height; ++h) {
      float* row = dst + h * wp;
      if (x.f32 != nullptr) {
        std::copy(x.f32 + src + h * s.width, x.f32 + src + (h + 1) * s.width, row);
      } else {
        widen(x.u8 + src + h * s.width, s.width, x.zero_point, row);
      }
    }
  }
}

// Writes image n of x split into its phase planes (shifted-conv.h: the
// strided layout; zeros where a phase position falls in the padding or past
// the padded image) and zeroes the slack after it. One pass that reads each
// input value once; plain loops, the strided reads do not vectorize anyway.
void phase_image(const ShiftedConvShape& s, const ConvInput& x, std::size_t n, float* out) {
  const std::size_t hw = s.height * s.width;
  const auto value = [&](std::size_t i) {
    return x.f32 != nullptr ? x.f32[i] : static_cast<float>(static_cast<int32_t>(x.u8[i]) - x.zero_point);
  };
  float* dst = out;
  for (std::size_t c = 0; c < s.channels; ++c) {
    const std::size_t src = (n * s.channels + c) * hw;
    for_each_phase_position(s, [&](std::ptrdiff_t at) { *dst++ = at < 0 ? 0.0f : value(src + static_cast<std::size_t>(at)); });
  }
  std::fill(dst, dst + kShiftedSlack, 0.0f);
}

// Gathers padded image `in` into the compact layout's tap rows (zeros past the outputs).
void gather_compact(const ShiftedConvShape& s, const float* in, float* col) {
  const std::size_t oh = s.out_h(), ow = s.out_w(), wp = s.padded_w(), stride = s.compact_stride();
  const std::size_t sh = s.stride_h, sw = s.stride_w;
  for (std::size_t c = 0, k = 0; c < s.channels; ++c)
    for (std::size_t i = 0; i < s.kernel_h; ++i)
      for (std::size_t j = 0; j < s.kernel_w; ++j, ++k) {
        float* row = col + k * stride;
        const float* src = in + c * s.padded_plane() + i * s.dilation_h * wp + j * s.dilation_w;
        // Plain loops: rows of a few floats, where a memmove call per row cost more than the copy.
        std::size_t q = 0;
        for (std::size_t y = 0; y < oh; ++y)
          for (std::size_t x = 0; x < ow; ++x) row[q++] = src[y * sh * wp + x * sw];
        for (; q < stride; ++q) row[q] = 0.0f;
      }
}

}  // namespace

void shifted_store_lanes(const ConvTileOutput& o, std::size_t r, std::size_t v, const float (&lanes)[16]) {
  std::size_t at = r * o.row_stride + (o.positions ? v * 16 : o.starts[v]);
  for (std::size_t lane = 0; lane < 16; ++lane) {
    if (!o.positions && (o.masks[v] >> lane & 1) == 0) continue;
    float v = lanes[lane];
    if (o.int32_out) {
      o.yi[at++] = static_cast<int32_t>(std::nearbyint(v));
      continue;
    }
    if (o.bias != nullptr) v += o.bias[r];
    // Clamped keeping a NaN v, as the AVX-512 store does.
    v = v < o.min ? o.min : v;
    v = v > o.max ? o.max : v;
    o.y[at++] = v;
  }
}

void* thread_scratch(std::size_t slot, std::size_t bytes) {
  struct Buffer {
    std::unique_ptr<unsigned char[]> data;
    std::size_t bytes = 0;
  };
  thread_local Buffer buffers[kScratchSlots];
  Buffer& b = buffers[slot];
  if (b.bytes < bytes) {
    b.data.reset(new unsigned char[bytes + kCacheLine]);
    b.bytes = bytes;
  }
  const auto address = reinterpret_cast<std::uintptr_t>(b.data.get());
  return b.data.get() + (kCacheLine - address % kCacheLine) % kCacheLine;
}


bool prefer_compact(const ShiftedConvShape& s) {
  constexpr std::size_t kMaxImageBytes = 256 * 1024;
  ShiftedConvShape compact = s;
  compact.compact = true;
  const std::size_t padded = ((s.span() + 15) / 16) * 16;
  const bool wasteful = 3 * (padded - s.out_h() * s.out_w()) >= padded;
  return wasteful && s.taps() * compact.compact_stride() * sizeof(float) <= kMaxImageBytes;
}

void shifted_store_lanes_i32(const ConvTileOutput& o, std::size_t r, std::size_t v, const int32_t (&lanes)[16]) {
  std::size_t at = r * o.row_stride + (o.positions ? v * 16 : o.starts[v]);
  for (std::size_t lane = 0; lane < 16; ++lane)
    if (o.positions || (o.masks[v] >> lane & 1) != 0) o.yi[at++] = lanes[lane];
}

ShiftedImages::ShiftedImages(const ShiftedConvShape& s, const ConvInput& x, bool split_tail) {
  if (s.compact) {
    copy_stride_ = s.taps() * s.compact_stride();
    copies_ = static_cast<float*>(thread_scratch(kScratchImages, s.batch * copy_stride_ * sizeof(float)));
    const WidenFn widen = widen_for_this_cpu();
    parallel_for(s.batch, [&](std::size_t n) {
      const float* in = x.f32 != nullptr ? x.f32 + n * s.channels * s.height * s.width : nullptr;
      if (in == nullptr || s.padded()) {
        float* pad = static_cast<float*>(thread_scratch(kScratchPad, (s.channels * s.padded_plane() + kShiftedSlack) * sizeof(float)));
        pad_image(s, x, n, widen, pad);
        in = pad;
      }
      gather_compact(s, in, copies_ + n * copy_stride_);
    });
    return;
  }
  input_ = x.f32;
  input_stride_ = s.channels * s.height * s.width;
  copy_stride_ = s.image_floats() + kShiftedSlack;
  const bool in_place = x.f32 != nullptr && !s.padded() && !s.strided() && s.batch > 0;
  // An image read in place has its last vectors read up to kShiftedSlack
  // floats past its end, from the images after it: images smaller than the
  // slack (a 1x1 map of one channel) need several behind them, so the last
  // `absorbing` images are copies (the last one's tail gathered instead,
  // with split_tail, when a single image absorbs the slack).
  const std::size_t absorbing = in_place ? (kShiftedSlack + input_stride_ - 1) / input_stride_ : 0;
  const bool tail = in_place && split_tail && absorbing == 1;
  in_place_ = tail ? s.batch : in_place && s.batch > absorbing ? s.batch - absorbing : 0;
  if (tail) {
    // The last vector of every tap of the last image, zeros past the input's end.
    const float* last = input_ + (s.batch - 1) * input_stride_;
    const std::size_t first = (s.vectors() - 1) * 16;
    const std::vector<int32_t> offsets = shifted_offsets(s);
    tail_.assign(s.taps() * 16, 0.0f);
    for (std::size_t k = 0; k < offsets.size(); ++k)
      for (std::size_t lane = 0; lane < 16; ++lane) {
        const std::size_t at = offsets[k] + first + lane;
        if (at < input_stride_) tail_[k * 16 + lane] = last[at];
      }
  }
  const std::size_t copies = s.batch - in_place_;
  copies_ = static_cast<float*>(thread_scratch(kScratchImages, copies * copy_stride_ * sizeof(float)));
  const WidenFn widen = widen_for_this_cpu();
  parallel_for(copies, [&](std::size_t i) {
    float* out = copies_ + i * copy_stride_;
    if (s.strided()) phase_image(s, x, in_place_ + i, out);
    else pad_image(s, x, in_place_ + i, widen, out);
  });
}

std::vector<int32_t> shifted_tail_offsets(const ShiftedConvShape& s) {
  std::vector<int32_t> offsets(s.taps());
  for (std::size_t k = 0; k < offsets.size(); ++k) offsets[k] = static_cast<int32_t>(k * 16);
  return offsets;
}

ConvTileOutput shifted_from_vector(ConvTileOutput o, std::size_t first) {
  o.masks += first;
  o.starts += first;
  // Whole vectors are stored at v * 16 (the pooled rows): those move with them.
  if (o.positions) {
    if (o.y != nullptr) o.y += first * 16;
    if (o.yi != nullptr) o.yi += first * 16;
  }
  return o;
}

ShiftedMasks::ShiftedMasks(const ShiftedConvShape& s) {
  const std::size_t wp = s.row_width(), ow = s.out_w(), span = s.positions(), count = s.vectors();
  masks.resize(count);
  starts.resize(count);
  // One pass with a running column (a division per lane cost microseconds
  // per call, which is most of a batch-1 layer). starts[v] counts the kept
  // positions before vector v: they are its lanes' output indices in order.
  std::size_t col = 0, kept = 0;
  for (std::size_t v = 0; v < count; ++v) {
    starts[v] = static_cast<uint32_t>(kept);
    uint16_t m = 0;
    for (std::size_t lane = 0, p = v * 16; lane < 16; ++lane, ++p) {
      if (p < span && col < ow) {
        m |= static_cast<uint16_t>(1u << lane);
        ++kept;
      }
      if (++col == wp) col = 0;
    }
    masks[v] = m;
  }
}

ConvRowSink::ConvRowSink(const ShiftedConvShape& s, const ConvOutputParams& p, const ShiftedMasks& masks, std::size_t n,
                         std::size_t first, std::size_t rows, std::size_t member, std::size_t group)
    : p_(p), masks_(masks), first_(first), rows_(rows), conv_h_(s.out_h()), conv_w_(s.out_w()) {
  conv_plane_ = conv_h_ * conv_w_;
  positions_ = p.pool.active();
  padded_w_ = s.row_width();
  // Pooled: rows of every computed position (the pool skips the extra
  // columns), a whole number of padded rows apart so that one pool call
  // sees them as planes; else packed output rows.
  tile_stride_ = positions_ ? (s.vectors() * 16 + padded_w_ - 1) / padded_w_ * padded_w_ : conv_plane_;
  out_plane_ = positions_ ? pooled_h(p.pool, conv_h_) * pooled_w(p.pool, conv_w_) : conv_plane_;
  const std::size_t offset = (n * s.out_channels + first) * out_plane_;
  switch (p.kind) {
    case ConvOutputKind::kFloat32: out_ = static_cast<float*>(p.y) + offset; break;
    case ConvOutputKind::kInt32: out_ = static_cast<int32_t*>(p.y) + offset; break;
    case ConvOutputKind::kUint8:
    case ConvOutputKind::kInt8: out_ = static_cast<uint8_t*>(p.y) + offset; break;  // one byte per value either way
  }
  // Float32 and int32 rows go straight to the output unless pooled; uint8/int8 always pass through int32 sums.
  const bool quantized = p.kind == ConvOutputKind::kUint8 || p.kind == ConvOutputKind::kInt8;
  const std::size_t rows_bytes = rows * tile_stride_ * 4;
  if (positions_ || quantized) rows_scratch_ = static_cast<unsigned char*>(thread_scratch(kScratchRows, group * rows_bytes)) + member * rows_bytes;
  void* rows_at = rows_scratch_ != nullptr ? rows_scratch_ : out_;
  if (p.kind == ConvOutputKind::kFloat32) tile_y_ = static_cast<float*>(rows_at);
  else tile_yi_ = static_cast<int32_t*>(rows_at);
}

ConvTileOutput ConvRowSink::tile(std::size_t row) const {
  ConvTileOutput t{};
  t.positions = positions_;
  t.masks = masks_.masks.data();
  t.starts = masks_.starts.data();
  t.int32_out = p_.kind != ConvOutputKind::kFloat32;
  const std::size_t at = row * tile_stride_;
  t.y = tile_y_ == nullptr ? nullptr : tile_y_ + at;
  t.yi = tile_yi_ == nullptr ? nullptr : tile_yi_ + at;
  t.row_stride = tile_stride_;
  t.bias = p_.bias == nullptr ? nullptr : p_.bias + first_ + row;
  t.min = p_.min;
  t.max = p_.max;
  return t;
}

float& ConvRowSink::float_output(std::size_t row, std::size_t oh, std::size_t ow) const {
  return tile_y_[row * tile_stride_ + oh * (positions_ ? padded_w_ : conv_w_) + ow];
}

// The post-op on this sink's rows, stored in place (unpooled float32 output),
// one f32-elementwise call per output channel plane.
void ConvRowSink::post_op_rows() const {
  const ElementwiseVariant& v = elementwise_best();
  float* y = static_cast<float*>(out_);
  for (std::size_t r = 0; r < rows_; r++) v.activate(out_plane_, y + r * out_plane_, y + r * out_plane_, p_.post);
}

void ConvRowSink::finish() {
  // The rows of padded positions are planes of tile_stride_ / padded_w_ rows (the pool reads the first conv_h_).
  MaxPoolShape pool{};
  if (positions_) pool = {rows_, tile_stride_ / padded_w_, padded_w_, p_.pool.kernel_h, p_.pool.kernel_w, p_.pool.stride_h,
                          p_.pool.stride_w, 0, 0, pooled_h(p_.pool, conv_h_), pooled_w(p_.pool, conv_w_)};
  if (p_.kind == ConvOutputKind::kFloat32) {
    if (positions_) f32_maxpool(pool, tile_y_, static_cast<float*>(out_));
    if (p_.post_op) post_op_rows();
    return;
  }
  const bool quantized = p_.kind == ConvOutputKind::kUint8 || p_.kind == ConvOutputKind::kInt8;
  // The usual 2x2/2 pool of quantized output: pooled and requantized in one pass.
  const bool fusable = positions_ && quantized && p_.pool.kernel_h == 2 && p_.pool.kernel_w == 2 && p_.pool.stride_h == 2 &&
                       p_.pool.stride_w == 2;
  if (const PoolRequantizeFn fused = fusable ? pool_requantize_for_this_cpu() : nullptr) {
    ShiftedPoolRequantize f{};
    f.rows = rows_;
    f.width = padded_w_;
    f.plane_stride = tile_stride_;
    f.out_h = pool.out_h;
    f.out_w = pool.out_w;
    f.sums = tile_yi_;
    f.bias = p_.int_bias == nullptr ? nullptr : p_.int_bias + first_;
    f.multipliers = p_.multipliers + first_;
    f.zero_point = p_.zero_point;
    f.out_min = p_.out_min;
    f.out_max = p_.out_max;
    f.out = static_cast<uint8_t*>(out_);
    return fused(f);
  }
  // Integer sums, pooled when asked (into the int32 output itself, or a scratch on the way to requantization).
  int32_t* sums = tile_yi_;
  std::size_t stride = tile_stride_;
  if (positions_) {
    if (p_.kind == ConvOutputKind::kInt32) {
      sums = static_cast<int32_t*>(out_);
    } else {
      // Members finish one after another, so one pooled scratch serves the group.
      sums = static_cast<int32_t*>(thread_scratch(kScratchPooled, rows_ * out_plane_ * sizeof(int32_t)));
    }
    s32_maxpool(pool, tile_yi_, sums);
    stride = out_plane_;
  }
  if (p_.kind == ConvOutputKind::kInt32) {
    if (p_.int_bias != nullptr)
      for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t i = 0; i < out_plane_; ++i)
          sums[r * stride + i] = static_cast<int32_t>(static_cast<uint32_t>(sums[r * stride + i]) +
                                                      static_cast<uint32_t>(p_.int_bias[first_ + r]));
    return;
  }
  const RequantizeVariant& requantize = requantize_best();
  const RequantizeQ8Fn fn = p_.kind == ConvOutputKind::kUint8 ? requantize.to_uint8 : requantize.to_int8;
  for (std::size_t r = 0; r < rows_; ++r) {
    RequantizeRow row;
    row.bias = p_.int_bias == nullptr ? nullptr : p_.int_bias + first_ + r;
    row.multiplier = p_.multipliers + first_ + r;
    row.zero_point = p_.zero_point;
    row.out_min = p_.out_min;
    row.out_max = p_.out_max;
    fn(out_plane_, sums + r * stride, row, static_cast<uint8_t*>(out_) + r * out_plane_);
  }
}

std::size_t shifted_rows_per_task(const ShiftedConvShape& s) {
  constexpr std::size_t kRowsBytes = 16 * 1024;
  return 8 * s.vectors() * 16 * sizeof(float) > kRowsBytes ? 4 : 8;
}

std::size_t shifted_work(const ShiftedConvShape& s, std::size_t weights) { return s.batch * s.vectors() * 16 * weights; }

std::vector<int32_t> shifted_offsets(const ShiftedConvShape& s) {
  std::vector<int32_t> offsets;
  offsets.reserve(s.taps());
  if (s.compact) {
    for (std::size_t k = 0; k < s.taps(); ++k) offsets.push_back(static_cast<int32_t>(k * s.compact_stride()));
    return offsets;
  }
  // Tap (c, i, j) reads phase (i % SH, j % SW) of channel c shifted by (i / SH, j / SW): with stride 1, plane c shifted by (i, j) dilated.
  // The offsets within one channel's window repeat for every channel, one
  // channel's phase planes further on: computed once, each a few divisions
  // (every call pays this loop, and a 64-channel 3x3 layer on a small map
  // otherwise spent more on it than on its sparse product).
  const std::size_t plane = s.plane(), grid_w = s.grid_w(), phases_w = s.phases_w();
  const std::size_t channel_stride = s.phases_h() * phases_w * plane;
  std::vector<int32_t> window;
  window.reserve(s.kernel_h * s.kernel_w);
  for (std::size_t i = 0; i < s.kernel_h; ++i)
    for (std::size_t j = 0; j < s.kernel_w; ++j) {
      const std::size_t di = i * s.dilation_h, dj = j * s.dilation_w;
      const std::size_t phase = (di % s.stride_h) * phases_w + dj % s.stride_w;
      window.push_back(static_cast<int32_t>(phase * plane + di / s.stride_h * grid_w + dj / s.stride_w));
    }
  for (std::size_t c = 0; c < s.channels; ++c)
    for (const int32_t w : window) offsets.push_back(static_cast<int32_t>(c * channel_stride) + w);
  return offsets;
}

}  // namespace sparq
