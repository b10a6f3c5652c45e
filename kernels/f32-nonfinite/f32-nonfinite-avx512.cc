// AVX-512 f32-nonfinite: acc = x * 0 + acc stays +0 for finite x and becomes
// NaN (for good) at the first Inf or NaN, one FMA per vector with the load
// folded in; four accumulators cover the FMA latency. The tail is one masked
// vector.
#include <immintrin.h>

#include "f32-nonfinite.h"

namespace sparq {

bool f32_nonfinite_avx512(std::size_t n, const float* x, float* copy) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
    if (copy != nullptr) {
      _mm512_storeu_ps(copy + i, v0), _mm512_storeu_ps(copy + i + 16, v1);
      _mm512_storeu_ps(copy + i + 32, v2), _mm512_storeu_ps(copy + i + 48, v3);
    }
    a0 = _mm512_fmadd_ps(v0, zero, a0), a1 = _mm512_fmadd_ps(v1, zero, a1);
    a2 = _mm512_fmadd_ps(v2, zero, a2), a3 = _mm512_fmadd_ps(v3, zero, a3);
  }
  for (; i < n; i += 16) {
    const __mmask16 lanes = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);
    if (copy != nullptr) _mm512_mask_storeu_ps(copy + i, lanes, v);
    a0 = _mm512_fmadd_ps(v, zero, a0);
  }
  const __m512 acc = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
  return _mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q) != 0;
}

}  // namespace sparq
