// AVX2 + FMA f32-gemm microkernel, 6 rows x 16 columns.
//
// Register layout (16 ymm):
//   c[r][0], c[r][1]  r = 0..5   accumulators: row r, columns 0-7 and 8-15 (12 regs)
//   b0, b1                       the 16 panel values of the current k       (2 regs)
//   av                           A[r][k] broadcast                          (1 reg)
// Per k: 2 B loads + 6 broadcasts feed 12 FMAs. Two FMA ports make that 6
// cycles per k, and 12 independent chains cover the 4-cycle FMA latency twice
// over, so the loop runs at the FMA limit while the loads fit beside it.
//
// Rows past mr alias row mr - 1 (same A row, same C row): the duplicate rows
// compute and store exactly the values of row mr - 1, so the full tile always
// runs. Columns past nr are masked on every C and bias access.
//
// A single row (mr == 1, GEMV-like calls) takes its own loop: it is bound by
// reading B from memory, and the 6-row loop would spend 6 cycles per k on
// aliased rows where 1 suffices.
#include <immintrin.h>

#include <cassert>
#include <cstdint>

#include "f32-gemm.h"

namespace sparq {
namespace {

// Software prefetch of the panel, in floats ahead of the current k. A single
// row streams B from memory: prefetching 16 KiB ahead into L2 keeps more
// misses in flight than the hardware prefetchers do alone (L2 has more miss
// slots than L1). The 6-row loop reads B from L2 and only needs it in L1 a
// little ahead: 256 floats is 16 values of k.
constexpr std::size_t kGemvPrefetch = 4096;
constexpr std::size_t kPrefetch = 256;

// Lane j of the load at kMaskTable + 16 - nr (+ 8 for the high half) is set
// iff column j (8 + j) is below nr.
alignas(64) const int32_t kMaskTable[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                            0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};

// The columns of one C row (or bias) in two halves, masked past nr. Stores
// take the mask only for a half that is neither full nor empty: vmaskmovps
// to memory is microcoded on AMD cores, and a 24-column C (MobileNets) would
// pay it on every row of its last panel for a half written whole and one not
// written at all.
struct Columns {
  bool full, low_full;
  std::size_t nr;
  __m256i mask0, mask1;

  explicit Columns(std::size_t nr)
      : full(nr == kF32GemmNr),
        low_full(nr >= 8),
        nr(nr),
        mask0(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 16 - nr))),
        mask1(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 24 - nr))) {}

  __m256 load0(const float* p) const { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask0); }
  __m256 load1(const float* p) const { return full ? _mm256_loadu_ps(p + 8) : _mm256_maskload_ps(p + 8, mask1); }
  void store(float* p, __m256 lo, __m256 hi) const {
    if (full) {
      _mm256_storeu_ps(p, lo);
      _mm256_storeu_ps(p + 8, hi);
    } else if (!low_full) {
      _mm256_maskstore_ps(p, mask0, lo);
    } else {
      _mm256_storeu_ps(p, lo);
      if (nr > 8) _mm256_maskstore_ps(p + 8, mask1, hi);
    }
  }
};

// max(vmin, x) and min(vmax, x) return x when x is NaN, so NaN passes through.
__m256 clamp(__m256 x, __m256 vmin, __m256 vmax) { return _mm256_min_ps(vmax, _mm256_max_ps(vmin, x)); }

void gemv_1x16(const Columns& cols, std::size_t kc, const float* a, const float* panel, float* c, bool accumulate,
               bool last, const float* bias, float min, float max) {
  // Four partial sums per half over k mod 4 break the FMA latency chain.
  __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
  std::size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    const float* b = panel + k * 16;
    _mm_prefetch(reinterpret_cast<const char*>(b + kGemvPrefetch), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(b + kGemvPrefetch + 16), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(b + kGemvPrefetch + 32), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(b + kGemvPrefetch + 48), _MM_HINT_T1);
    __m256 av = _mm256_broadcast_ss(a + k);
    s00 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b), s00);
    s01 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 8), s01);
    av = _mm256_broadcast_ss(a + k + 1);
    s10 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 16), s10);
    s11 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 24), s11);
    av = _mm256_broadcast_ss(a + k + 2);
    s20 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 32), s20);
    s21 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 40), s21);
    av = _mm256_broadcast_ss(a + k + 3);
    s30 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 48), s30);
    s31 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + 56), s31);
  }
  for (; k < kc; ++k) {
    const __m256 av = _mm256_broadcast_ss(a + k);
    s00 = _mm256_fmadd_ps(av, _mm256_loadu_ps(panel + k * 16), s00);
    s01 = _mm256_fmadd_ps(av, _mm256_loadu_ps(panel + k * 16 + 8), s01);
  }
  __m256 c0 = _mm256_add_ps(_mm256_add_ps(s00, s10), _mm256_add_ps(s20, s30));
  __m256 c1 = _mm256_add_ps(_mm256_add_ps(s01, s11), _mm256_add_ps(s21, s31));
  if (accumulate) c0 = _mm256_add_ps(cols.load0(c), c0), c1 = _mm256_add_ps(cols.load1(c), c1);
  if (last) {
    if (bias != nullptr) c0 = _mm256_add_ps(c0, cols.load0(bias)), c1 = _mm256_add_ps(c1, cols.load1(bias));
    const __m256 vmin = _mm256_set1_ps(min), vmax = _mm256_set1_ps(max);
    c0 = clamp(c0, vmin, vmax), c1 = clamp(c1, vmin, vmax);
  }
  cols.store(c, c0, c1);
}

