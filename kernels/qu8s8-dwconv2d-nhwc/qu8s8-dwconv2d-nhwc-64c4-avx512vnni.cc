// AVX-512 VNNI qu8s8-dwconv2d-nhwc: stack rows (qu8s8-dwconv2d-nhwc.h) of 4
// kernel rows for weights whose w' all fit int8 (symmetric int8 weights,
// uint8 ones with zero point 128: what quantizers emit), 64 channels at a
// time, the last block under masks. vpdpbusd adds 4 uint8 x int8 products
// per int32 lane to it exactly (the sum of 4 products stays below 2^17; the
// add wraps, as the scalar sums do), so one instruction takes 4 kernel rows
// of one kernel column for 16 channels.
//
// Per output row and block, each input column the row reads is interleaved
// once per stack (vpunpck{l,h}bw then {l,h}wd: 4 vectors of 16 channels' 4
// bytes, channel 16l + 4k + m in vector k, int32 lane 4l + m, the order the
// weights are packed in) into a scratch row that stays in L1; every output
// column then runs kernel_w x 4 vpdpbusd per stack off that scratch row (at
// stride 1, 3 output columns share each interleaved column), with the 3x3
// and 5x5 weights held in registers across the row. The sums leave through the output stage in
// registers: qs32-qx8-requantize-avx512's steps, then vpack{s,us} undo the
// interleave for bytes (they narrow within 128-bit lanes, as the unpacks
// widened), and a 4x4 transpose of 128-bit lanes does it for int32 and float.
// Weights that do not fit int8 run the AVX-512 row (the variant table's `row`).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

constexpr std::size_t kBlock = 64;  // channels per block: one vector of bytes
// The all-lanes masked forms of shuffles, conversions and max/min: GCC 12 warns on the unmasked ones (bug 105593).
constexpr __mmask16 kAll = 0xFFFF;

// v[l] lane k <-> v[k] lane l (128-bit lanes): channel order <-> the interleaved order, either way.
inline void transpose_lanes(__m512i v[4]) {
  const __m512i t0 = _mm512_maskz_shuffle_i32x4(kAll, v[0], v[1], 0x44), t1 = _mm512_maskz_shuffle_i32x4(kAll, v[0], v[1], 0xEE);
  const __m512i t2 = _mm512_maskz_shuffle_i32x4(kAll, v[2], v[3], 0x44), t3 = _mm512_maskz_shuffle_i32x4(kAll, v[2], v[3], 0xEE);
  v[0] = _mm512_maskz_shuffle_i32x4(kAll, t0, t2, 0x88);
  v[1] = _mm512_maskz_shuffle_i32x4(kAll, t0, t2, 0xDD);
  v[2] = _mm512_maskz_shuffle_i32x4(kAll, t1, t3, 0x88);
  v[3] = _mm512_maskz_shuffle_i32x4(kAll, t1, t3, 0xDD);
}

// Live lanes of vector k (channels 16k.. of the block) when `count` channels are live.
inline __mmask16 live16(std::size_t count, std::size_t k) {
  const std::size_t n = count > 16 * k ? count - 16 * k : 0;
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1);
}

// 64 int32 per-channel values from p (channel order, `count` live) in the interleaved order.
inline void load_interleaved(const int32_t* p, std::size_t count, __m512i v[4]) {
  for (std::size_t k = 0; k < 4; k++) v[k] = _mm512_maskz_loadu_epi32(live16(count, k), p + 16 * k);
  transpose_lanes(v);
}

// Interleaves the input columns [0, span) of the row's stack g (rows[4g..4g+3]) for channels [c, c + 64) into out.
void interleave(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t g, std::size_t c, __mmask64 mask, __m512i* out) {
  const uint8_t* const* rows = r.rows + 4 * g;
  const __m512i padding = _mm512_set1_epi8(static_cast<char>(r.x_zero_point));
  for (std::size_t col = 0; col < r.span; col++, out += 4) {
    const std::size_t iw = col - r.pad_left;  // wraps past width left of the image
    if (iw >= r.width) {
      for (std::size_t k = 0; k < 4; k++) _mm512_store_si512(out + k, padding);
      continue;
    }
    const std::size_t at = iw * r.channels + c;
    const __m512i x0 = _mm512_maskz_loadu_epi8(mask, rows[0] + at), x1 = _mm512_maskz_loadu_epi8(mask, rows[1] + at);
    const __m512i x2 = _mm512_maskz_loadu_epi8(mask, rows[2] + at), x3 = _mm512_maskz_loadu_epi8(mask, rows[3] + at);
    const __m512i lo01 = _mm512_unpacklo_epi8(x0, x1), hi01 = _mm512_unpackhi_epi8(x0, x1);
    const __m512i lo23 = _mm512_unpacklo_epi8(x2, x3), hi23 = _mm512_unpackhi_epi8(x2, x3);
    _mm512_store_si512(out, _mm512_unpacklo_epi16(lo01, lo23));
    _mm512_store_si512(out + 1, _mm512_unpackhi_epi16(lo01, lo23));
    _mm512_store_si512(out + 2, _mm512_unpacklo_epi16(hi01, hi23));
    _mm512_store_si512(out + 3, _mm512_unpackhi_epi16(hi01, hi23));
  }
}

