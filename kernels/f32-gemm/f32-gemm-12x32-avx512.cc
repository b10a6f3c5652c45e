// AVX-512 f32-gemm microkernel, 12 rows x 32 columns: two adjacent 16-column
// panels per call, one zmm each.
//
// Register layout (32 zmm):
//   c[r][0], c[r][1]  r = 0..11  accumulators: row r, panel 0 and panel 1 (24 regs)
//   b[0], b[1]                   the 32 panel values of the current k     (2 regs)
//   a                            A[r][k], broadcast from memory once and   (1 reg)
//                                shared by the row's two FMAs
// Per k: 2 B loads + 12 broadcasts feed 24 FMAs. Two 512-bit FMA ports make
// that 12 cycles per k, 24 independent chains cover the 4-cycle FMA latency
// three times over, and the 14 loads fit in the load ports beside them.
// (Embedded-broadcast FMAs would load A[r][k] twice per row; GCC keeps the
// shared broadcast, which is fewer loads for the same uop count.)
//
// The loop is a template over rows and panels, instantiated for every mr in
// 1..12 and for one or two panels: a short strip (mr < 12) or a single-panel
// call (nr <= 16, the last panel of an odd count) computes only its own rows
// and panels, not a full tile. Columns past nr are masked on every C and bias
// access, and a single-panel call never reads the (absent) second panel.
//
// A single row (mr == 1, GEMV-like calls) is bound by reading B from memory:
// it keeps four partial sums per zmm to break the FMA chain and prefetches
// both panel streams far ahead.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <cstdint>
#include <utility>

#include "f32-gemm.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 12;
constexpr std::size_t kNr = 2 * kF32GemmNr;

// Software prefetch of each panel, in floats ahead of the current k. A single
// row streams B from memory, and prefetching 16 KiB ahead into L2 keeps more
// misses in flight than the hardware prefetchers do alone. The tile loop reads
// B from L2 and only needs it in L1 a little ahead: 16 values of k.
constexpr std::size_t kGemvPrefetch = 4096;
constexpr std::size_t kPrefetch = 256;

// One call's operands; V is the number of panels (zmm per row) it covers.
struct Operands {
  std::size_t kc;
  const float* a;
  std::size_t lda;
  const float* b[2];  // b[1] only read when V == 2
  float* c;
  std::size_t ldc;
  __mmask16 mask[2];  // columns below nr, per panel
  bool accumulate, last;
  const float* bias;
  float min, max;
};

// max(vmin, x) and min(vmax, x) return x when x is NaN, so NaN passes through.
// Written as all-lanes masked ops, which compile to the same vmaxps/vminps:
// GCC 12 warns on _mm512_max_ps/_mm512_min_ps (their undefined pass-through
// operand trips -Wmaybe-uninitialized, GCC bug 105593).
__m512 clamp(__m512 x, __m512 vmin, __m512 vmax) {
  const __mmask16 all = 0xFFFF;
  return _mm512_maskz_min_ps(all, vmax, _mm512_maskz_max_ps(all, vmin, x));
}

// The accumulators' first value for panel v: the bias when the call covers
// the whole K (not accumulating, last) and has one, which saves the adds at
// the end (24 per 12 x 32 tile, 5% of its FP work at K = 16, where
// MobileNetV2's first 1x1 GEMM ran 7% faster); zero otherwise.
__m512 start(const Operands& o, std::size_t v) {
  return o.last && !o.accumulate && o.bias != nullptr ? _mm512_maskz_loadu_ps(o.mask[v], o.bias + v * 16)
                                                      : _mm512_setzero_ps();
}

// Adds C (accumulate), bias (last, unless start() began with it) and the
// clamp (last), then stores the R x V tile.
template <std::size_t R, std::size_t V>
void finish(const Operands& o, __m512 (&acc)[R][V]) {
  if (o.accumulate) {
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v)
        acc[r][v] = _mm512_add_ps(_mm512_maskz_loadu_ps(o.mask[v], o.c + r * o.ldc + v * 16), acc[r][v]);
  }
  if (o.last) {
    if (o.bias != nullptr && o.accumulate) {
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v) {
        const __m512 bias = _mm512_maskz_loadu_ps(o.mask[v], o.bias + v * 16);
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) acc[r][v] = _mm512_add_ps(acc[r][v], bias);
      }
    }
    // Clamping to [-inf, inf] changes nothing (NaN included) but costs 2 ops
    // per register on the FMA ports: a tenth of the tile at K = 27.
    if (o.min > -INFINITY || o.max < INFINITY) {
      const __m512 vmin = _mm512_set1_ps(o.min), vmax = _mm512_set1_ps(o.max);
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = clamp(acc[r][v], vmin, vmax);
    }
  }
  // Full panels take plain stores: a masked store to a line that is not in
  // cache is slow on some cores even with every lane set (MobileNetV2's
  // 50176 x 24 x 144 GEMM at batch 16, C 29 MB: 21.6 ms masked, 2.2 plain).
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; ++v) {
    if (o.mask[v] == 0xFFFF) {
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) _mm512_storeu_ps(o.c + r * o.ldc + v * 16, acc[r][v]);
    } else {
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) _mm512_mask_storeu_ps(o.c + r * o.ldc + v * 16, o.mask[v], acc[r][v]);
    }
  }
}

