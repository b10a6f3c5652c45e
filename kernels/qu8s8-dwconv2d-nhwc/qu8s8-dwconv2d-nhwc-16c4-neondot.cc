// NEON dot-product qu8s8-dwconv2d-nhwc: stack rows (qu8s8-dwconv2d-nhwc.h)
// of 4 kernel rows for weights whose w' all fit int8, 16 channels at a time,
// the last few through copies. SDOT adds 4 int8 x int8 products per int32
// lane to it exactly, so one instruction takes 4 kernel rows of one kernel
// column for 4 channels; the input bytes go in as x - 128 (top bit flipped)
// and the bias takes back 128 * sum w' (packed with the weights).
//
// Per output row and block, each input column the row reads is interleaved
// once per stack (ZIP1/ZIP2 of bytes, then of halfwords: 4 vectors of 4
// channels' 4 bytes, in channel order) into a scratch row that stays in L1;
// every output column then runs kernel_w x 4 SDOT per stack off that
// scratch row (at stride 1, 3 output columns share each interleaved column),
// with the 3x3 weights held in registers across the row. The sums leave
// through qs32-qx8-requantize-neon's steps in registers.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

constexpr std::size_t kBlock = 16;  // channels per block: one vector of bytes

// `count` channels' bytes at p less 128 (as int8), the channels past them -128 (their weights are 0).
inline uint8x16_t offset16(const uint8_t* p, std::size_t count) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  if (count >= kBlock) return veorq_u8(vld1q_u8(p), flip);
  uint8_t bytes[kBlock] = {};
  std::memcpy(bytes, p, count);
  return veorq_u8(vld1q_u8(bytes), flip);
}

// Interleaves the input columns [0, span) of the row's stack g (rows[4g..4g+3]) for channels [c, c + count) into out.
void interleave(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t g, std::size_t c, std::size_t count, uint8x16_t* out) {
  const uint8_t* const* rows = r.rows + 4 * g;
  const uint8x16_t padding = vdupq_n_u8(static_cast<uint8_t>(r.x_zero_point ^ 0x80));
  for (std::size_t col = 0; col < r.span; col++, out += 4) {
    const std::size_t iw = col - r.pad_left;  // wraps past width left of the image
    if (iw >= r.width) {
      for (std::size_t k = 0; k < 4; k++) out[k] = padding;
      continue;
    }
    const std::size_t at = iw * r.channels + c;
    const uint8x16_t x0 = offset16(rows[0] + at, count), x1 = offset16(rows[1] + at, count);
    const uint8x16_t x2 = offset16(rows[2] + at, count), x3 = offset16(rows[3] + at, count);
    const uint16x8_t lo01 = vreinterpretq_u16_u8(vzip1q_u8(x0, x1)), hi01 = vreinterpretq_u16_u8(vzip2q_u8(x0, x1));
    const uint16x8_t lo23 = vreinterpretq_u16_u8(vzip1q_u8(x2, x3)), hi23 = vreinterpretq_u16_u8(vzip2q_u8(x2, x3));
    out[0] = vreinterpretq_u8_u16(vzip1q_u16(lo01, lo23));
    out[1] = vreinterpretq_u8_u16(vzip2q_u16(lo01, lo23));
    out[2] = vreinterpretq_u8_u16(vzip1q_u16(hi01, hi23));
    out[3] = vreinterpretq_u8_u16(vzip2q_u16(hi01, hi23));
  }
}

// 16 per-channel int32 or float values at p (`count` live, the rest 0) as 4 vectors.
inline void load16(const void* p, std::size_t count, int32x4_t v[4]) {
  int32_t values[kBlock] = {};
  std::memcpy(values, p, (count < kBlock ? count : kBlock) * 4);
  for (std::size_t k = 0; k < 4; k++) v[k] = vld1q_s32(values + 4 * k);
}

// The output stage of one output column's 16 sums into y (`count` live).
class Stage {
 public:
  Stage(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c, std::size_t count) : r_(r), count_(count < kBlock ? count : kBlock) {
    if (r.output == QOutput::kInt32) return;
    const RequantizeRow& p = *r.stage;
    if (p.multiplier_stride == 0) {
      for (float32x4_t& m : mul_) m = vdupq_n_f32(p.multiplier[0]);
    } else {
      int32x4_t bits[4];
      load16(p.multiplier + c, count_, bits);
      for (std::size_t k = 0; k < 4; k++) mul_[k] = vreinterpretq_f32_s32(bits[k]);
    }
    zp_ = vdupq_n_s32(p.zero_point);
    const bool to_uint8 = r.output == QOutput::kUint8;
    full_range_ = p.out_min == (to_uint8 ? 0 : -128) && p.out_max == (to_uint8 ? 255 : 127);
    min8_ = vdupq_n_u8(static_cast<uint8_t>(p.out_min));
    max8_ = vdupq_n_u8(static_cast<uint8_t>(p.out_max));
    fmin_ = vdupq_n_f32(p.fmin);
    fmax_ = vdupq_n_f32(p.fmax);
  }