// The output stage of one output column's 64 sums (interleaved order) into y (channel order, `count` live).
class Stage {
 public:
  Stage(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c, std::size_t count) : r_(r), count_(count) {
    if (r.output == QOutput::kInt32) return;
    const RequantizeRow& p = *r.stage;
    if (p.multiplier_stride == 0) {
      for (__m512i& m : mul_) m = _mm512_castps_si512(_mm512_set1_ps(p.multiplier[0]));
    } else {
      load_interleaved(reinterpret_cast<const int32_t*>(p.multiplier + c), count, mul_);
    }
    // float(acc) * m is NaN only where m is NaN or infinite; finite multipliers (any real layer's) skip the NaN step.
    const float* m = p.multiplier + c * p.multiplier_stride;
    for (std::size_t i = 0; i < (p.multiplier_stride == 0 ? 1 : count); i++) finite_ = finite_ && std::isfinite(m[i]);
    lo_ = _mm512_set1_ps(static_cast<float>(p.out_min - p.zero_point));
    hi_ = _mm512_set1_ps(static_cast<float>(p.out_max - p.zero_point));
    zp_ = _mm512_set1_epi32(p.zero_point);
    fmin_ = _mm512_set1_ps(p.fmin);
    fmax_ = _mm512_set1_ps(p.fmax);
    mask_ = count >= 64 ? ~__mmask64{0} : (__mmask64{1} << count) - 1;
  }

  __attribute__((always_inline)) void operator()(__m512i acc[4], void* y) const {
    if (r_.output == QOutput::kUint8 || r_.output == QOutput::kInt8) {
      __m512i q[4];
#pragma GCC unroll 4
      for (std::size_t k = 0; k < 4; k++) q[k] = rounded(scaled(acc[k], k));
      const __m512i q01 = _mm512_packs_epi32(q[0], q[1]), q23 = _mm512_packs_epi32(q[2], q[3]);
      const __m512i bytes = r_.output == QOutput::kUint8 ? _mm512_packus_epi16(q01, q23) : _mm512_packs_epi16(q01, q23);
      _mm512_mask_storeu_epi8(y, mask_, bytes);
      return;
    }
    __m512i v[4];
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; k++) {
      if (r_.output == QOutput::kInt32) {
        v[k] = acc[k];
      } else {
        // max_ps(fmin, x) / min_ps(fmax, x): as qs32-qx8-requantize's float clamp, operand for operand.
        v[k] = _mm512_castps_si512(_mm512_maskz_min_ps(kAll, fmax_, _mm512_maskz_max_ps(kAll, fmin_, scaled(acc[k], k))));
      }
    }
    transpose_lanes(v);
    int32_t* out = static_cast<int32_t*>(y);
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; k++) _mm512_mask_storeu_epi32(out + 16 * k, live16(count_, k), v[k]);
  }

 private:
  // float(acc) * multiplier: one multiply, as qs32-qx8-requantize does.
  __m512 scaled(__m512i acc, std::size_t k) const { return _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, acc), _mm512_castsi512_ps(mul_[k])); }

  // NaN -> +0, clamp to [out_min - zp, out_max - zp], round half to even, add zp: the clamped values fit the output type.
  __m512i rounded(__m512 x) const {
    if (!finite_) x = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x);
    x = _mm512_maskz_max_ps(kAll, lo_, x);
    x = _mm512_maskz_min_ps(kAll, hi_, x);
    return _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, x), zp_);
  }

  const Qu8s8DwConv2dNhwcStackRow& r_;
  std::size_t count_;
  bool finite_ = true;
  __m512i mul_[4] = {};
  __m512 lo_ = {}, hi_ = {}, fmin_ = {}, fmax_ = {};
  __m512i zp_ = {};
  __mmask64 mask_ = 0;
};

