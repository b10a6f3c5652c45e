// AMX qu8s8-gemm microkernel: 32 rows x 16 columns, K in steps of 64.
//
// Exact for ANY weights: TDPBUSD multiplies u8 x s8 and adds groups of 4
// products straight into int32 elements (no int16 intermediate, no
// saturation, wrapping modulo 2^32), so needs_narrow is false.
//
// Tiles (8 registers of up to 16 rows x 64 bytes):
//   tmm0, tmm1  C: rows 0..15 and 16..31 of the output, 16 int32 columns
//   tmm2, tmm3  A: the same rows x 64 K bytes, loaded straight from A (stride lda)
//   tmm4        B: 16 K groups of the panel = 16 rows x 64 bytes
//   tmm5, tmm6  A tail: the same rows x k_tail bytes (k_tail = kc % 64, a multiple of 4)
//   tmm7        B tail: k_tail / 4 groups of the panel
// The c4 panel layout is AMX's B format as is: group g (64 bytes: 16 columns
// x 4 K values) is B-tile row g, so 16 consecutive groups are one contiguous
// 1 KiB tile (stride 64). Each 64-K step loads one B tile for two
// TDPBUSDs (2 x 16 x 16 x 64 multiply-adds).
//
// Edges: the tail tiles read exactly the last k_tail bytes of each row, so
// nothing is copied. Rows past mr are not configured: a C/A tile of r < 16
// rows reads and computes only r rows, so nothing past A's real rows is
// touched. Columns past nc are zero in the panel and are never stored.
//
// Tile configuration is per thread (each pool worker configures its own
// tiles). ldtilecfg + tilerelease in every call measured 552 vs 820 GOP/s
// at 256^3 and 703 vs 909 at M=1024 N=64 K=576, so the configuration is kept for the calls of one driver task
// and released by qu8s8_gemm_32x16c4_amx_finish() at the task's end: no
// thread carries live tile state (8 KiB per context switch) out of a gemm,
// and code run on the same thread between gemms (another AMX user may
// reconfigure or release the tiles) never sees our configuration assumed.
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 32;
constexpr std::size_t kTileRows = 16;
constexpr std::size_t kTileBytes = 64;  // per row; also the K bytes of one step

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

// The configuration this thread's tiles hold, valid from the first call of a
// driver task to qu8s8_gemm_32x16c4_amx_finish() at its end. ldtilecfg costs
// about as much as a small tile's arithmetic, so calls of one task reuse it.
thread_local bool tls_configured = false;
thread_local std::size_t tls_r0 = 0, tls_r1 = 0, tls_k_tail = 0;

// Two row blocks of r0 and r1 rows (r1 may be 0) and a K tail of k_tail
// bytes (may be 0); tiles whose rows are 0 stay unconfigured.
void configure(std::size_t r0, std::size_t r1, std::size_t k_tail) {
  if (tls_configured && tls_r0 == r0 && tls_r1 == r1 && tls_k_tail == k_tail) return;
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof(cfg));
  cfg.palette_id = 1;
  const std::size_t tail_r0 = k_tail != 0 ? r0 : 0, tail_r1 = k_tail != 0 ? r1 : 0;
  const std::size_t rows[8] = {r0, r1, r0, r1, kTileRows, tail_r0, tail_r1, k_tail / kQGemmKr};
  const std::size_t colsb[8] = {kTileBytes, kTileBytes, kTileBytes, kTileBytes, kTileBytes, k_tail, k_tail, kTileBytes};
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = static_cast<uint8_t>(rows[t]);
    cfg.colsb[t] = static_cast<uint16_t>(rows[t] != 0 ? colsb[t] : 0);
  }
  _tile_loadconfig(&cfg);
  tls_configured = true;
  tls_r0 = r0;
  tls_r1 = r1;
  tls_k_tail = k_tail;
}

}  // namespace

void qu8s8_gemm_32x16c4_amx(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                            const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                            const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  const std::size_t r0 = mr < kTileRows ? mr : kTileRows, r1 = mr - r0;
  const std::size_t k_main = kc / kTileBytes * kTileBytes, k_tail = kc - k_main;
  configure(r0, r1, k_tail);
  _tile_zero(0);
  if (r1 != 0) _tile_zero(1);

  const uint8_t* a1 = r1 != 0 ? a + kTileRows * lda : a;
  for (std::size_t k = 0; k < k_main; k += kTileBytes, panel += kTileRows * kTileBytes) {
    _tile_loadd(4, panel, kTileBytes);
    _tile_loadd(2, a + k, lda);
    _tile_dpbusd(0, 2, 4);
    if (r1 != 0) {
      _tile_loadd(3, a1 + k, lda);
      _tile_dpbusd(1, 3, 4);
    }
  }
  if (k_tail != 0) {
    // Tiles 5..7 are the same shapes cut to k_tail K bytes: each A row reads
    // exactly its last k_tail bytes, the panel its last k_tail / 4 groups.
    _tile_loadd(7, panel, kTileBytes);
    _tile_loadd(5, a + k_main, lda);
    _tile_dpbusd(0, 5, 7);
    if (r1 != 0) {
      _tile_loadd(6, a1 + k_main, lda);
      _tile_dpbusd(1, 6, 7);
    }
  }

  alignas(64) int32_t acc[kMr * kQGemmNr];
  _tile_stored(0, acc, kQGemmNr * sizeof(int32_t));
  if (r1 != 0) _tile_stored(1, acc + kTileRows * kQGemmNr, kQGemmNr * sizeof(int32_t));

  // Each 64-byte row of the stored tiles is one row's 16 sums.
  store_tile(mr, nc, reinterpret_cast<const __m512i*>(acc), col_terms, col_zero_points, row_sums, store, c, ldc);
}

// Called by the driver at the end of every task, on the thread that ran it:
// gives the tile state back so the thread carries no AMX state between calls.
void qu8s8_gemm_32x16c4_amx_finish() {
  if (!tls_configured) return;
  _tile_release();
  tls_configured = false;
}

}  // namespace sparq