  __attribute__((always_inline)) void operator()(const int32x4_t acc[4], void* y) const {
    if (r_.output == QOutput::kUint8 || r_.output == QOutput::kInt8) {
      const int16x8_t a = vcombine_s16(rounded(acc[0], 0), rounded(acc[1], 1)), b = vcombine_s16(rounded(acc[2], 2), rounded(acc[3], 3));
      const bool to_uint8 = r_.output == QOutput::kUint8;
      uint8x16_t bytes = to_uint8 ? vcombine_u8(vqmovun_s16(a), vqmovun_s16(b)) : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(a), vqmovn_s16(b)));
      // The narrowing saturated to the output type's range; a narrower [out_min, out_max] (a fused ReLU6 that
      // cuts it) takes a clamp on the bytes.
      if (!full_range_) {
        bytes = to_uint8 ? vminq_u8(max8_, vmaxq_u8(min8_, bytes))
                         : vreinterpretq_u8_s8(vminq_s8(vreinterpretq_s8_u8(max8_), vmaxq_s8(vreinterpretq_s8_u8(min8_), vreinterpretq_s8_u8(bytes))));
      }
      if (count_ == kBlock) {
        vst1q_u8(static_cast<uint8_t*>(y), bytes);
      } else {
        uint8_t out[kBlock];
        vst1q_u8(out, bytes);
        std::memcpy(y, out, count_);
      }
      return;
    }
    int32_t out[kBlock];
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; k++) {
      if (r_.output == QOutput::kInt32) {
        vst1q_s32(out + 4 * k, acc[k]);
      } else {
        // fmin > x ? fmin : x, then fmax < x ? fmax : x: qs32-qx8-requantize-neon's float clamp.
        float32x4_t x = scaled(acc[k], k);
        x = vbslq_f32(vcgtq_f32(fmin_, x), fmin_, x);
        x = vbslq_f32(vcltq_f32(fmax_, x), fmax_, x);
        vst1q_s32(out + 4 * k, vreinterpretq_s32_f32(x));
      }
    }
    std::memcpy(y, out, count_ * 4);
  }

 private:
  // float(acc) * multiplier: one multiply, as qs32-qx8-requantize does.
  float32x4_t scaled(int32x4_t acc, std::size_t k) const { return vmulq_f32(vcvtq_f32_s32(acc), mul_[k]); }

  // qs32-qx8-requantize's NaN -> 0, clamp to [out_min - zp, out_max - zp], round half to even and add zp, without
  // the float clamp: FCVTNS rounds half to even, saturates to int32 and takes NaN to 0, and zp added and both
  // narrowings saturating, round(x) + zp reaches the bytes clamped to the output type's range: the same values
  // (round(clamp(x, lo - zp, hi - zp)) + zp is clamp(round(x) + zp, lo, hi) for integer bounds), the caller
  // clamping to [out_min, out_max] when it is narrower.
  int16x4_t rounded(int32x4_t acc, std::size_t k) const { return vqmovn_s32(vqaddq_s32(vcvtnq_s32_f32(scaled(acc, k)), zp_)); }

  const Qu8s8DwConv2dNhwcStackRow& r_;
  std::size_t count_;
  float32x4_t mul_[4] = {};
  float32x4_t fmin_ = {}, fmax_ = {};
  int32x4_t zp_ = {};
  bool full_range_ = false;  // [out_min, out_max] is the output type's range: the narrowing clamps
  uint8x16_t min8_ = {}, max8_ = {};
};

// The packed weights' size: per block, stack, kernel column and vector, 16 bytes; then per channel its sum of w'.
inline std::size_t weight_bytes(std::size_t blocks, std::size_t stacks, std::size_t kernel_w) {
  return blocks * stacks * kernel_w * 4 * kBlock;
}

