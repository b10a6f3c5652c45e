// f32-spmm variant table and driver.
#include "f32-spmm.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <vector>

#include "f32-spmm-entries.h"
#include "../common/aligned-vector.h"
#include "../common/split-by-cost.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"
#include "../f32-nonfinite/f32-nonfinite.h"

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

// Copies X as above; `nonfinite` is set when it holds an Inf or NaN (checked on the way).
const float* aligned_copy(std::size_t k, std::size_t m, const float* x, std::size_t ldx, std::size_t* ld,
                          F32NonfiniteFn check, std::atomic<bool>* nonfinite) {
  constexpr std::size_t kLine = kCacheLine / sizeof(float);
  *ld = (m + kLine - 1) / kLine * kLine;
  thread_local aligned_vector<float> copy;
  if (copy.size() < k * *ld) copy.resize(k * *ld);
  float* out = copy.data();
  const std::size_t out_ld = *ld;
  parallel_for((k + 63) / 64, [&](std::size_t task) {
    for (std::size_t i = task * 64; i < std::min(k, task * 64 + 64); ++i)
      if (check(m, x + i * ldx, out + i * out_ld)) nonfinite->store(true, std::memory_order_relaxed);
  });
  return out;
}

// How a call learns whether X holds an Inf or NaN (then propagate_nonfinite
// runs). Checking all of X costs a load per X vector: next to nothing where
// the product reads each row of X many times, about what the product costs
// where it reads each row a few times (a long M with few stored entries: CNN
// layers as one product).
enum class XCheck {
  kCopy,    // the aligned copy checks X on the way
  kShares,  // each task checks a share of its strip's rows before its product
  // The kernels report Inf and NaN sums, which any Inf or NaN in a row the
  // weights store makes, and each task checks a share of the rows no weight
  // stores (the product never reads them).
  kUnreadRows,
};

XCheck choose_x_check(bool copied, std::size_t entries, std::size_t k, std::size_t m) {
  if (copied) return XCheck::kCopy;
  // Finding the unread rows walks the entries once; checking X reads K x M / 16
  // vectors. M = 1 is the kernels' GEMV path, which does not report its sums.
  return m > 1 && entries * 64 < k * m ? XCheck::kUnreadRows : XCheck::kShares;
}

std::size_t stored_entries(F32SpmmFormat format, const F32SparseWeights& w, std::size_t blocks) {
  return format == F32SpmmFormat::kNm ? w.rows * w.groups * w.nm_n : static_cast<std::size_t>(w.indptr[blocks]);
}

// The rows of X that no stored weight reads.
template <typename Entries>
std::vector<std::size_t> unread_rows(const F32SparseWeights& w, std::size_t blocks) {
  std::vector<uint8_t> read(w.cols, 0);
  for (std::size_t b = 0; b < blocks; ++b) Entries::template each<1>(w, b, [&](std::size_t k, std::size_t, auto) { read[k] = 1; });
  std::vector<std::size_t> rows;
  for (std::size_t k = 0; k < w.cols; ++k)
    if (read[k] == 0) rows.push_back(k);
  return rows;
}

// Whether rows [k_begin, k_end) x columns [m_begin, m_end) of X hold an Inf or NaN.
bool share_nonfinite(F32NonfiniteFn check, const float* x, std::size_t ldx, std::size_t m, std::size_t k_begin,
                     std::size_t k_end, std::size_t m_begin, std::size_t m_end) {
  // Whole rows of a packed X are one run (M = 1 would be a call per value).
  if (m_begin == 0 && m_end == m && ldx == m) return check((k_end - k_begin) * m, x + k_begin * ldx, nullptr);
  bool found = false;
  for (std::size_t k = k_begin; k < k_end && !found; ++k) found = check(m_end - m_begin, x + k * ldx + m_begin, nullptr);
  return found;
}

// The same for rows[i], i in [begin, end).
bool rows_nonfinite(F32NonfiniteFn check, const float* x, std::size_t ldx, const std::vector<std::size_t>& rows,
                    std::size_t begin, std::size_t end, std::size_t m_begin, std::size_t m_end) {
  bool found = false;
  for (std::size_t i = begin; i < end && !found; ++i) found = check(m_end - m_begin, x + rows[i] * ldx + m_begin, nullptr);
  return found;
}

// The NaNs the dense product has and the kernels, which skip unstored
// weights, do not make. The contract: an unstored weight is an exact 0, and
// 0 x Inf = 0 x NaN = NaN, so y[n, j] is NaN when column j of X holds a NaN,
// or an Inf in a row k that row n of W does not store. Stored weights carry
// their products (Inf, NaN, Inf - Inf) through the kernels, whose clamps keep
// NaN. Runs only when X holds an Inf or NaN, one thread, not fast: an error case.
template <typename Entries>
void propagate_nonfinite(std::size_t r, const F32SparseWeights& w, std::size_t m, const float* x, std::size_t ldx,
                         float* y, std::size_t ldy) {
  std::vector<uint8_t> nan_column(m, 0);
  std::vector<std::pair<std::size_t, std::size_t>> infinities;  // (k, j) of every Inf in X
  for (std::size_t k = 0; k < w.cols; ++k)
    for (std::size_t j = 0; j < m; ++j) {
      const float v = x[k * ldx + j];
      if (std::isnan(v)) nan_column[j] = 1;
      else if (std::isinf(v)) infinities.emplace_back(k, j);
    }
  for (std::size_t j = 0; j < m; ++j)
    if (nan_column[j] != 0)
      for (std::size_t n = 0; n < w.rows; ++n) y[n * ldy + j] = NAN;
  if (infinities.empty()) return;
  std::vector<uint8_t> stored(w.cols, 0);
  for (std::size_t b = 0; b < w.rows / r; ++b) {
    Entries::template each<1>(w, b, [&](std::size_t k, std::size_t, auto) { stored[k] = 1; });
    for (const auto& [k, j] : infinities)
      if (stored[k] == 0)
        for (std::size_t i = 0; i < r; ++i) y[(b * r + i) * ldy + j] = NAN;
    Entries::template each<1>(w, b, [&](std::size_t k, std::size_t, auto) { stored[k] = 0; });
  }
}

}  // namespace

