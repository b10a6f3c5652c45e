#include "shifted-conv.h"

#include <algorithm>
#include <cmath>

#include "thread-pool.h"
#include "../f32-maxpool/f32-maxpool.h"
#include "../qs32-qx8-requantize/qs32-qx8-requantize.h"

namespace sparq {

namespace {

// Writes image n of x, padded, into out (plane after plane) and zeroes the slack after it.
void pad_image(const ShiftedConvShape& s, const ConvInput& x, std::size_t n, float* out) {
  const std::size_t hp = s.padded_h(), wp = s.padded_w(), hw = s.height * s.width;
  std::fill(out, out + s.channels * s.plane() + kShiftedSlack, 0.0f);
  for (std::size_t c = 0; c < s.channels; ++c) {
    const std::size_t src = (n * s.channels + c) * hw;
    float* plane = out + c * hp * wp + s.pad_top * wp + s.pad_left;
    for (std::size_t h = 0; h < s.height; ++h) {
      float* row = plane + h * wp;
      if (x.f32 != nullptr) {
        std::copy(x.f32 + src + h * s.width, x.f32 + src + (h + 1) * s.width, row);
      } else {
        const uint8_t* in = x.u8 + src + h * s.width;
        for (std::size_t w = 0; w < s.width; ++w) row[w] = static_cast<float>(static_cast<int32_t>(in[w]) - x.zero_point);
      }
    }
  }
}

}  // namespace

void shifted_store_lanes(const ConvTileOutput& o, std::size_t r, const float (&lanes)[16]) {
  std::size_t at = r * o.row_stride + o.starts[0];
  for (std::size_t lane = 0; lane < 16; ++lane) {
    if ((o.masks[0] >> lane & 1) == 0) continue;
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

ShiftedImages::ShiftedImages(const ShiftedConvShape& s, const ConvInput& x) {
  const bool padded = s.pad_top + s.pad_left + s.pad_bottom + s.pad_right > 0;
  input_ = x.f32;
  input_stride_ = s.channels * s.height * s.width;
  copy_stride_ = s.channels * s.plane() + kShiftedSlack;
  in_place_ = x.f32 != nullptr && !padded && s.batch > 0 ? s.batch - 1 : 0;
  const std::size_t copies = s.batch - in_place_;
  copies_.resize(copies * copy_stride_);
  parallel_for(copies, [&](std::size_t i) { pad_image(s, x, in_place_ + i, copies_.data() + i * copy_stride_); });
}

ShiftedMasks::ShiftedMasks(const ShiftedConvShape& s) {
  const std::size_t wp = s.padded_w(), ow = s.out_w(), span = s.span(), count = s.vectors();
  masks.resize(count);
  starts.resize(count);
  for (std::size_t v = 0; v < count; ++v) {
    const std::size_t p0 = v * 16;
    starts[v] = static_cast<uint32_t>(p0 / wp * ow + std::min(p0 % wp, ow));
    uint16_t m = 0;
    for (std::size_t lane = 0; lane < 16; ++lane) {
      const std::size_t p = p0 + lane;
      if (p < span && p % wp < ow) m |= static_cast<uint16_t>(1u << lane);
    }
    masks[v] = m;
  }
}

ConvRowSink::ConvRowSink(const ShiftedConvShape& s, const ConvOutputParams& p, const ShiftedMasks& masks, std::size_t n,
                         std::size_t first, std::size_t rows)
    : p_(p), masks_(masks), first_(first), rows_(rows), conv_h_(s.out_h()), conv_w_(s.out_w()) {
  conv_plane_ = conv_h_ * conv_w_;
  out_plane_ = p.pool.active() ? pooled_h(p.pool, conv_h_) * pooled_w(p.pool, conv_w_) : conv_plane_;
  const std::size_t offset = (n * s.out_channels + first) * out_plane_;
  const bool pooled = p.pool.active();
  switch (p.kind) {
    case ConvOutputKind::kFloat32:
      out_ = static_cast<float*>(p.y) + offset;
      if (pooled) float_rows_.resize(rows * conv_plane_);
      tile_y_ = pooled ? float_rows_.data() : static_cast<float*>(out_);
      break;
    case ConvOutputKind::kInt32:
      out_ = static_cast<int32_t*>(p.y) + offset;
      if (pooled) int_rows_.resize(rows * conv_plane_);
      tile_yi_ = pooled ? int_rows_.data() : static_cast<int32_t*>(out_);
      break;
    case ConvOutputKind::kUint8:
    case ConvOutputKind::kInt8:
      out_ = static_cast<uint8_t*>(p.y) + offset;  // one byte per value either way
      int_rows_.resize(rows * conv_plane_);
      tile_yi_ = int_rows_.data();
      break;
  }
}

ConvTileOutput ConvRowSink::tile(std::size_t row, std::size_t v0) const {
  ConvTileOutput t{};
  t.masks = masks_.masks.data() + v0;
  t.starts = masks_.starts.data() + v0;
  t.int32_out = p_.kind != ConvOutputKind::kFloat32;
  t.y = tile_y_ == nullptr ? nullptr : tile_y_ + row * conv_plane_;
  t.yi = tile_yi_ == nullptr ? nullptr : tile_yi_ + row * conv_plane_;
  t.row_stride = conv_plane_;
  t.bias = p_.bias == nullptr ? nullptr : p_.bias + first_ + row;
  t.min = p_.min;
  t.max = p_.max;
  return t;
}

void ConvRowSink::finish() {
  MaxPoolShape pool{};
  if (p_.pool.active()) {
    pool = {rows_, conv_h_, conv_w_, p_.pool.kernel_h, p_.pool.kernel_w, p_.pool.stride_h, p_.pool.stride_w, 0, 0,
            pooled_h(p_.pool, conv_h_), pooled_w(p_.pool, conv_w_)};
    if (p_.kind == ConvOutputKind::kFloat32) return f32_maxpool(pool, float_rows_.data(), static_cast<float*>(out_));
  }
  if (p_.kind == ConvOutputKind::kFloat32) return;
  // Integer sums, pooled when asked (into the int32 output itself, or a scratch on the way to requantization).
  int32_t* sums = tile_yi_;
  if (p_.pool.active()) {
    if (p_.kind == ConvOutputKind::kInt32) {
      sums = static_cast<int32_t*>(out_);
    } else {
      pooled_.resize(rows_ * out_plane_);
      sums = pooled_.data();
    }
    s32_maxpool(pool, int_rows_.data(), sums);
  }
  if (p_.kind == ConvOutputKind::kInt32) {
    if (p_.int_bias != nullptr)
      for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t i = 0; i < out_plane_; ++i)
          sums[r * out_plane_ + i] = static_cast<int32_t>(static_cast<uint32_t>(sums[r * out_plane_ + i]) +
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
    fn(out_plane_, sums + r * out_plane_, row, static_cast<uint8_t*>(out_) + r * out_plane_);
  }
}

std::vector<int32_t> shifted_offsets(const ShiftedConvShape& s) {
  std::vector<int32_t> offsets;
  offsets.reserve(s.taps());
  for (std::size_t c = 0; c < s.channels; ++c)
    for (std::size_t i = 0; i < s.kernel_h; ++i)
      for (std::size_t j = 0; j < s.kernel_w; ++j)
        offsets.push_back(static_cast<int32_t>(c * s.plane() + i * s.dilation_h * s.padded_w() + j * s.dilation_w));
  return offsets;
}

}  // namespace sparq
