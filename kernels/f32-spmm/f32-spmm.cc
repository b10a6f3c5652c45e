// f32-spmm variant table and driver.
#include "f32-spmm.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "../common/aligned-vector.h"
#include "../common/split-by-cost.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa) F32SpmmFn symbol(F32SpmmFormat format);
#include "f32-spmm-variants.inc"
#undef SPARQ_VARIANT

const F32SpmmVariant kF32SpmmVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
#include "f32-spmm-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kF32SpmmVariantCount = sizeof(kF32SpmmVariants) / sizeof(kF32SpmmVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const F32SpmmVariant& f32_spmm_best() { return best_variant(kF32SpmmVariants); }

namespace {

// Work of one block row: its stored weights, plus one so empty rows (which
// still write the bias) are not free.
std::size_t block_row_cost(F32SpmmFormat format, const F32SparseWeights& w, std::size_t b, std::size_t r) {
  if (format == F32SpmmFormat::kNm) return w.groups * w.nm_n + 1;
  return static_cast<std::size_t>(w.indptr[b + 1] - w.indptr[b]) * r + 1;
}

// Multiply-adds per task below which a thread's wake-up costs more than it saves.
constexpr std::size_t kMinMacsPerTask = std::size_t{1} << 18;
constexpr std::size_t kTasksPerThread = 4;
// A task covers a strip of X's columns whose K x strip slab fits this budget,
// so it stays in L2 while every row of the task reads it. Long-M calls (CNN
// layers: K x 10^4 pixels) then split along M first, and each task streams
// its slab from memory once instead of once per row group.
constexpr std::size_t kStripBytes = std::size_t{512} << 10;

// X rows that do not start on a cache line make every vector load of them
// straddle two lines, and X is read from L2 once per stored weight: measured
// 2x slower on 1024 x 1024 x 64 (JS buffers sit 16 or 32 bytes off a line).
// Such an X is copied once per call into a line-aligned buffer of the calling
// thread, its rows padded to whole lines, when it is small enough to be
// re-read from cache; a larger one streams from memory, where the copy would
// cost about what it saves. M = 1 gathers single floats instead.
constexpr std::size_t kAlignedCopyBytes = std::size_t{1} << 20;

bool needs_aligned_copy(std::size_t k, std::size_t m, const float* x, std::size_t ldx) {
  const bool misaligned = reinterpret_cast<std::uintptr_t>(x) % kCacheLine != 0 || ldx * sizeof(float) % kCacheLine != 0;
  return misaligned && m > 1 && k * m * sizeof(float) <= kAlignedCopyBytes;
}

const float* aligned_copy(std::size_t k, std::size_t m, const float* x, std::size_t ldx, std::size_t* ld) {
  constexpr std::size_t kLine = kCacheLine / sizeof(float);
  *ld = (m + kLine - 1) / kLine * kLine;
  thread_local aligned_vector<float> copy;
  if (copy.size() < k * *ld) copy.resize(k * *ld);
  float* out = copy.data();
  const std::size_t out_ld = *ld;
  parallel_for((k + 63) / 64, [&](std::size_t task) {
    for (std::size_t i = task * 64; i < std::min(k, task * 64 + 64); ++i) std::copy(x + i * ldx, x + i * ldx + m, out + i * out_ld);
  });
  return out;
}

}  // namespace

void f32_spmm(const F32SpmmVariant& variant, F32SpmmFormat format, const F32SparseWeights& w, std::size_t m,
              const float* x, std::size_t ldx, float* y, std::size_t ldy, const F32SpmmParams& params) {
  const std::size_t r = f32_spmm_block_rows(format), blocks = w.rows / r;
  assert(ldy >= m && w.rows % r == 0);
  if (blocks == 0 || m == 0) return;
  const F32SpmmFn fn = variant.kernel(format);
  if (needs_aligned_copy(w.cols, m, x, ldx)) x = aligned_copy(w.cols, m, x, ldx, &ldx);
  std::size_t total = 0;
  for (std::size_t b = 0; b < blocks; ++b) total += block_row_cost(format, w, b, r);
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t wanted = std::max<std::size_t>(1, std::min(threads * kTasksPerThread, total * m / kMinMacsPerTask));
  // M strips that keep X's slab in L2, then groups of whole block rows of
  // about equal cost (pruned rows are uneven) until the threads are fed.
  const std::size_t strip = std::max<std::size_t>(64, kStripBytes / (std::max<std::size_t>(w.cols, 1) * sizeof(float)) / 64 * 64);
  const std::size_t m_blocks = (m + strip - 1) / strip;
  const std::size_t row_groups = std::max<std::size_t>(1, std::min(blocks, (wanted + m_blocks - 1) / m_blocks));
  const std::vector<std::size_t> bounds =
      split_by_cost(blocks, row_groups, total, [&](std::size_t b) { return block_row_cost(format, w, b, r); });
  const std::size_t groups = bounds.size() - 1;
  // Blocks of whole 64-column steps (the widest variant's), so only the last block has a tail.
  const std::size_t m_step = ((m + m_blocks - 1) / m_blocks + 63) / 64 * 64;
  parallel_for(groups * m_blocks, [&](std::size_t task) {
    const std::size_t g = task / m_blocks, mb = task % m_blocks;
    const std::size_t m_begin = mb * m_step, m_end = std::min(m, m_begin + m_step);
    if (m_begin < m_end) fn(w, bounds[g] * r, bounds[g + 1] * r, m_begin, m_end, x, ldx, y, ldy, params);
  });
}

}  // namespace sparq