std::size_t f32_spmm_block_row_cost(F32SpmmFormat format, const F32SparseWeights& w, std::size_t b) {
  if (format == F32SpmmFormat::kNm) return w.groups * w.nm_n + 1;
  return static_cast<std::size_t>(w.indptr[b + 1] - w.indptr[b]) * f32_spmm_block_rows(format) + 1;
}

std::vector<std::size_t> f32_spmm_unread_rows(F32SpmmFormat format, const F32SparseWeights& w) {
  const std::size_t blocks = w.rows / f32_spmm_block_rows(format);
  return format == F32SpmmFormat::kNm ? unread_rows<NmEntries>(w, blocks) : unread_rows<IndexedEntries>(w, blocks);
}

void f32_spmm_propagate_nonfinite(F32SpmmFormat format, const F32SparseWeights& w, std::size_t m, const float* x,
                                  std::size_t ldx, float* y, std::size_t ldy) {
  const std::size_t r = f32_spmm_block_rows(format);
  if (format == F32SpmmFormat::kNm) propagate_nonfinite<NmEntries>(r, w, m, x, ldx, y, ldy);
  else propagate_nonfinite<IndexedEntries>(r, w, m, x, ldx, y, ldy);
}

void f32_spmm(const F32SpmmVariant& variant, F32SpmmFormat format, const F32SparseWeights& w, std::size_t m,
              const float* x, std::size_t ldx, float* y, std::size_t ldy, const F32SpmmParams& params) {
  const std::size_t r = f32_spmm_block_rows(format), blocks = w.rows / r;
  assert(ldy >= m && w.rows % r == 0);
  if (blocks == 0 || m == 0) return;
  const F32SpmmFn fn = variant.kernel(format);
  const F32NonfiniteFn check = f32_nonfinite_best().fn;
  std::atomic<bool> nonfinite{false};
  const bool copied = needs_aligned_copy(w.cols, m, x, ldx);
  if (copied) x = aligned_copy(w.cols, m, x, ldx, &ldx, check, &nonfinite);
  const XCheck x_check = choose_x_check(copied, stored_entries(format, w, blocks), w.cols, m);
  std::vector<std::size_t> unread;
  if (x_check == XCheck::kUnreadRows) unread = f32_spmm_unread_rows(format, w);
  std::size_t total = 0;
  for (std::size_t b = 0; b < blocks; ++b) total += f32_spmm_block_row_cost(format, w, b);
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t wanted = std::max<std::size_t>(1, std::min(threads * kTasksPerThread, total * m / kMinMacsPerTask));
  // M strips that keep X's slab in L2, then groups of whole block rows of
  // about equal cost (pruned rows are uneven) until the threads are fed.
  const std::size_t strip = std::max<std::size_t>(64, kStripBytes / (std::max<std::size_t>(w.cols, 1) * sizeof(float)) / 64 * 64);
  const std::size_t m_blocks = (m + strip - 1) / strip;
  const std::size_t row_groups = std::max<std::size_t>(1, std::min(blocks, (wanted + m_blocks - 1) / m_blocks));
  const std::vector<std::size_t> bounds =
      split_by_cost(blocks, row_groups, total, [&](std::size_t b) { return f32_spmm_block_row_cost(format, w, b); });
  const std::size_t groups = bounds.size() - 1;
  // Blocks of whole 64-column steps (the widest variant's), so only the last block has a tail.
  const std::size_t m_step = ((m + m_blocks - 1) / m_blocks + 63) / 64 * 64;
  parallel_for(groups * m_blocks, [&](std::size_t task) {
    const std::size_t g = task / m_blocks, mb = task % m_blocks;
    const std::size_t m_begin = mb * m_step, m_end = std::min(m, m_begin + m_step);
    if (m_begin >= m_end) return;
    // The strip's tasks each check an equal share of its rows (all of them, or those the product does not read).
    bool found = false;
    if (x_check == XCheck::kShares) found = share_nonfinite(check, x, ldx, m, w.cols * g / groups, w.cols * (g + 1) / groups, m_begin, m_end);
    if (x_check == XCheck::kUnreadRows)
      found = rows_nonfinite(check, x, ldx, unread, unread.size() * g / groups, unread.size() * (g + 1) / groups, m_begin, m_end);
    const bool nonfinite_sums = fn(w, bounds[g] * r, bounds[g + 1] * r, m_begin, m_end, x, ldx, y, ldy, params);
    if (found || (nonfinite_sums && x_check == XCheck::kUnreadRows)) nonfinite.store(true, std::memory_order_relaxed);
  });
  if (nonfinite.load(std::memory_order_relaxed)) f32_spmm_propagate_nonfinite(format, w, m, x, ldx, y, ldy);
}

}  // namespace sparq
