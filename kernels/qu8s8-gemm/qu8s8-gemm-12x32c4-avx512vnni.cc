// AVX-512 VNNI qu8s8-gemm microkernel: 12 rows x 16 or 32 columns (one
// panel, or two adjacent ones), K in groups of 4.
//
// Exact for ANY weights: vpdpbusd multiplies 4 u8 x s8 pairs and adds them
// straight into an int32 lane (no int16 intermediate, no saturation; the
// plain form wraps modulo 2^32 like every other term of the correction).
// So needs_narrow is false and this variant serves narrow and full-range B.
//
// Registers, per group of 4 K values (the c4 layout of one panel is exactly
// one zmm per group: 16 columns x 4 bytes):
//   b[v]      = B'[4g..4g+3, panel v's 16 columns]       (one 64-byte load each)
//   a         = A[row i, 4g..4g+3] broadcast to every dword (vpbroadcastd),
//               shared by the row's one or two vpdpbusd
//   acc[i][v] += vpdpbusd(a, b[v])  one int32 per column
// 24 accumulators + 2 B + a broadcast fit in 32 zmm. vpdpbusd has a 5-cycle
// latency and two 512-bit ports, so at least 10 independent accumulators keep
// both busy; two panels per call also halve the broadcasts per multiply (13
// loads fed 12 vpdpbusd with one panel, 14 feed 24) and the calls per tile:
// MobileNetV2-224's 1x1 GEMMs at batch 1 (one thread, warm caches) took 0.82
// ms instead of 1.12 with 12 x 16 calls.
// vpdpbusd takes the u8 operand from a register, so A is broadcast (a
// load-port uop, no shuffle port).
//
// The accumulators start at the column terms (minus row_sum * b_zp' when B
// has zero points), not at zero: modulo 2^32 the sum is the same, and the
// store then only converts. The loop is a template over rows and panels, so a
// short strip (mr < 12) or a single-panel call computes only its own rows and
// panels. One row (GEMV-like calls) is bound by streaming B and keeps four
// partial sums per panel over interleaved K groups to hide the latency
// (integer adds are associative modulo 2^32, so the split is still exact).
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <utility>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-output-kind.h"
#include "qu8s8-gemm-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 12;

inline __m512i broadcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// One call's operands; panel v's K groups start at b[v].
struct Operands {
  std::size_t kc;
  const uint8_t* a;
  std::size_t lda;
  const int8_t* b[2];
  const int32_t* col_terms;        // 16 per panel
  const int32_t* col_zero_points;  // 16 per panel, or null
  const int32_t* row_sums;
  const QGemmStore* store;
  void* c;
  std::size_t ldc;
  __mmask16 mask[2];  // columns below nc, per panel
};

// Stores the R x V finished sums through the output stage of kOut.
template <QOutput kOut, std::size_t R, std::size_t V>
void store_sums(const Operands& o, const __m512i (&acc)[R][V]) {
  if constexpr (kOut == QOutput::kUint8 || kOut == QOutput::kInt8) {
    if (o.store->saturating) {
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v) {
        const ByteRowsStage<kOut> stage(*o.store, o.store->multipliers + v * kQGemmNr);
        uint8_t* column = static_cast<uint8_t*>(o.c) + v * kQGemmNr;
#pragma GCC unroll 3
        for (std::size_t r = 0; r < R; r += 4) {
          // Rows past R repeat the last one (computed, not stored).
          const __m512i rows[4] = {acc[r][v], acc[r + 1 < R ? r + 1 : R - 1][v], acc[r + 2 < R ? r + 2 : R - 1][v],
                                   acc[r + 3 < R ? r + 3 : R - 1][v]};
          stage.store(rows, R - r < 4 ? R - r : 4, column + r * o.ldc, o.ldc, o.mask[v]);
        }
      }
      return;
    }
  }
  constexpr std::size_t kSize = Stage<kOut>::kSize;
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; ++v) {
    const Stage<kOut> stage(*o.store, o.store->multipliers + v * kQGemmNr);
    uint8_t* column = static_cast<uint8_t*>(o.c) + v * kQGemmNr * kSize;
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r) stage.store(acc[r][v], column + r * o.ldc * kSize, o.mask[v]);
  }
}

