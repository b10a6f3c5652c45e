// NEON qs32-qx8-requantize: 16 values per iteration, the tail through
// zero-padded buffers, all through the scalar variant's steps:
//   ADD (wrapping), SCVTF (round to nearest even, as static_cast<float>)
//   FMUL (one multiply; nothing follows it that GCC could fuse into an FMLA)
//   NaN -> +0 (AND with x == x), FMAX(lo, x), FMIN(hi, x)
//     (no NaN is left by then, so these equal the scalar selects)
//   FCVTNS (round half to even, as lrintf in the default rounding mode)
// so every element equals the scalar result bit for bit. Float output clamps
// with compare + select, not FMAX/FMIN: those return NaN for a NaN bound,
// where the scalar `fmin > x ? fmin : x` ignores it.
#include <arm_neon.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qs32-qx8-requantize.h"
#include "qs32-qx8-requantize-entries.h"

namespace sparq {
namespace {

// float(acc + bias) * multiplier for 4 elements at i. Per-element parameters
// (stride 1) are loaded, per-row ones (stride 0, or no bias) broadcast once;
// the choice is a template parameter so the loops carry no branches.
template <bool kBiasVec, bool kMulVec>
class Scaler {
 public:
  explicit Scaler(const RequantizeRow& p)
      : bias_(p.bias),
        mul_(p.multiplier),
        bias_b_(vdupq_n_s32(p.bias != nullptr ? p.bias[0] : 0)),
        mul_b_(vdupq_n_f32(p.multiplier[0])) {}

  // Reads bias and multipliers from other arrays (the tail's padded copies).
  Scaler(const Scaler& s, const int32_t* bias, const float* mul)
      : bias_(bias), mul_(mul), bias_b_(s.bias_b_), mul_b_(s.mul_b_) {}

  float32x4_t at(const int32_t* acc, std::size_t i) const {
    const int32x4_t b = kBiasVec ? vld1q_s32(bias_ + i) : bias_b_;
    const float32x4_t m = kMulVec ? vld1q_f32(mul_ + i) : mul_b_;
    return vmulq_f32(vcvtq_f32_s32(vaddq_s32(vld1q_s32(acc + i), b)), m);
  }

 private:
  const int32_t* bias_;
  const float* mul_;
  int32x4_t bias_b_;
  float32x4_t mul_b_;
};

// Float clamp to [out_min - zp, out_max - zp], round, add zp (see the header
// for why clamping first equals saturating after).
class Rounder {
 public:
  explicit Rounder(const RequantizeRow& p)
      : lo_(vdupq_n_f32(static_cast<float>(p.out_min - p.zero_point))),
        hi_(vdupq_n_f32(static_cast<float>(p.out_max - p.zero_point))),
        zp_(vdupq_n_s32(p.zero_point)) {}

  int16x4_t operator()(float32x4_t x) const {
    x = vreinterpretq_f32_u32(vandq_u32(vceqq_f32(x, x), vreinterpretq_u32_f32(x)));  // NaN -> +0
    x = vminq_f32(hi_, vmaxq_f32(lo_, x));
    // Within [out_min, out_max] already: the saturating narrow only packs.
    return vqmovn_s32(vaddq_s32(vcvtnq_s32_f32(x), zp_));
  }

 private:
  float32x4_t lo_, hi_;
  int32x4_t zp_;
};

// The 16 results from acc + i (and the parameters at i) to y.
template <bool kSigned, typename S>
inline void q8_16(const S& s, const Rounder& r, const int32_t* acc, std::size_t i, uint8_t* y) {
  const int16x8_t a = vcombine_s16(r(s.at(acc, i)), r(s.at(acc, i + 4)));
  const int16x8_t b = vcombine_s16(r(s.at(acc, i + 8)), r(s.at(acc, i + 12)));
  vst1q_u8(y, kSigned ? vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(a), vqmovn_s16(b)))
                      : vcombine_u8(vqmovun_s16(a), vqmovun_s16(b)));
}

// The last n - i < 16 elements, through zero-padded copies of acc and of the
// per-element parameters (padded lanes compute values that are never stored).
struct Tail {
  Tail(std::size_t n, std::size_t i, const int32_t* acc, const RequantizeRow& p, bool bias_vec, bool mul_vec) {
    const std::size_t count = n - i;
    std::memcpy(acc_, acc + i, count * sizeof(int32_t));
    if (bias_vec) std::memcpy(bias_, p.bias + i, count * sizeof(int32_t));
    if (mul_vec) std::memcpy(mul_, p.multiplier + i, count * sizeof(float));
  }
  int32_t acc_[16] = {};
  int32_t bias_[16] = {};
  float mul_[16] = {};
};

template <bool kBiasVec, bool kMulVec, bool kSigned>
void to_q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const Rounder r(p);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) q8_16<kSigned>(s, r, acc, i, y + i);
  if (i < n) {
    const Tail t(n, i, acc, p, kBiasVec, kMulVec);
    uint8_t out[16];
    q8_16<kSigned>(Scaler<kBiasVec, kMulVec>(s, t.bias_, t.mul_), r, t.acc_, 0, out);
    std::memcpy(y + i, out, n - i);
  }
}

template <bool kBiasVec, bool kMulVec>
void to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const float32x4_t fmin = vdupq_n_f32(p.fmin), fmax = vdupq_n_f32(p.fmax);
  auto clamp = [&](float32x4_t x) {
    x = vbslq_f32(vcgtq_f32(fmin, x), fmin, x);  // fmin > x ? fmin : x
    return vbslq_f32(vcltq_f32(fmax, x), fmax, x);  // fmax < x ? fmax : x
  };
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    vst1q_f32(y + i, clamp(s.at(acc, i)));
    vst1q_f32(y + i + 4, clamp(s.at(acc, i + 4)));
    vst1q_f32(y + i + 8, clamp(s.at(acc, i + 8)));
    vst1q_f32(y + i + 12, clamp(s.at(acc, i + 12)));
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, clamp(s.at(acc, i)));
  if (i < n) {
    const Tail t(n, i, acc, p, kBiasVec, kMulVec);
    float out[4];
    vst1q_f32(out, clamp(Scaler<kBiasVec, kMulVec>(s, t.bias_, t.mul_).at(t.acc_, 0)));
    std::memcpy(y + i, out, (n - i) * sizeof(float));
  }
}

// The vector loops, as requantize_entry_to_q8 / _to_float instantiate them.
struct Loops {
  template <bool kBiasVec, bool kMulVec, bool kSigned>
  static void q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y) { to_q8<kBiasVec, kMulVec, kSigned>(n, acc, p, y); }
  template <bool kBiasVec, bool kMulVec>
  static void f32(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y) { to_float<kBiasVec, kMulVec>(n, acc, p, y); }
};

}  // namespace

void qs32_qx8_requantize_neon_to_uint8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, false>(n, acc, p, out);
}

void qs32_qx8_requantize_neon_to_int8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, true>(n, acc, p, out);
}

void qs32_qx8_requantize_neon_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out) {
  requantize_entry_to_float<Loops>(n, acc, p, out);
}

}  // namespace sparq