// Channels [c, c + 64) of the row; kKw and kStacks are kernel_w and the stacks when known at compile
// time (3x3: 3, 1; 5x5: 5, 2), the weights then held in registers across the row; 0, 0: read from memory.
template <std::size_t kKw, std::size_t kStacks>
void block(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c) {
  const std::size_t kw = kKw != 0 ? kKw : r.kernel_w, stacks = kStacks != 0 ? kStacks : r.stacks;
  const std::size_t count = r.channels - c < kBlock ? r.channels - c : kBlock;
  const __mmask64 mask = count >= 64 ? ~__mmask64{0} : (__mmask64{1} << count) - 1;
  __m512i* columns = reinterpret_cast<__m512i*>(r.columns);
  for (std::size_t g = 0; g < stacks; g++) interleave(r, g, c, mask, columns + g * r.span * 4);
  const __m512i* weights = reinterpret_cast<const __m512i*>(r.weights) + c / kBlock * stacks * kw * 4;
  constexpr std::size_t kHeld = kKw * kStacks * 4;
  __m512i held[kHeld != 0 ? kHeld : 1];
#pragma GCC unroll 64
  for (std::size_t i = 0; i < kHeld; i++) held[i] = _mm512_load_si512(weights + i);
  __m512i bias[4];
  load_interleaved(r.bias + c, count, bias);
  const Stage stage(r, c, count);
  const std::size_t out_size = qgemm_output_size(r.output);
  char* y = static_cast<char*>(r.y) + c * out_size;
  for (std::size_t ow = 0; ow < r.out_w; ow++, y += r.channels * out_size) {
    __m512i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
#pragma GCC unroll 4
    for (std::size_t g = 0; g < stacks; g++)
#pragma GCC unroll 8
      for (std::size_t j = 0; j < kw; j++) {
        const __m512i* column = columns + (g * r.span + ow * r.stride_w + j * r.dilation_w) * 4;
#pragma GCC unroll 4
        for (std::size_t k = 0; k < 4; k++) {
          const std::size_t at = (g * kw + j) * 4 + k;
          const __m512i w = kHeld != 0 ? held[at] : _mm512_load_si512(weights + at);
          acc[k] = _mm512_dpbusd_epi32(acc[k], _mm512_load_si512(column + k), w);
        }
      }
    stage(acc, y);
  }
}

}  // namespace

// Per block of 64 channels, stack g, kernel column j and vector k: 64 bytes, in int32 lane 4l + m the 4 kernel
// rows' weights of channel 16l + 4k + m (zeros past the channels and kernel_h). Layers of at most 32
// channels, which would leave half a block or more empty, run the AVX-512 row (measured faster).
bool qu8s8_dwconv2d_nhwc_64c4_avx512vnni_pack(std::size_t channels, std::size_t kernel_h, std::size_t kernel_w, const int32_t* w,
                                              aligned_vector<uint8_t>* out) {
  if (channels <= 32) return false;
  const std::size_t taps = kernel_h * kernel_w;
  for (std::size_t i = 0; i < channels * taps; i++)
    if (w[i] < -128 || w[i] > 127) return false;
  const std::size_t stacks = (kernel_h + 3) / 4, blocks = (channels + kBlock - 1) / kBlock;
  out->assign(blocks * stacks * kernel_w * 4 * kBlock, 0);
  for (std::size_t c = 0; c < channels; c++) {
    const std::size_t b = c / kBlock, l = c % kBlock / 16, k = c % 16 / 4, m = c % 4;
    for (std::size_t i = 0; i < kernel_h; i++)
      for (std::size_t j = 0; j < kernel_w; j++) {
        const std::size_t vector = ((b * stacks + i / 4) * kernel_w + j) * 4 + k;
        (*out)[vector * kBlock + (4 * l + m) * 4 + i % 4] = static_cast<uint8_t>(static_cast<int8_t>(w[(c * kernel_h + i) * kernel_w + j]));
      }
  }
  return true;
}

void qu8s8_dwconv2d_nhwc_64c4_avx512vnni(const Qu8s8DwConv2dNhwcStackRow& r) {
  for (std::size_t c = 0; c < r.channels; c += kBlock) {
    if (r.kernel_w == 3 && r.stacks == 1) block<3, 1>(r, c);
    else if (r.kernel_w == 5 && r.stacks == 2) block<5, 2>(r, c);
    else block<0, 0>(r, c);
  }
}

}  // namespace sparq