// The 6-row tile. kLowHalf (nr <= 8, the last panel of N = 24, 40, 72):
// only columns 0-7 are computed, 6 FMAs per k instead of 12 of which 6
// would fill lanes never stored.
template <bool kLowHalf>
void tile_6x16(const Columns& cols, std::size_t mr, std::size_t kc, const float* a, std::size_t lda, const float* panel,
               float* c, std::size_t ldc, bool accumulate, bool last, const float* bias, float min, float max) {
  const float* a0 = a;
  const float* a1 = a0 + lda;
  const float* a2 = mr > 2 ? a1 + lda : a1;
  const float* a3 = mr > 3 ? a2 + lda : a2;
  const float* a4 = mr > 4 ? a3 + lda : a3;
  const float* a5 = mr > 5 ? a4 + lda : a4;
  float* c0 = c;
  float* c1 = c0 + ldc;
  float* c2 = mr > 2 ? c1 + ldc : c1;
  float* c3 = mr > 3 ? c2 + ldc : c2;
  float* c4 = mr > 4 ? c3 + ldc : c3;
  float* c5 = mr > 5 ? c4 + ldc : c4;

  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (accumulate) {
    c00 = cols.load0(c0), c01 = cols.load1(c0);
    c10 = cols.load0(c1), c11 = cols.load1(c1);
    c20 = cols.load0(c2), c21 = cols.load1(c2);
    c30 = cols.load0(c3), c31 = cols.load1(c3);
    c40 = cols.load0(c4), c41 = cols.load1(c4);
    c50 = cols.load0(c5), c51 = cols.load1(c5);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  }

  for (std::size_t k = 0; k < kc; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(panel + k * 16 + kPrefetch), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(panel + k * 16);
    const __m256 b1 = kLowHalf ? _mm256_setzero_ps() : _mm256_loadu_ps(panel + k * 16 + 8);
    __m256 av = _mm256_broadcast_ss(a0 + k);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    if (!kLowHalf) c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a1 + k);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    if (!kLowHalf) c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a2 + k);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    if (!kLowHalf) c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a3 + k);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    if (!kLowHalf) c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a4 + k);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    if (!kLowHalf) c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a5 + k);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    if (!kLowHalf) c51 = _mm256_fmadd_ps(av, b1, c51);
  }

  if (last) {
    if (bias != nullptr) {
      const __m256 bias0 = cols.load0(bias), bias1 = kLowHalf ? _mm256_setzero_ps() : cols.load1(bias);
      c00 = _mm256_add_ps(c00, bias0), c01 = _mm256_add_ps(c01, bias1);
      c10 = _mm256_add_ps(c10, bias0), c11 = _mm256_add_ps(c11, bias1);
      c20 = _mm256_add_ps(c20, bias0), c21 = _mm256_add_ps(c21, bias1);
      c30 = _mm256_add_ps(c30, bias0), c31 = _mm256_add_ps(c31, bias1);
      c40 = _mm256_add_ps(c40, bias0), c41 = _mm256_add_ps(c41, bias1);
      c50 = _mm256_add_ps(c50, bias0), c51 = _mm256_add_ps(c51, bias1);
    }
    const __m256 vmin = _mm256_set1_ps(min), vmax = _mm256_set1_ps(max);
    c00 = clamp(c00, vmin, vmax), c01 = clamp(c01, vmin, vmax), c10 = clamp(c10, vmin, vmax);
    c11 = clamp(c11, vmin, vmax), c20 = clamp(c20, vmin, vmax), c21 = clamp(c21, vmin, vmax);
    c30 = clamp(c30, vmin, vmax), c31 = clamp(c31, vmin, vmax), c40 = clamp(c40, vmin, vmax);
    c41 = clamp(c41, vmin, vmax), c50 = clamp(c50, vmin, vmax), c51 = clamp(c51, vmin, vmax);
  }

  cols.store(c5, c50, c51);
  cols.store(c4, c40, c41);
  cols.store(c3, c30, c31);
  cols.store(c2, c20, c21);
  cols.store(c1, c10, c11);
  cols.store(c0, c00, c01);
}

}  // namespace

// A 16-column variant reads a single panel, so it never needs panel_stride.
void f32_gemm_6x16_avx2(std::size_t mr, std::size_t nr, std::size_t kc, const float* a, std::size_t lda,
                        const float* panel, std::size_t /*panel_stride*/, float* c, std::size_t ldc,
                        bool accumulate, bool last, const float* bias, float min, float max) {
  assert(mr >= 1 && mr <= 6);
  assert(nr >= 1 && nr <= kF32GemmNr);
  const Columns cols(nr);
  if (mr == 1) return gemv_1x16(cols, kc, a, panel, c, accumulate, last, bias, min, max);
  if (nr <= 8) return tile_6x16<true>(cols, mr, kc, a, lda, panel, c, ldc, accumulate, last, bias, min, max);
  tile_6x16<false>(cols, mr, kc, a, lda, panel, c, ldc, accumulate, last, bias, min, max);
}

}  // namespace sparq