template <std::size_t R, std::size_t V>
void tile(const Operands& o) {
  __m512i acc[R][V];
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; ++v) {
    const __m512i terms = _mm512_loadu_si512(o.col_terms + v * kQGemmNr);
    const __m512i zps = o.col_zero_points != nullptr ? _mm512_loadu_si512(o.col_zero_points + v * kQGemmNr)
                                                     : _mm512_setzero_si512();
#pragma GCC unroll 12
    for (std::size_t r = 0; r < R; ++r)
      acc[r][v] = o.col_zero_points != nullptr
                      ? _mm512_sub_epi32(terms, _mm512_mullo_epi32(_mm512_set1_epi32(o.row_sums[r]), zps))
                      : terms;
  }
  const int8_t* b[V];
#pragma GCC unroll 2
  for (std::size_t v = 0; v < V; ++v) b[v] = o.b[v];
  if constexpr (R == 1) {
    // s[j][v] sums the K groups g = j mod 4.
    __m512i s[4][V];
#pragma GCC unroll 4
    for (std::size_t j = 0; j < 4; ++j)
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v) s[j][v] = j == 0 ? acc[0][v] : _mm512_setzero_si512();
    std::size_t k = 0;
    for (; k + 16 <= o.kc; k += 16) {
#pragma GCC unroll 4
      for (std::size_t j = 0; j < 4; ++j) {
        const __m512i av = broadcast4(o.a + k + 4 * j);
#pragma GCC unroll 2
        for (std::size_t v = 0; v < V; ++v)
          s[j][v] = _mm512_dpbusd_epi32(s[j][v], av, _mm512_loadu_si512(b[v] + (k + 4 * j) * kQGemmNr));
      }
    }
    for (; k < o.kc; k += 4) {
      const __m512i av = broadcast4(o.a + k);
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v)
        s[0][v] = _mm512_dpbusd_epi32(s[0][v], av, _mm512_loadu_si512(b[v] + k * kQGemmNr));
    }
#pragma GCC unroll 2
    for (std::size_t v = 0; v < V; ++v)
      acc[0][v] = _mm512_add_epi32(_mm512_add_epi32(s[0][v], s[1][v]), _mm512_add_epi32(s[2][v], s[3][v]));
  } else {
    // Rows are reached from one pointer per group of three, as [p], [p + lda]
    // and [p + 2 lda]: one pointer per row would not fit the 15 free general
    // registers beside the panel pointers and would spill.
    constexpr std::size_t kGroups = (R + 2) / 3;
    const std::size_t lda = o.lda;
    const uint8_t* group[kGroups];
#pragma GCC unroll 4
    for (std::size_t g = 0; g < kGroups; ++g) group[g] = o.a + 3 * g * lda;
    for (std::size_t k = 0; k < o.kc; k += 4) {
      __m512i bk[V];
#pragma GCC unroll 2
      for (std::size_t v = 0; v < V; ++v) {
        bk[v] = _mm512_loadu_si512(b[v]);
        b[v] += 4 * kQGemmNr;
      }
#pragma GCC unroll 12
      for (std::size_t r = 0; r < R; ++r) {
        const __m512i av = broadcast4(group[r / 3] + (r % 3) * lda);
#pragma GCC unroll 2
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bk[v]);
      }
#pragma GCC unroll 4
      for (std::size_t g = 0; g < kGroups; ++g) group[g] += 4;
    }
  }
  with_output_kind(o.store->output, [&](auto kind) { store_sums<decltype(kind)::value, R, V>(o, acc); });
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

void qu8s8_gemm_12x32c4_avx512vnni(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a,
                                   std::size_t lda, const int8_t* panel, const int32_t* col_terms,
                                   const int32_t* col_zero_points, const int32_t* row_sums,
                                   const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= 2 * kQGemmNr && kc % kQGemmKr == 0);
  const std::size_t panels = nc > kQGemmNr ? 2 : 1;
  const std::size_t tail = nc - (panels - 1) * kQGemmNr;  // columns in the last panel, 1..16
  Operands o;
  o.kc = kc, o.a = a, o.lda = lda;
  o.b[0] = panel, o.b[1] = panels == 2 ? panel + kc * kQGemmNr : nullptr;
  o.col_terms = col_terms, o.col_zero_points = col_zero_points, o.row_sums = row_sums;
  o.store = &store, o.c = c, o.ldc = ldc;
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << tail) - 1);
  o.mask[0] = panels == 2 ? static_cast<__mmask16>(0xFFFF) : tail_mask;
  o.mask[1] = tail_mask;
  dispatch(std::make_index_sequence<kMr>(), mr, panels, o);
}

}  // namespace sparq