// Channels [c, c + 16) of the row; kKw and kStacks are kernel_w and the stacks when known at compile
// time (3x3: 3, 1; 5x5: 5, 2), the weights then held in registers across the row; 0, 0: read from memory.
template <std::size_t kKw, std::size_t kStacks>
void block(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c) {
  const std::size_t kw = kKw != 0 ? kKw : r.kernel_w, stacks = kStacks != 0 ? kStacks : r.stacks;
  const std::size_t count = r.channels - c < kBlock ? r.channels - c : kBlock;
  uint8x16_t* columns = reinterpret_cast<uint8x16_t*>(r.columns);
  for (std::size_t g = 0; g < stacks; g++) interleave(r, g, c, count, columns + g * r.span * 4);
  const int8_t* weights = reinterpret_cast<const int8_t*>(r.weights) + c / kBlock * stacks * kw * 4 * kBlock;
  constexpr std::size_t kHeld = kKw * kStacks * 4;
  int8x16_t held[kHeld != 0 ? kHeld : 1];
#pragma GCC unroll 64
  for (std::size_t i = 0; i < kHeld; i++) held[i] = vld1q_s8(weights + i * kBlock);
  // The bias, plus 128 * sum w' for the 128 taken off every input byte (wrapping, as the sums do).
  const std::size_t blocks = (r.channels + kBlock - 1) / kBlock;
  const int32_t* sums = reinterpret_cast<const int32_t*>(r.weights + weight_bytes(blocks, stacks, kw)) + c;
  int32x4_t bias[4], sum[4];
  load16(r.bias + c, count, bias);
  load16(sums, count, sum);
  for (std::size_t k = 0; k < 4; k++)
    bias[k] = vreinterpretq_s32_u32(vaddq_u32(vreinterpretq_u32_s32(bias[k]), vshlq_n_u32(vreinterpretq_u32_s32(sum[k]), 7)));
  const Stage stage(r, c, count);
  const std::size_t out_size = qgemm_output_size(r.output);
  char* y = static_cast<char*>(r.y) + c * out_size;
  for (std::size_t ow = 0; ow < r.out_w; ow++, y += r.channels * out_size) {
    int32x4_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
#pragma GCC unroll 4
    for (std::size_t g = 0; g < stacks; g++)
#pragma GCC unroll 8
      for (std::size_t j = 0; j < kw; j++) {
        const uint8x16_t* column = columns + (g * r.span + ow * r.stride_w + j * r.dilation_w) * 4;
#pragma GCC unroll 4
        for (std::size_t k = 0; k < 4; k++) {
          const std::size_t at = (g * kw + j) * 4 + k;
          const int8x16_t w = kHeld != 0 ? held[at] : vld1q_s8(weights + at * kBlock);
          acc[k] = vdotq_s32(acc[k], vreinterpretq_s8_u8(column[k]), w);
        }
      }
    stage(acc, y);
  }
}

}  // namespace

// Per block of 16 channels, stack g, kernel column j and vector k: 16 bytes, in int32 lane m the 4 kernel
// rows' weights of channel 4k + m (zeros past the channels and kernel_h); then per channel (blocks * 16
// int32, zeros past the channels) its sum of w'.
bool qu8s8_dwconv2d_nhwc_16c4_neondot_pack(std::size_t channels, std::size_t kernel_h, std::size_t kernel_w, const int32_t* w,
                                           aligned_vector<uint8_t>* out) {
  const std::size_t taps = kernel_h * kernel_w;
  for (std::size_t i = 0; i < channels * taps; i++)
    if (w[i] < -128 || w[i] > 127) return false;
  const std::size_t stacks = (kernel_h + 3) / 4, blocks = (channels + kBlock - 1) / kBlock;
  const std::size_t sums_at = weight_bytes(blocks, stacks, kernel_w);
  out->assign(sums_at + blocks * kBlock * 4, 0);
  for (std::size_t c = 0; c < channels; c++) {
    int32_t sum = 0;
    for (std::size_t i = 0; i < kernel_h; i++)
      for (std::size_t j = 0; j < kernel_w; j++) {
        const int32_t v = w[(c * kernel_h + i) * kernel_w + j];
        const std::size_t vector = ((c / kBlock * stacks + i / 4) * kernel_w + j) * 4 + c % kBlock / 4;
        (*out)[vector * kBlock + (c % 4) * 4 + i % 4] = static_cast<uint8_t>(static_cast<int8_t>(v));
        sum += v;
      }
    std::memcpy(out->data() + sums_at + c * 4, &sum, 4);
  }
  return true;
}

void qu8s8_dwconv2d_nhwc_16c4_neondot(const Qu8s8DwConv2dNhwcStackRow& r) {
  for (std::size_t c = 0; c < r.channels; c += kBlock) {
    if (r.kernel_w == 3 && r.stacks == 1) block<3, 1>(r, c);
    else if (r.kernel_w == 5 && r.stacks == 2) block<5, 2>(r, c);
    else block<0, 0>(r, c);
  }
}

}  // namespace sparq
