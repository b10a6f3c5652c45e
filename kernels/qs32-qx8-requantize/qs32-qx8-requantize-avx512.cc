// AVX-512 qs32-qx8-requantize: 64 values per iteration, then 16, then a
// masked tail (AVX-512 masks load and store only the live lanes), all through
// the per-vector steps of the AVX2 and scalar variants:
//   cvtepi32_ps (round to nearest even, as static_cast<float>)
//   mul_ps      (one multiply; nothing follows it that GCC could fuse into an FMA)
//   NaN -> +0, max_ps(lo, x), min_ps(hi, x)   (the scalar selects, operand for operand)
//   cvtps_epi32 (round half to even under the default MXCSR, as lrintf)
// so every element equals the scalar result bit for bit. The clamped int32
// values lie in the output type's range, so vpmovdb's truncation to bytes is
// exact for uint8 and int8 alike.
//
// max/min and the conversions are the all-lanes masked forms: GCC 12 warns on
// the unmasked ones (bug 105593). Everything here is file-local except the
// three entry points.
#include <immintrin.h>

#include <cassert>
#include <cstdint>

#include "qs32-qx8-requantize.h"
#include "qs32-qx8-requantize-entries.h"

namespace sparq {
namespace {

constexpr __mmask16 kAll = 0xFFFF;

inline __mmask16 first(std::size_t n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1); }

// float(acc + bias) * multiplier for 16 elements (`live` of them loaded; the
// rest read nothing). Per-element parameters (stride 1) are loaded, per-row
// ones (stride 0, or no bias) broadcast once; the choice is a template
// parameter so the loops carry no branches.
template <bool kBiasVec, bool kMulVec>
class Scaler {
 public:
  explicit Scaler(const RequantizeRow& p)
      : bias_(p.bias),
        mul_(p.multiplier),
        bias_b_(_mm512_set1_epi32(p.bias != nullptr ? p.bias[0] : 0)),
        mul_b_(_mm512_set1_ps(p.multiplier[0])) {}

  __m512 at(const int32_t* acc, std::size_t i, __mmask16 live = kAll) const {
    const __m512i a = _mm512_maskz_loadu_epi32(live, acc + i);
    const __m512i b = kBiasVec ? _mm512_maskz_loadu_epi32(live, bias_ + i) : bias_b_;
    const __m512 m = kMulVec ? _mm512_maskz_loadu_ps(live, mul_ + i) : mul_b_;
    return _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, _mm512_add_epi32(a, b)), m);
  }

 private:
  const int32_t* bias_;
  const float* mul_;
  __m512i bias_b_;
  __m512 mul_b_;
};

// Float clamp to [out_min - zp, out_max - zp], round, add zp (see the header
// for why clamping first equals saturating after).
class Rounder {
 public:
  explicit Rounder(const RequantizeRow& p)
      : lo_(_mm512_set1_ps(static_cast<float>(p.out_min - p.zero_point))),
        hi_(_mm512_set1_ps(static_cast<float>(p.out_max - p.zero_point))),
        zp_(_mm512_set1_epi32(p.zero_point)) {}

  __m128i operator()(__m512 x) const {
    x = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, x, _CMP_ORD_Q), x);  // NaN -> +0
    x = _mm512_maskz_max_ps(kAll, lo_, x);                               // lo > x ? lo : x
    x = _mm512_maskz_min_ps(kAll, hi_, x);                               // hi < x ? hi : x
    return _mm512_maskz_cvtepi32_epi8(kAll, _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, x), zp_));
  }

 private:
  __m512 lo_, hi_;
  __m512i zp_;
};

template <bool kBiasVec, bool kMulVec>
void to_q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const Rounder r(p);
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m128i q0 = r(s.at(acc, i)), q1 = r(s.at(acc, i + 16));
    const __m128i q2 = r(s.at(acc, i + 32)), q3 = r(s.at(acc, i + 48));
    __m512i q = _mm512_castsi128_si512(q0);
    q = _mm512_inserti32x4(q, q1, 1);
    q = _mm512_inserti32x4(q, q2, 2);
    q = _mm512_inserti32x4(q, q3, 3);
    _mm512_storeu_si512(y + i, q);
  }
  for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), r(s.at(acc, i)));
  if (i < n) {
    const __mmask16 live = first(n - i);
    _mm_mask_storeu_epi8(y + i, live, r(s.at(acc, i, live)));
  }
}

template <bool kBiasVec, bool kMulVec>
void to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y) {
  const Scaler<kBiasVec, kMulVec> s(p);
  const __m512 fmin = _mm512_set1_ps(p.fmin);
  const __m512 fmax = _mm512_set1_ps(p.fmax);
  // max_ps(fmin, x) / min_ps(fmax, x) return x when either side is NaN, as
  // the scalar selects do.
  auto clamp = [&](__m512 x) { return _mm512_maskz_min_ps(kAll, fmax, _mm512_maskz_max_ps(kAll, fmin, x)); };
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    _mm512_storeu_ps(y + i, clamp(s.at(acc, i)));
    _mm512_storeu_ps(y + i + 16, clamp(s.at(acc, i + 16)));
    _mm512_storeu_ps(y + i + 32, clamp(s.at(acc, i + 32)));
    _mm512_storeu_ps(y + i + 48, clamp(s.at(acc, i + 48)));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, clamp(s.at(acc, i)));
  if (i < n) {
    const __mmask16 live = first(n - i);
    _mm512_mask_storeu_ps(y + i, live, clamp(s.at(acc, i, live)));
  }
}

// The vector loops, as requantize_entry_to_q8 / _to_float instantiate them.
struct Loops {
  template <bool kBiasVec, bool kMulVec, bool kSigned>
  static void q8(std::size_t n, const int32_t* acc, const RequantizeRow& p, uint8_t* y) { to_q8<kBiasVec, kMulVec>(n, acc, p, y); }
  template <bool kBiasVec, bool kMulVec>
  static void f32(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* y) { to_float<kBiasVec, kMulVec>(n, acc, p, y); }
};

}  // namespace

void qs32_qx8_requantize_avx512_to_uint8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, false>(n, acc, p, out);
}

void qs32_qx8_requantize_avx512_to_int8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out) {
  requantize_entry_to_q8<Loops, true>(n, acc, p, out);
}

void qs32_qx8_requantize_avx512_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out) {
  requantize_entry_to_float<Loops>(n, acc, p, out);
}

}  // namespace sparq
