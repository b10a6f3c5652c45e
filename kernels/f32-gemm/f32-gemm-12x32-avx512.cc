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

// A second panel of at most 8 columns (N = 24, 88: the MobileNets' narrow
// layers) would fill half of each zmm it takes, one FMA per row. Instead
// rows pair up in it: lanes 0-7 hold row 2p's columns, lanes 8-15 row
// 2p+1's, against the panel's 8 columns loaded into both halves, so the
// tile costs 1.5 FMAs per row and k, not 2 (12 x 24 at K = 96: ~75 -> ~95
// G FMA/s). The pair's A value is row 2p's broadcast with row 2p+1's
// blended into the high half. An odd last row pairs with itself, its high
// half never stored. (A lone panel of <= 8 columns gains nothing so: its 6
// pair chains per k wait on the FMA latency.)
//
// Columns [0, tail) of two C rows (or the bias twice) as one pair. Masked
// zmm loads and a block shuffle: GCC 12 warns on a ymm insert's undefined
// upper half, as on max/min above.
__m512 load_pair(__mmask8 mask, const float* lo, const float* hi) {
  return _mm512_maskz_shuffle_f32x4(0xFFFF, _mm512_maskz_loadu_ps(mask, lo), _mm512_maskz_loadu_ps(mask, hi), 0x44);
}

void store_pair(__mmask8 mask, float* lo, float* hi, bool has_hi, __m512 v) {
  if (mask == 0xFF) {
    _mm256_storeu_ps(lo, _mm512_maskz_extractf32x8_ps(0xFF, v, 0));
    if (has_hi) _mm256_storeu_ps(hi, _mm512_maskz_extractf32x8_ps(0xFF, v, 1));
  } else {
    _mm256_mask_storeu_ps(lo, mask, _mm512_maskz_extractf32x8_ps(0xFF, v, 0));
    if (has_hi) _mm256_mask_storeu_ps(hi, mask, _mm512_maskz_extractf32x8_ps(0xFF, v, 1));
  }
}

template <std::size_t R>
void paired_tile(const Operands& o) {
  constexpr std::size_t P = (R + 1) / 2;
  const __mmask8 tail = static_cast<__mmask8>(o.mask[1]);  // the second panel's columns
  const std::size_t lda = o.lda, ldc = o.ldc;
  const float* tail_bias = o.bias != nullptr ? o.bias + 16 : nullptr;
  __m512 acc[R][1];
  __m512 pair[P];
  {
    const __m512 first = start(o, 0);
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) acc[r][0] = first;
    const bool bias_first = o.last && !o.accumulate && o.bias != nullptr;
    const __m512 pair_first = bias_first ? load_pair(tail, tail_bias, tail_bias) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (std::size_t p = 0; p < P; ++p) pair[p] = pair_first;
  }
  constexpr std::size_t kGroups = (R + 2) / 3;
  const float* group[kGroups];
#pragma GCC unroll 8
  for (std::size_t g = 0; g < kGroups; ++g) group[g] = o.a + 3 * g * lda;
  const float* b_full = o.b[0];
  const float* b_tail = o.b[1];
  for (std::size_t k = 0; k < o.kc; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(b_full + kPrefetch), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b_tail + kPrefetch), _MM_HINT_T0);
    const __m512 bk = _mm512_loadu_ps(b_full);
    const __m512 bt = _mm512_maskz_broadcast_f32x8(0xFFFF, _mm256_loadu_ps(b_tail));
    b_full += 16;
    b_tail += 16;
    __m512 av[R];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
      av[r] = _mm512_set1_ps(group[r / 3][(r % 3) * lda]);
      acc[r][0] = _mm512_fmadd_ps(av[r], bk, acc[r][0]);
    }
#pragma GCC unroll 8
    for (std::size_t p = 0; p < P; ++p) {
      const __m512 ap = 2 * p + 1 < R ? _mm512_mask_mov_ps(av[2 * p], 0xFF00, av[2 * p + 1]) : av[2 * p];
      pair[p] = _mm512_fmadd_ps(ap, bt, pair[p]);
    }
#pragma GCC unroll 8
    for (std::size_t g = 0; g < kGroups; ++g) ++group[g];
  }
  float* tail_c = o.c + 16;
  if (o.accumulate) {
#pragma GCC unroll 8
    for (std::size_t p = 0; p < P; ++p) {
      const std::size_t hi = 2 * p + 1 < R ? 2 * p + 1 : 2 * p;
      pair[p] = _mm512_add_ps(load_pair(tail, tail_c + 2 * p * ldc, tail_c + hi * ldc), pair[p]);
    }
  }
  if (o.last) {
    if (o.bias != nullptr && o.accumulate) {
      const __m512 bias = load_pair(tail, tail_bias, tail_bias);
#pragma GCC unroll 8
      for (std::size_t p = 0; p < P; ++p) pair[p] = _mm512_add_ps(pair[p], bias);
    }
    if (o.min > -INFINITY || o.max < INFINITY) {
      const __m512 vmin = _mm512_set1_ps(o.min), vmax = _mm512_set1_ps(o.max);
#pragma GCC unroll 8
      for (std::size_t p = 0; p < P; ++p) pair[p] = clamp(pair[p], vmin, vmax);
    }
  }
#pragma GCC unroll 8
  for (std::size_t p = 0; p < P; ++p)
    store_pair(tail, tail_c + 2 * p * ldc, tail_c + (2 * p + 1) * ldc, 2 * p + 1 < R, pair[p]);
  finish<R, 1>(o, acc);
}

// Calls tile<mr, panels>, or paired_tile<mr> (paired: two panels, the second
// of at most 8 columns): one entry per row count.
template <std::size_t... I>
void dispatch(std::index_sequence<I...>, std::size_t mr, std::size_t panels, bool paired, const Operands& o) {
  using TileFn = void (*)(const Operands&);
  static constexpr TileFn kOnePanel[] = {&tile<I + 1, 1>...};
  static constexpr TileFn kTwoPanels[] = {&tile<I + 1, 2>...};
  // From 2 rows (entry 0, one row, is never called).
  static constexpr TileFn kPaired[] = {&paired_tile<I + 1>...};
  (paired && mr >= 2 ? kPaired : panels == 2 ? kTwoPanels : kOnePanel)[mr - 1](o);
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
  dispatch(std::make_index_sequence<kMr>(), mr, panels, panels == 2 && tail <= 8, o);
}

}  // namespace sparq
