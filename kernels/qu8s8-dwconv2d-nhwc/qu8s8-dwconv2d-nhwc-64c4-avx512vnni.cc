// AVX-512 VNNI qu8s8-dwconv2d-nhwc: stack rows (qu8s8-dwconv2d-nhwc.h) of 4
// kernel rows for weights whose w' all fit int8 (symmetric int8 weights,
// uint8 ones with zero point 128: what quantizers emit), 64 channels at a
// time, the last block under masks. vpdpbusd adds 4 uint8 x int8 products
// per int32 lane to it exactly (the sum of 4 products stays below 2^17; the
// add wraps, as the scalar sums do), so one instruction takes 4 kernel rows
// of one kernel column for 16 channels. A layer's last block of at most 32
// channels (and a layer of 17-32 channels) runs the same code on 256-bit
// vectors, so little of it is spent on channels past the end.
//
// Per output row and block, each input column the row reads is interleaved
// once per stack (vpunpck{l,h}bw then {l,h}wd: 4 vectors of 16 channels' 4
// bytes, channel 16l + 4k + m in vector k, int32 lane 4l + m, the order the
// weights are packed in); every output column then runs kernel_w x 4
// vpdpbusd per stack on those columns, with the 3x3 and 5x5 weights held in
// registers across the row. A 3x3 at stride 1 or 2 keeps its window's 3
// interleaved columns in registers as it slides (each column interleaved
// once); other kernels and strides interleave the row into a scratch row in
// L1 first. Row pairs (kernels of 3, 5-7, ... rows at vertical stride 1)
// take both output rows from the same stacks: the second row's vpdpbusd run
// on the same interleaved columns (its weights, shifted down one kernel row,
// read from memory), halving the interleaves per output. The sums leave
// through the output stage
// in registers: qs32-qx8-requantize-avx512's steps, then vpack{s,us} undo the
// interleave for bytes (they narrow within 128-bit lanes, as the unpacks
// widened), and a 4x4 transpose of 128-bit lanes does it for int32 and float.
// Weights that do not fit int8 run the AVX-512 row (the variant table's `row`).
#include <immintrin.h>

#include <cstdint>
#include <type_traits>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

// The all-lanes masked forms of shuffles, conversions and max/min: GCC 12 warns on the unmasked ones (bug 105593).
constexpr __mmask16 kAll = 0xFFFF;

// Lanes [0, n) of a mask of `lanes` lanes (n may exceed them, or be 0).
inline uint64_t first(std::size_t n, std::size_t lanes) {
  if (n < lanes) return (uint64_t{1} << n) - 1;
  return lanes == 64 ? ~uint64_t{0} : (uint64_t{1} << lanes) - 1;
}

// The vector operations of a block of kWidth channels: 64 on 512-bit vectors, 32 on 256-bit ones. Both lay a
// block out the same way: vector k of 4 holds, in 128-bit lane l and int32 lane m of it, channel 16l + 4k + m.
// Whole vectors are stored plain: a masked store to a line not in cache is slow on AMD cores.
template <std::size_t kWidth>
struct Vec;