template <std::size_t V>
void gemv(const Operands& o) {
  // s[j][v] sums k = j mod 4.
  __m512 s[4][V];
#pragma GCC unroll 4
  for (std::size_t j = 0; j < 4; ++j)
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v) s[j][v] = j == 0 ? start(o, v) : _mm512_setzero_ps();
  std::size_t k = 0;
  for (; k + 4 <= o.kc; k += 4) {
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v) {
      const char* ahead = reinterpret_cast<const char*>(o.b[v] + k * 16 + kGemvPrefetch);
      _mm_prefetch(ahead, _MM_HINT_T1);
      _mm_prefetch(ahead + 64, _MM_HINT_T1);
      _mm_prefetch(ahead + 128, _MM_HINT_T1);
      _mm_prefetch(ahead + 192, _MM_HINT_T1);
    }
#pragma GCC unroll 4
    for (std::size_t j = 0; j < 4; ++j) {
      const __m512 av = _mm512_set1_ps(o.a[k + j]);
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v)
        s[j][v] = _mm512_fmadd_ps(av, _mm512_loadu_ps(o.b[v] + (k + j) * 16), s[j][v]);
    }
  }
  for (; k < o.kc; ++k) {
    const __m512 av = _mm512_set1_ps(o.a[k]);
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v) s[0][v] = _mm512_fmadd_ps(av, _mm512_loadu_ps(o.b[v] + k * 16), s[0][v]);
  }
  __m512 acc[1][V];
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; ++v)
    acc[0][v] = _mm512_add_ps(_mm512_add_ps(s[0][v], s[1][v]), _mm512_add_ps(s[2][v], s[3][v]));
  finish<1, V>(o, acc);
}

template <std::size_t R, std::size_t V>
void tile(const Operands& o) {
  if constexpr (R == 1) {
    gemv<V>(o);
  } else {
    __m512 acc[R][V];
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v) {
      const __m512 first = start(o, v);
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) acc[r][v] = first;
    }
    // Rows are reached from one pointer per group of three, as [p], [p + lda]
    // and [p + 2 lda] with lda and 2 lda in two registers: four pointer bumps
    // per k. One pointer per row would spill (12 rows + 2 panels > 15
    // registers), and one pointer plus r * lda costs an add per row.
    constexpr std::size_t kGroups = (R + 2) / 3;
    const std::size_t lda = o.lda;
    const float* group[kGroups];
#pragma GCC unroll 8
    for (std::size_t g = 0; g < kGroups; ++g) group[g] = o.a + 3 * g * lda;
    const float* b[V];
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v) b[v] = o.b[v];
    for (std::size_t k = 0; k < o.kc; ++k) {
      __m512 bk[V];
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v) {
        _mm_prefetch(reinterpret_cast<const char*>(b[v] + kPrefetch), _MM_HINT_T0);
        bk[v] = _mm512_loadu_ps(b[v]);
        b[v] += 16;
      }
#pragma GCC unroll 16
      for (std::size_t r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(group[r / 3][(r % 3) * lda]);
#pragma GCC unroll 2
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(av, bk[v], acc[r][v]);
      }
#pragma GCC unroll 8
      for (std::size_t g = 0; g < kGroups; ++g) ++group[g];
    }
    finish<R, V>(o, acc);
  }
}

// Calls tile<mr, panels>: one entry per row count, for one panel or two.
template <std::size_t... I>
void dispatch(std::index_sequence<I...>, std::size_t mr, std::size_t panels, const Operands& o) {
  using TileFn = void (*)(const Operands&);
  static constexpr TileFn kOnePanel[] = {&tile<I + 1, 1>...};
  static constexpr TileFn kTwoPanels[] = {&tile<I + 1, 2>...};
  (panels == 2 ? kTwoPanels : kOnePanel)[mr - 1](o);
}

}  // namespace

void f32_gemm_12x32_avx512(std::size_t mr, std::size_t nr, std::size_t kc, const float* a, std::size_t lda,
                           const float* panel, std::size_t panel_stride, float* c, std::size_t ldc,
                           bool accumulate, bool last, const float* bias, float min, float max) {
  assert(mr >= 1 && mr <= kMr);
  assert(nr >= 1 && nr <= kNr);
  const std::size_t panels = nr > kF32GemmNr ? 2 : 1;
  const std::size_t tail = nr - (panels - 1) * kF32GemmNr;  // columns in the last panel, 1..16
  Operands o;
  o.kc = kc, o.a = a, o.lda = lda, o.c = c, o.ldc = ldc;
  o.b[0] = panel, o.b[1] = panels == 2 ? panel + panel_stride : nullptr;
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1);
  o.mask[0] = panels == 2 ? static_cast<__mmask16>(0xFFFF) : tail_mask;
  o.mask[1] = tail_mask;
  o.accumulate = accumulate, o.last = last, o.bias = bias, o.min = min, o.max = max;
  dispatch(std::make_index_sequence<kMr>(), mr, panels, o);
}

}  // namespace sparq
