// AVX2 qs32-qx8-requantize: 32 values per iteration, then 8, then a masked
// tail, all through the same per-vector steps as the scalar variant:
//   cvtepi32_ps (round to nearest even, as static_cast<float>)
//   mul_ps      (one multiply; nothing follows it that GCC could fuse into an FMA)
//   NaN -> +0, max_ps(lo, x), min_ps(hi, x)   (the scalar selects, operand for operand)
//   cvtps_epi32 (round half to even under the default MXCSR, as lrintf)
// so every element equals the scalar result bit for bit.
//
// Everything here is file-local except the three entry points, so no AVX2
// code can be picked by the linker for a portable caller.
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qs32-qx8-requantize.h"
#include "qs32-qx8-requantize-entries.h"
#include "../common/qx8-pack-avx2.h"

namespace sparq {
namespace {

// Loads float(acc + bias) * multiplier for 8 elements. Per-element parameters
// (stride 1) are loaded, per-row ones (stride 0, or no bias) broadcast once;
// the choice is a template parameter so the loops carry no branches.
template <bool kBiasVec, bool kMulVec>
class Scaler {
 public:
  explicit Scaler(const RequantizeRow& p)
      : bias_(p.bias),
        mul_(p.multiplier),
        bias_b_(_mm256_set1_epi32(p.bias != nullptr ? p.bias[0] : 0)),
        mul_b_(_mm256_set1_ps(p.multiplier[0])) {}

  __m256 at(const int32_t* acc, std::size_t i) const {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    const __m256i b = kBiasVec ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias_ + i)) : bias_b_;
    const __m256 m = kMulVec ? _mm256_loadu_ps(mul_ + i) : mul_b_;
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(a, b)), m);
  }

  // The last n - i < 8 elements; masked-off lanes read nothing and are never stored.
  __m256 tail(const int32_t* acc, std::size_t i, __m256i mask) const {
    const __m256i a = _mm256_maskload_epi32(reinterpret_cast<const int*>(acc + i), mask);
    const __m256i b = kBiasVec ? _mm256_maskload_epi32(reinterpret_cast<const int*>(bias_ + i), mask) : bias_b_;
    const __m256 m = kMulVec ? _mm256_maskload_ps(mul_ + i, mask) : mul_b_;
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(a, b)), m);
  }

 private:
  const int32_t* bias_;
  const float* mul_;
  __m256i bias_b_;
  __m256 mul_b_;
};

inline __m256i tail_mask(std::size_t remaining) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(remaining)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Float clamp to [out_min - zp, out_max - zp], round, add zp (see the header
// for why clamping first equals saturating after).
class Rounder {
 public:
  explicit Rounder(const RequantizeRow& p)
      : lo_(_mm256_set1_ps(static_cast<float>(p.out_min - p.zero_point))),
        hi_(_mm256_set1_ps(static_cast<float>(p.out_max - p.zero_point))),
        zp_(_mm256_set1_epi32(p.zero_point)) {}

  __m256i operator()(__m256 x) const {
    x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q));  // NaN -> +0
    x = _mm256_max_ps(lo_, x);                               // lo > x ? lo : x
    x = _mm256_min_ps(hi_, x);                               // hi < x ? hi : x
    return _mm256_add_epi32(_mm256_cvtps_epi32(x), zp_);
  }

 private:
  __m256 lo_, hi_;
  __m256i zp_;
};

template <bool kBiasVec, bool kMulVec, bool kSigned>
void to_q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const Rounder r(p);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i q0 = r(s.at(acc, i));
    const __m256i q1 = r(s.at(acc, i + 8));
    const __m256i q2 = r(s.at(acc, i + 16));
    const __m256i q3 = r(s.at(acc, i + 24));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), pack32<kSigned>(q0, q1, q2, q3));
  }
  for (; i + 8 <= n; i += 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), pack8<kSigned>(r(s.at(acc, i))));
  }
  if (i < n) {
    uint8_t bytes[16];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), pack8<kSigned>(r(s.tail(acc, i, tail_mask(n - i)))));
    std::memcpy(y + i, bytes, n - i);
  }
}

template <bool kBiasVec, bool kMulVec>
void to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const __m256 fmin = _mm256_set1_ps(p.fmin);
  const __m256 fmax = _mm256_set1_ps(p.fmax);
  // max_ps(fmin, x) / min_ps(fmax, x) return x when either side is NaN, as
  // the scalar selects do.
  auto clamp = [&](__m256 x) { return _mm256_min_ps(fmax, _mm256_max_ps(fmin, x)); };
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm256_storeu_ps(y + i, clamp(s.at(acc, i)));
    _mm256_storeu_ps(y + i + 8, clamp(s.at(acc, i + 8)));
    _mm256_storeu_ps(y + i + 16, clamp(s.at(acc, i + 16)));
    _mm256_storeu_ps(y + i + 24, clamp(s.at(acc, i + 24)));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, clamp(s.at(acc, i)));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, mask, clamp(s.tail(acc, i, mask)));
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

void qs32_qx8_requantize_avx2_to_uint8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, false>(n, acc, p, out);
}

void qs32_qx8_requantize_avx2_to_int8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, true>(n, acc, p, out);
}

void qs32_qx8_requantize_avx2_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out) {
  requantize_entry_to_float<Loops>(n, acc, p, out);
}

}  // namespace sparq