// The operations whose 512- and 256-bit intrinsics differ only in their prefix (and si512 / si256 in the casts).
#define SPARQ_VEC_COMMON_OPS(pre, si)                                                                    \
  static I bytes_of(uint8_t b) { return pre##_set1_epi8(static_cast<char>(b)); }                         \
  static I unpacklo8(I a, I b) { return pre##_unpacklo_epi8(a, b); }                                     \
  static I unpackhi8(I a, I b) { return pre##_unpackhi_epi8(a, b); }                                     \
  static I unpacklo16(I a, I b) { return pre##_unpacklo_epi16(a, b); }                                   \
  static I unpackhi16(I a, I b) { return pre##_unpackhi_epi16(a, b); }                                   \
  static I dot(I acc, I x, I w) { return pre##_dpbusd_epi32(acc, x, w); }                                \
  static I add32(I a, I b) { return pre##_add_epi32(a, b); }                                             \
  static I packs32(I a, I b) { return pre##_packs_epi32(a, b); }                                         \
  static I packus16(I a, I b) { return pre##_packus_epi16(a, b); }                                       \
  static I packs16(I a, I b) { return pre##_packs_epi16(a, b); }                                         \
  static I adds16(I a, I b) { return pre##_adds_epi16(a, b); }                                           \
  static I clamp_u8(I v, I lo, I hi) { return pre##_max_epu8(lo, pre##_min_epu8(hi, v)); }               \
  static I clamp_s8(I v, I lo, I hi) { return pre##_max_epi8(lo, pre##_min_epi8(hi, v)); }               \
  static I shorts(int16_t v) { return pre##_set1_epi16(v); }                                             \
  static I ints(int32_t v) { return pre##_set1_epi32(v); }                                               \
  static F floats(float v) { return pre##_set1_ps(v); }                                                  \
  static F as_float(I v) { return pre##_cast##si##_ps(v); }                                              \
  static I as_int(F v) { return pre##_castps_##si(v); }                                                  \
  static F mul(F a, F b) { return pre##_mul_ps(a, b); }

template <>
struct Vec<64> {
  using I = __m512i;
  using F = __m512;
  static I bytes(const uint8_t* p, std::size_t n) { return _mm512_maskz_loadu_epi8(first(n, 64), p); }
  static void store_bytes(void* p, std::size_t n, I v) {
    if (n >= 64) _mm512_storeu_si512(p, v);
    else _mm512_mask_storeu_epi8(p, first(n, 64), v);
  }
  static I dwords(const void* p, std::size_t n) { return _mm512_maskz_loadu_epi32(static_cast<__mmask16>(first(n, 16)), p); }
  static void store_dwords(void* p, std::size_t n, I v) {
    if (n >= 16) _mm512_storeu_si512(p, v);
    else _mm512_mask_storeu_epi32(p, static_cast<__mmask16>(first(n, 16)), v);
  }
  SPARQ_VEC_COMMON_OPS(_mm512, si512)
  static F to_float(I v) { return _mm512_maskz_cvtepi32_ps(kAll, v); }
  static F max(F a, F b) { return _mm512_maskz_max_ps(kAll, a, b); }
  static F min(F a, F b) { return _mm512_maskz_min_ps(kAll, a, b); }
  static F nan_to_zero(F x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x); }
  static I rounded(F x) { return _mm512_maskz_cvtps_epi32(kAll, x); }
  // v[l] lane k <-> v[k] lane l (128-bit lanes): channel order <-> the block's order, either way.
  static void transpose(I v[4]) {
    const I t0 = _mm512_maskz_shuffle_i32x4(kAll, v[0], v[1], 0x44), t1 = _mm512_maskz_shuffle_i32x4(kAll, v[0], v[1], 0xEE);
    const I t2 = _mm512_maskz_shuffle_i32x4(kAll, v[2], v[3], 0x44), t3 = _mm512_maskz_shuffle_i32x4(kAll, v[2], v[3], 0xEE);
    v[0] = _mm512_maskz_shuffle_i32x4(kAll, t0, t2, 0x88);
    v[1] = _mm512_maskz_shuffle_i32x4(kAll, t0, t2, 0xDD);
    v[2] = _mm512_maskz_shuffle_i32x4(kAll, t1, t3, 0x88);
    v[3] = _mm512_maskz_shuffle_i32x4(kAll, t1, t3, 0xDD);
  }
  static void to_block_order(I v[4]) { transpose(v); }
  static void to_channel_order(I v[4]) { transpose(v); }
};

template <>
struct Vec<32> {
  using I = __m256i;
  using F = __m256;
  static I bytes(const uint8_t* p, std::size_t n) { return _mm256_maskz_loadu_epi8(static_cast<__mmask32>(first(n, 32)), p); }
  static void store_bytes(void* p, std::size_t n, I v) {
    if (n >= 32) _mm256_storeu_si256(static_cast<__m256i*>(p), v);
    else _mm256_mask_storeu_epi8(p, static_cast<__mmask32>(first(n, 32)), v);
  }
  static I dwords(const void* p, std::size_t n) { return _mm256_maskz_loadu_epi32(static_cast<__mmask8>(first(n, 8)), p); }
  static void store_dwords(void* p, std::size_t n, I v) {
    if (n >= 8) _mm256_storeu_si256(static_cast<__m256i*>(p), v);
    else _mm256_mask_storeu_epi32(p, static_cast<__mmask8>(first(n, 8)), v);
  }
  SPARQ_VEC_COMMON_OPS(_mm256, si256)
  static F to_float(I v) { return _mm256_cvtepi32_ps(v); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F nan_to_zero(F x) { return _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q)); }
  static I rounded(F x) { return _mm256_cvtps_epi32(x); }
  // Channels 8q.. (v[q]) -> the block's order: vector k = channels 4k.. | 16 + 4k..
  static void to_block_order(I v[4]) {
    const I b0 = v[0], b1 = v[1], b2 = v[2], b3 = v[3];
    v[0] = _mm256_permute2x128_si256(b0, b2, 0x20);
    v[1] = _mm256_permute2x128_si256(b0, b2, 0x31);
    v[2] = _mm256_permute2x128_si256(b1, b3, 0x20);
    v[3] = _mm256_permute2x128_si256(b1, b3, 0x31);
  }
  static void to_channel_order(I v[4]) {
    const I a0 = v[0], a1 = v[1], a2 = v[2], a3 = v[3];
    v[0] = _mm256_permute2x128_si256(a0, a1, 0x20);
    v[1] = _mm256_permute2x128_si256(a2, a3, 0x20);
    v[2] = _mm256_permute2x128_si256(a0, a1, 0x31);
    v[3] = _mm256_permute2x128_si256(a2, a3, 0x31);
  }
};
#undef SPARQ_VEC_COMMON_OPS

// kWidth int32 per-channel values from p (channel order, `count` live, the rest 0) in the block's order.
template <std::size_t kWidth>
inline void load_block_order(const void* p, std::size_t count, typename Vec<kWidth>::I v[4]) {
  constexpr std::size_t kLanes = kWidth / 4;
  for (std::size_t q = 0; q < 4; q++)
    v[q] = Vec<kWidth>::dwords(static_cast<const int32_t*>(p) + kLanes * q, count > kLanes * q ? count - kLanes * q : 0);
  Vec<kWidth>::to_block_order(v);
}

// Input column `col` of the row's span (kernel rows rows[0..3]) for channels [c, c + count), interleaved into out[0..3];
// zx bytes where the column lies in the padding.
template <std::size_t kWidth>
__attribute__((always_inline)) inline void interleave_column(const Qu8s8DwConv2dNhwcStackRow& r, const uint8_t* const* rows, std::size_t col,
                                                             std::size_t c, std::size_t count, typename Vec<kWidth>::I out[4]) {
  using V = Vec<kWidth>;
  const std::size_t iw = col - r.pad_left;  // wraps past width left of the image
  if (iw >= r.width) {
    for (std::size_t k = 0; k < 4; k++) out[k] = V::bytes_of(r.x_zero_point);
    return;
  }
  const std::size_t at = iw * r.channels + c;
  const typename V::I x0 = V::bytes(rows[0] + at, count), x1 = V::bytes(rows[1] + at, count);
  const typename V::I x2 = V::bytes(rows[2] + at, count), x3 = V::bytes(rows[3] + at, count);
  const typename V::I lo01 = V::unpacklo8(x0, x1), hi01 = V::unpackhi8(x0, x1);
  const typename V::I lo23 = V::unpacklo8(x2, x3), hi23 = V::unpackhi8(x2, x3);
  out[0] = V::unpacklo16(lo01, lo23);
  out[1] = V::unpackhi16(lo01, lo23);
  out[2] = V::unpacklo16(hi01, hi23);
  out[3] = V::unpackhi16(hi01, hi23);
}

// The output stage of one output column's kWidth sums (the block's order) into y (channel order, `count` live).
template <std::size_t kWidth>
class Stage {
  using V = Vec<kWidth>;
  using I = typename V::I;
  using F = typename V::F;

 public:
  Stage(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c, std::size_t count) : r_(r), count_(count) {
    if (r.output == QOutput::kInt32) return;
    const RequantizeRow& p = *r.stage;
    if (p.multiplier_stride == 0) {
      for (I& m : mul_) m = V::as_int(V::floats(p.multiplier[0]));
    } else {
      load_block_order<kWidth>(p.multiplier + c, count, mul_);
    }
    lo_ = V::floats(static_cast<float>(p.out_min - p.zero_point));
    hi_ = V::floats(static_cast<float>(p.out_max - p.zero_point));
    zp_ = V::ints(p.zero_point);
    fmin_ = V::floats(p.fmin);
    fmax_ = V::floats(p.fmax);
    saturating_ = r.small_multipliers && p.zero_point >= -255 && p.zero_point <= 255;
    zp16_ = V::shorts(static_cast<int16_t>(saturating_ ? p.zero_point : 0));
    const bool to_uint8 = r.output == QOutput::kUint8;
    full_range_ = p.out_min == (to_uint8 ? 0 : -128) && p.out_max == (to_uint8 ? 255 : 127);
    min8_ = V::bytes_of(static_cast<uint8_t>(p.out_min));
    max8_ = V::bytes_of(static_cast<uint8_t>(p.out_max));
  }

  __attribute__((always_inline)) void operator()(I acc[4], void* y) const {
    if (r_.output == QOutput::kUint8 || r_.output == QOutput::kInt8) {
      // vpack{ss,us} narrow within 128-bit lanes, as the unpacks widened: the bytes come out in channel order.
      const bool to_uint8 = r_.output == QOutput::kUint8;
      if (!saturating_) {
        const I q01 = V::packs32(rounded(acc[0], 0), rounded(acc[1], 1)), q23 = V::packs32(rounded(acc[2], 2), rounded(acc[3], 3));
        V::store_bytes(y, count_, to_uint8 ? V::packus16(q01, q23) : V::packs16(q01, q23));
        return;
      }
      // round(x) + zp clamped equals qs32-qx8-requantize's clamp-then-round; with round(x) an int32 (small
      // multipliers) the clamp can follow the narrowing: a value that saturates int16 (or does with zp added)
      // lies past either bound, as it would have unsaturated, and the narrowing to bytes saturates to the output
      // type's range, so only [out_min, out_max] narrower than it (a fused ReLU6 that cuts the range) takes a
      // clamp, on the bytes.
      const I q01 = V::adds16(V::packs32(round_only(acc[0], 0), round_only(acc[1], 1)), zp16_);
      const I q23 = V::adds16(V::packs32(round_only(acc[2], 2), round_only(acc[3], 3)), zp16_);
      I q = to_uint8 ? V::packus16(q01, q23) : V::packs16(q01, q23);
      if (!full_range_) q = to_uint8 ? V::clamp_u8(q, min8_, max8_) : V::clamp_s8(q, min8_, max8_);
      V::store_bytes(y, count_, q);
      return;
    }
    I v[4];
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; k++) {
      if (r_.output == QOutput::kInt32) {
        v[k] = acc[k];
      } else {
        // max_ps(fmin, x) / min_ps(fmax, x): as qs32-qx8-requantize's float clamp, operand for operand.
        v[k] = V::as_int(V::min(fmax_, V::max(fmin_, scaled(acc[k], k))));
      }
    }
    V::to_channel_order(v);
    constexpr std::size_t kLanes = kWidth / 4;
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; q++)
      V::store_dwords(static_cast<int32_t*>(y) + kLanes * q, count_ > kLanes * q ? count_ - kLanes * q : 0, v[q]);
  }

 private:
  // float(acc) * multiplier: one multiply, as qs32-qx8-requantize does.
  F scaled(I acc, std::size_t k) const { return V::mul(V::to_float(acc), V::as_float(mul_[k])); }

  // round half to even of float(acc) * m, for |m| < 1.
  I round_only(I acc, std::size_t k) const { return V::rounded(scaled(acc, k)); }

  // NaN -> +0, clamp to [out_min - zp, out_max - zp], round half to even, add zp: the clamped values fit the output type.
  I rounded(I acc, std::size_t k) const {
    F x = scaled(acc, k);
    if (!r_.finite_multipliers) x = V::nan_to_zero(x);
    return V::add32(V::rounded(V::min(hi_, V::max(lo_, x))), zp_);
  }

  const Qu8s8DwConv2dNhwcStackRow& r_;
  std::size_t count_;
  bool saturating_ = false;  // small multipliers and zp in [-255, 255]: clamp after narrowing to int16
  bool full_range_ = false;  // [out_min, out_max] is the output type's range: narrowing clamps
  I mul_[4] = {};
  F lo_ = {}, hi_ = {}, fmin_ = {}, fmax_ = {};
  I zp_ = {}, zp16_ = {}, min8_ = {}, max8_ = {};
};

// The bytes of one copy of a layer's packed weights: whole blocks of 64, and of 32 at the end.
inline std::size_t packed_bytes(std::size_t channels, std::size_t stacks, std::size_t kernel_w) {
  return (channels + 31) / 32 * 32 * stacks * kernel_w * 4;
}

// Channels [c, c + min(kWidth, channels - c)) of the row; kKw and kStacks are kernel_w and the stacks when known
// at compile time (3x3: 3, 1; 5x5: 5, 2), the weights then held in registers across the row; 0, 0: read from memory.
// kPair: a row pair, the second row into r.y_next.
template <std::size_t kWidth, std::size_t kKw, std::size_t kStacks, bool kPair>
void block(const Qu8s8DwConv2dNhwcStackRow& r, std::size_t c) {
  using V = Vec<kWidth>;
  using I = typename V::I;
  const std::size_t kw = kKw != 0 ? kKw : r.kernel_w, stacks = kStacks != 0 ? kStacks : r.stacks;
  const std::size_t count = r.channels - c < kWidth ? r.channels - c : kWidth;
  // Every channel before c took stacks * kw * 4 bytes, whatever its block's width.
  const I* weights = reinterpret_cast<const I*>(r.weights + c * stacks * kw * 4);
  constexpr std::size_t kHeld = kKw * kStacks * 4;
  I held[kHeld != 0 ? kHeld : 1];
#pragma GCC unroll 64
  for (std::size_t i = 0; i < kHeld; i++) held[i] = weights[i];
  I bias[4];
  load_block_order<kWidth>(r.bias + c, count, bias);
  const Stage<kWidth> stage(r, c, count);
  const std::size_t out_size = qgemm_output_size(r.output), y_step = r.channels * out_size;
  char* y = static_cast<char*>(r.y) + c * out_size;
  // The second row's weights (kPair): the copy packed shifted down one kernel row.
  const I* next_weights =
      kPair ? reinterpret_cast<const I*>(r.weights + packed_bytes(r.channels, stacks, kw) + c * stacks * kw * 4) : nullptr;
  char* y_next = kPair ? static_cast<char*>(r.y_next) + c * out_size : nullptr;
  if (kKw == 3 && kStacks == 1 && r.dilation_w == 1 && r.stride_w <= 2) {
    // A 3x3 at stride 1 or 2: the window's 3 interleaved columns stay in registers, each column interleaved once
    // as the window slides (at stride 2 the middle one is read by one window, the last is the next window's
    // first), no scratch row stored and reloaded. win[slot(p, j)] holds window column j at phase p.
    I win[3][4];
    const bool stride1 = r.stride_w == 1;
    const auto step = [&](auto stride, auto phase, std::size_t ow) __attribute__((always_inline)) {
      constexpr std::size_t s = decltype(stride)::value, p = decltype(phase)::value;
      constexpr auto slot = [](std::size_t j) -> std::size_t { return s == 1 ? (p + j) % 3 : j == 1 ? 1 : p == 0 ? j : 2 - j; };
      if (s == 2) interleave_column<kWidth>(r, r.rows, 2 * ow + 1, c, count, win[slot(1)]);
      interleave_column<kWidth>(r, r.rows, s * ow + 2, c, count, win[slot(2)]);
      I acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      I next[4] = {bias[0], bias[1], bias[2], bias[3]};
#pragma GCC unroll 3
      for (std::size_t j = 0; j < 3; j++)
#pragma GCC unroll 4
        for (std::size_t k = 0; k < 4; k++) {
          acc[k] = V::dot(acc[k], win[slot(j)][k], held[j * 4 + k]);
          if (kPair) next[k] = V::dot(next[k], win[slot(j)][k], next_weights[j * 4 + k]);
        }
      stage(acc, y + ow * y_step);
      if (kPair) stage(next, y_next + ow * y_step);
    };
    using S1 = std::integral_constant<std::size_t, 1>;
    using S2 = std::integral_constant<std::size_t, 2>;
    using P0 = std::integral_constant<std::size_t, 0>;
    using P1 = std::integral_constant<std::size_t, 1>;
    using P2 = std::integral_constant<std::size_t, 2>;
    interleave_column<kWidth>(r, r.rows, 0, c, count, win[0]);
    std::size_t ow = 0;
    if (stride1) {
      interleave_column<kWidth>(r, r.rows, 1, c, count, win[1]);
      for (; ow + 3 <= r.out_w; ow += 3) {
        step(S1(), P0(), ow);
        step(S1(), P1(), ow + 1);
        step(S1(), P2(), ow + 2);
      }
      if (ow < r.out_w) step(S1(), P0(), ow);
      if (ow + 1 < r.out_w) step(S1(), P1(), ow + 1);
    } else {
      for (; ow + 2 <= r.out_w; ow += 2) {
        step(S2(), P0(), ow);
        step(S2(), P1(), ow + 1);
      }
      if (ow < r.out_w) step(S2(), P0(), ow);
    }
    return;
  }
  // Otherwise each column the row reads is interleaved once per stack into the scratch row.
  I* columns = reinterpret_cast<I*>(r.columns);
  for (std::size_t g = 0; g < stacks; g++)
    for (std::size_t col = 0; col < r.span; col++) interleave_column<kWidth>(r, r.rows + 4 * g, col, c, count, columns + (g * r.span + col) * 4);
  for (std::size_t ow = 0; ow < r.out_w; ow++) {
    I acc[4] = {bias[0], bias[1], bias[2], bias[3]};
    I next[4] = {bias[0], bias[1], bias[2], bias[3]};
#pragma GCC unroll 4
    for (std::size_t g = 0; g < stacks; g++)
#pragma GCC unroll 8
      for (std::size_t j = 0; j < kw; j++) {
        const I* column = columns + (g * r.span + ow * r.stride_w + j * r.dilation_w) * 4;
#pragma GCC unroll 4
        for (std::size_t k = 0; k < 4; k++) {
          const std::size_t at = (g * kw + j) * 4 + k;
          acc[k] = V::dot(acc[k], column[k], kHeld != 0 ? held[at] : weights[at]);
          if (kPair) next[k] = V::dot(next[k], column[k], next_weights[at]);
        }
      }
    stage(acc, y + ow * y_step);
    if (kPair) stage(next, y_next + ow * y_step);
  }
}

// The width of the block at channel c: 64, or 32 for a last block of at most 32 channels.
inline std::size_t width_at(std::size_t channels, std::size_t c) { return channels - c > 32 ? 64 : 32; }

template <std::size_t kKw, std::size_t kStacks, bool kPair>
void blocks(const Qu8s8DwConv2dNhwcStackRow& r) {
  for (std::size_t c = 0; c < r.channels; c += 64) {
    if (width_at(r.channels, c) == 64) block<64, kKw, kStacks, kPair>(r, c);
    else block<32, kKw, kStacks, kPair>(r, c);
  }
}

template <bool kPair>
void by_kernel(const Qu8s8DwConv2dNhwcStackRow& r) {
  if (r.kernel_w == 3 && r.stacks == 1) blocks<3, 1, kPair>(r);
  else if (r.kernel_w == 5 && r.stacks == 2) blocks<5, 2, kPair>(r);
  else blocks<0, 0, kPair>(r);
}

}  // namespace

// Per block of 64 channels (or 32, the last when at most 32 are left), stack g, kernel column j and vector k: a
// vector of bytes, in 128-bit lane l and int32 lane m of it the 4 kernel rows' weights of channel 16l + 4k + m
// (zeros past the channels and kernel_h). Unless kernel_h is a multiple of 4 (the stacks then have no row to
// spare), a second copy follows for the second row of a pair: kernel row i where the first has row i + 1. Layers
// of at most 16 channels, which would leave half a block or more empty, run the AVX-512 row.
bool qu8s8_dwconv2d_nhwc_64c4_avx512vnni_pack(std::size_t channels, std::size_t kernel_h, std::size_t kernel_w, const int32_t* w,
                                              aligned_vector<uint8_t>* out) {
  if (channels <= 16) return false;
  const std::size_t taps = kernel_h * kernel_w;
  for (std::size_t i = 0; i < channels * taps; i++)
    if (w[i] < -128 || w[i] > 127) return false;
  const std::size_t stacks = (kernel_h + 3) / 4, per_channel = stacks * kernel_w * 4, copy = packed_bytes(channels, stacks, kernel_w);
  const bool pairs = kernel_h % 4 != 0;
  out->assign(pairs ? 2 * copy : copy, 0);
  for (std::size_t c0 = 0; c0 < channels; c0 += 64) {
    const std::size_t width = width_at(channels, c0);
    for (std::size_t c = c0; c < c0 + width && c < channels; c++) {
      const std::size_t l = (c - c0) / 16, k = (c - c0) % 16 / 4, m = c % 4;
      for (std::size_t i = 0; i < kernel_h; i++)
        for (std::size_t j = 0; j < kernel_w; j++) {
          const std::size_t vector = ((i / 4) * kernel_w + j) * 4 + k;
          const int8_t v = static_cast<int8_t>(w[(c * kernel_h + i) * kernel_w + j]);
          const std::size_t lanes = c0 * per_channel + (4 * l + m) * 4;
          (*out)[lanes + vector * width + i % 4] = static_cast<uint8_t>(v);
          const std::size_t shifted = (((i + 1) / 4) * kernel_w + j) * 4 + k;
          if (pairs) (*out)[copy + lanes + shifted * width + (i + 1) % 4] = static_cast<uint8_t>(v);
        }
    }
  }
  return true;
}

void qu8s8_dwconv2d_nhwc_64c4_avx512vnni(const Qu8s8DwConv2dNhwcStackRow& r) {
  if (r.y_next != nullptr) by_kernel<true>(r);
  else by_kernel<false>(r);
}

}  // namespace sparq
