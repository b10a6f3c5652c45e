// Portable qu8s8-spmm: the oracle among the C++ variants and the fallback of
// every CPU. Per output row, 16 columns at a time, each entry adds its 4
// weights times the 4 repacked X bytes of each column. Sums are kept in
// uint32 so int32 wraparound is defined and matches vpaddd bit for bit.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-scalar.h"

namespace sparq {

void qu8s8_spmm_16_scalar(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                          std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                          const QGemmStore& store, void* y, std::size_t ldy) {
  constexpr std::size_t kRun = 16;
  uint32_t acc[kRun];
  for (std::size_t n = row_begin; n < row_end; ++n) {
    // put() reads multiplier j of the store: point it at row n's.
    QGemmStore row_store = store;
    if (store.multipliers != nullptr) row_store.multipliers = store.multipliers + n;
    for (std::size_t m0 = m_begin; m0 < m_end; m0 += kRun) {
      const std::size_t len = std::min(kRun, m_end - m0);
      std::fill(acc, acc + len, static_cast<uint32_t>(row_terms[n]));
      for (int32_t p = w.indptr[n]; p < w.indptr[n + 1]; ++p) {
        int8_t wv[kQSpmmKr];
        std::memcpy(wv, &w.word[p], kQSpmmKr);
        const uint8_t* xg = xp + (static_cast<std::size_t>(w.group[p]) * ldxp + m0) * kQSpmmKr;
        for (std::size_t j = 0; j < len; ++j) {
          const uint8_t* xj = xg + j * kQSpmmKr;
          acc[j] += static_cast<uint32_t>(xj[0] * wv[0] + xj[1] * wv[1] + xj[2] * wv[2] + xj[3] * wv[3]);
        }
      }
      for (std::size_t j = 0; j < len; ++j) put(acc[j], row_store, 0, y, n * ldy + m0 + j);
    }
  }
}

}  // namespace sparq
