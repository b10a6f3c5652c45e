// qu8s8-spmm variant table, weight packing and driver (X repack, zero-point
// terms, output stage and threading around one kernel call per task).
#include "qu8s8-spmm.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "../common/aligned-vector.h"
#include "../common/split-by-cost.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

#if defined(__SSE2__)
#include <emmintrin.h>  // x86-64 baseline: no ISA flag, safe in portable code
#elif defined(__aarch64__)
#include <arm_neon.h>  // AArch64 baseline, likewise
#endif

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa, nhwc) \
  std::remove_pointer_t<QSpmmFn> symbol;         \
  std::remove_pointer_t<QSpmmNhwcFn> nhwc;
#include "qu8s8-spmm-variants.inc"
#undef SPARQ_VARIANT

const QSpmmVariant kQSpmmVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa, nhwc) {name, isa, symbol, nhwc},
#include "qu8s8-spmm-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kQSpmmVariantCount = sizeof(kQSpmmVariants) / sizeof(kQSpmmVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const QSpmmVariant& qu8s8_spmm_best() { return best_variant(kQSpmmVariants); }

namespace {

bool pair_safe(int32_t word) {
  int8_t w[4];
  std::memcpy(w, &word, 4);
  auto safe = [](int a, int b) { return a == 0 || b == 0 || std::abs(a) + std::abs(b) <= 128; };
  return safe(w[0], w[1]) && safe(w[2], w[3]);
}

// Work of one output row: its entries, plus one so empty rows (which still
// store their bias) are not free.
std::size_t row_cost(const QSparseW& w, std::size_t n) {
  return static_cast<std::size_t>(w.indptr[n + 1] - w.indptr[n]) + 1;
}

// Entry x column steps per task below which a thread's wake-up costs more than it saves.
constexpr std::size_t kMinWorkPerTask = std::size_t{1} << 18;
constexpr std::size_t kTasksPerThread = 4;
// M is split into blocks of this many columns when rows alone cannot feed the threads.
constexpr std::size_t kMBlock = 256;
// Columns of X repacked at a time, into a buffer of the task's thread: K x 32
// bytes (32 KiB at K = 1024) stay in L1 while the rows' entries stream past
// them. Repacking all of X first wrote and re-read it through DRAM once it
// outgrew L2 (K = 288, M = 10816: 0.59 of 1.29 ms with no entries at all),
// and row-outer order over a 64-column block read it from L2 at every entry
// (1024^2 at 90%, M = 64: 365 vs 603 GOP/s strip-outer).
constexpr std::size_t kStrip = 32;
// Pixels per channels-last task: the kernels walk them in tiles of a few
// rows of X (a tile's K bytes each stay in L1) against every block of the
// task; 64 rows keep the tasks of a 56x56 map plentiful.
constexpr std::size_t kNhwcPixels = 64;

// X [k, m] (row stride ldx) -> xp [groups][m][4], zero past k. SSE2 moves
// 16 columns x 4 rows per step with two rounds of byte/word interleaves;
// NEON stores them interleaved with one st4.
void repack_strip(std::size_t groups, std::size_t k, std::size_t m, const uint8_t* x, std::size_t ldx,
                  const uint8_t* zeros, uint8_t* xp) {
  for (std::size_t g = 0; g < groups; ++g) {
    const uint8_t* r[kQSpmmKr];
    for (std::size_t t = 0; t < kQSpmmKr; ++t) r[t] = g * kQSpmmKr + t < k ? x + (g * kQSpmmKr + t) * ldx : zeros;
    uint8_t* out = xp + g * m * kQSpmmKr;
    std::size_t j = 0;
#if defined(__SSE2__)
    for (; j + 16 <= m; j += 16) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r[0] + j));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r[1] + j));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r[2] + j));
      const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r[3] + j));
      const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
      const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
      __m128i* o = reinterpret_cast<__m128i*>(out + j * kQSpmmKr);
      _mm_storeu_si128(o, _mm_unpacklo_epi16(ab_lo, cd_lo));
      _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab_lo, cd_lo));
      _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab_hi, cd_hi));
      _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab_hi, cd_hi));
    }
#elif defined(__aarch64__)
    for (; j + 16 <= m; j += 16) {
      const uint8x16x4_t rows = {{vld1q_u8(r[0] + j), vld1q_u8(r[1] + j), vld1q_u8(r[2] + j), vld1q_u8(r[3] + j)}};
      vst4q_u8(out + j * kQSpmmKr, rows);
    }
#endif
    for (; j < m; ++j)
      for (std::size_t t = 0; t < kQSpmmKr; ++t) out[j * kQSpmmKr + t] = r[t][j];
  }
}

// The terms both drivers compute per call: row_terms[n] = bias[n] - a_zp *
// row_sums[n] (modulo 2^32), and the output store with one multiplier per
// row, both zero-padded to `padded` values.
struct CallTerms {
  std::vector<int32_t> row_terms;
  std::vector<float> row_multipliers;
  QGemmStore store;
};

void call_terms(const QSparseW& w, const QGemmParams& params, uint32_t a_zp, std::size_t padded, CallTerms* t) {
  const RequantizeRow& stage = params.stage;
  t->row_terms.assign(padded, 0);
  for (std::size_t n = 0; n < w.rows; ++n) {
    const uint32_t bias = stage.bias != nullptr ? static_cast<uint32_t>(stage.bias[n * stage.bias_stride]) : 0u;
    t->row_terms[n] = static_cast<int32_t>(bias - a_zp * static_cast<uint32_t>(w.row_sums[n]));
  }
  t->store = qgemm_output_store(params, w.rows, padded, &t->row_multipliers);
  if (params.output != QOutput::kInt32) t->store.multipliers = t->row_multipliers.data();
}

// The channels-last layout of w's entries (see QSparseW): per block, the
// union of its rows' groups, ascending, a group repeated as often as one row
// repeats it, then every entry's word in its row's lane of its copy.
void pack_blocks(QSparseW* w) {
  const std::size_t blocks = (w->rows + kQSpmmNhwcOc - 1) / kQSpmmNhwcOc;
  std::vector<int32_t> copies(w->groups), seen(w->groups), first(w->groups);
  w->block_ptr.assign(1, 0);
  w->block_group.clear();
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t n_end = std::min(w->rows, (b + 1) * kQSpmmNhwcOc);
    std::fill(copies.begin(), copies.end(), 0);
    for (std::size_t n = b * kQSpmmNhwcOc; n < n_end; ++n) {
      for (int32_t p = w->indptr[n]; p < w->indptr[n + 1]; ++p) seen[w->group[p]] = 0;
      for (int32_t p = w->indptr[n]; p < w->indptr[n + 1]; ++p) {
        const int32_t g = w->group[p];
        copies[g] = std::max(copies[g], ++seen[g]);
      }
    }
    for (std::size_t g = 0; g < w->groups; ++g) {
      first[g] = static_cast<int32_t>(w->block_group.size());
      w->block_group.insert(w->block_group.end(), copies[g], static_cast<int32_t>(g));
    }
    w->block_word.resize(w->block_group.size() * kQSpmmNhwcOc * kQSpmmKr, 0);
    for (std::size_t n = b * kQSpmmNhwcOc; n < n_end; ++n) {
      for (int32_t p = w->indptr[n]; p < w->indptr[n + 1]; ++p) seen[w->group[p]] = 0;
      for (int32_t p = w->indptr[n]; p < w->indptr[n + 1]; ++p) {
        const int32_t slot = first[w->group[p]] + seen[w->group[p]]++;
        std::memcpy(&w->block_word[(static_cast<std::size_t>(slot) * kQSpmmNhwcOc + n % kQSpmmNhwcOc) * kQSpmmKr], &w->word[p],
                    kQSpmmKr);
      }
    }
    w->block_ptr.push_back(static_cast<int32_t>(w->block_group.size()));
  }
}

}  // namespace

void qu8s8_spmm_pack(std::size_t rows, std::size_t k, const int32_t* indptr, const int32_t* group,
                     const int32_t* word, QSparseW* out) {
  const std::size_t entries = rows == 0 ? 0 : static_cast<std::size_t>(indptr[rows]);
  out->rows = rows;
  out->k = k;
  out->groups = (k + kQSpmmKr - 1) / kQSpmmKr;
  out->indptr.assign(indptr, indptr + rows + 1);
  out->pair_safe_end.assign(rows, 0);
  out->group.resize(entries);
  out->word.resize(entries);
  out->row_sums.assign(rows, 0);
  for (std::size_t n = 0; n < rows; ++n) {
    // Safe entries fill the row from the front, the others from the back.
    int32_t front = indptr[n], back = indptr[n + 1];
    uint32_t sum = 0;  // modulo 2^32, like every term of the correction
    for (int32_t p = indptr[n]; p < indptr[n + 1]; ++p) {
      const int32_t at = pair_safe(word[p]) ? front++ : --back;
      out->group[at] = group[p];
      out->word[at] = word[p];
      int8_t w[4];
      std::memcpy(w, &word[p], 4);
      sum += static_cast<uint32_t>(w[0] + w[1] + w[2] + w[3]);
    }
    out->pair_safe_end[n] = front;
    out->row_sums[n] = static_cast<int32_t>(sum);
  }
  pack_blocks(out);
}

void qu8s8_spmm(const QSpmmVariant& variant, const QSparseW& w, std::size_t m, const uint8_t* x, std::size_t ldx,
                void* y, std::size_t ldy, const QGemmParams& params) {
  const std::size_t rows = w.rows, k = w.k, groups = w.groups;
  assert(ldy >= m && (k == 0 || ldx >= m));
  if (rows == 0 || m == 0) return;
  CallTerms terms;
  call_terms(w, params, params.a_zero_point, rows, &terms);

  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::vector<uint8_t> zeros(k % kQSpmmKr != 0 ? m : 0, 0);

  std::size_t total = 0;
  for (std::size_t n = 0; n < rows; ++n) total += row_cost(w, n);
  const std::size_t steps = (m + 15) / 16;
  // One thread runs one task: more would only repack the same strips again.
  const std::size_t wanted = threads == 1 ? 1 : std::max<std::size_t>(1, std::min(threads * kTasksPerThread, total * steps / kMinWorkPerTask));
  // Row groups of about equal entry counts (pruned rows are uneven), then M blocks.
  const std::size_t m_blocks = std::min<std::size_t>(std::max<std::size_t>(1, (m + kMBlock - 1) / kMBlock),
                                                     std::max<std::size_t>(1, wanted / std::min(wanted, rows)));
  const std::size_t row_groups = std::max<std::size_t>(1, std::min(rows, wanted / m_blocks));
  const std::vector<std::size_t> bounds = split_by_cost(rows, row_groups, total, [&](std::size_t n) { return row_cost(w, n); });
  const std::size_t row_tasks = bounds.size() - 1;
  // Blocks of whole 64-column steps (two strips), so only the last block has a tail.
  const std::size_t m_step = ((m + m_blocks - 1) / m_blocks + 63) / 64 * 64;
  const QSpmmFn fn = variant.fn;
  const std::size_t elem = qgemm_output_size(params.output);
  parallel_for(row_tasks * m_blocks, [&](std::size_t task) {
    const std::size_t b = task / row_tasks, r = task % row_tasks;
    const std::size_t m_begin = b * m_step, m_end = std::min(m, m_begin + m_step);
    // Kept by each thread, plus the 64 bytes the kernels may read past it.
    thread_local aligned_vector<uint8_t> xp;
    if (xp.size() < groups * kStrip * kQSpmmKr + 64) xp.resize(groups * kStrip * kQSpmmKr + 64);
    for (std::size_t m0 = m_begin; m0 < m_end; m0 += kStrip) {
      const std::size_t width = std::min(kStrip, m_end - m0);
      repack_strip(groups, k, width, x + m0, ldx, zeros.data() + (zeros.empty() ? 0 : m0), xp.data());
      fn(w, bounds[r], bounds[r + 1], 0, width, xp.data(), width, terms.row_terms.data(), terms.store,
         static_cast<uint8_t*>(y) + m0 * elem, ldy);
    }
  });
}

// The channels-last driver: tasks of whole kNhwcPixels-pixel chunks x
// ranges of channel blocks (split by stored groups when the pixels alone
// cannot feed the threads: a 7x7 map), each one call of the variant's nhwc
// kernel. The last pixels, whose 4-byte group reads would pass X's end when
// K is not a multiple of 4, are first copied into a zero-padded buffer.
void qu8s8_spmm_nhwc(const QSpmmVariant& variant, const QSparseW& w, std::size_t pixels, const uint8_t* x,
                     std::size_t ldx, void* y, std::size_t ldy, const QGemmParams& params) {
  const std::size_t rows = w.rows, k = w.k, groups = w.groups;
  assert(ldy >= rows && ldx >= k);
  if (rows == 0 || pixels == 0) return;
  const std::size_t blocks = w.block_ptr.size() - 1;
  // Terms and multipliers per channel, readable 16 past the last block's first channel.
  CallTerms terms;
  call_terms(w, params, variant.isa == Isa::kNeonDot ? params.a_zero_point - 128u : params.a_zero_point,
             blocks * kQSpmmNhwcOc + 16, &terms);

  // Pixels [0, safe) are read in place: their last group ends inside X.
  const std::size_t span = groups * kQSpmmKr;
  const std::size_t end = (pixels - 1) * ldx + k;
  std::size_t safe = pixels;
  while (safe > 0 && (safe - 1) * ldx + span > end) --safe;
  std::vector<uint8_t> tail((pixels - safe) * span, 0);
  for (std::size_t p = safe; p < pixels; ++p) std::memcpy(&tail[(p - safe) * span], x + p * ldx, k);

  std::size_t total = 0;
  for (std::size_t b = 0; b < blocks; ++b) total += static_cast<std::size_t>(w.block_ptr[b + 1] - w.block_ptr[b]) + 1;
  const std::size_t chunks = (pixels + kNhwcPixels - 1) / kNhwcPixels;
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t work = total * kQSpmmNhwcOc * pixels / 16;  // vpdpbusd-sized steps, as the strided driver counts
  const std::size_t wanted = std::max<std::size_t>(1, std::min(threads * kTasksPerThread, work / kMinWorkPerTask));
  const std::size_t block_groups = std::max<std::size_t>(1, std::min(blocks, (wanted + chunks - 1) / chunks));
  const std::vector<std::size_t> bounds = split_by_cost(blocks, block_groups, total, [&](std::size_t b) {
    return static_cast<std::size_t>(w.block_ptr[b + 1] - w.block_ptr[b]) + 1;
  });
  const std::size_t block_tasks = bounds.size() - 1;
  const QSpmmNhwcFn fn = variant.nhwc;
  const std::size_t elem = qgemm_output_size(params.output);
  parallel_for(chunks * block_tasks, [&](std::size_t task) {
    const std::size_t c = task / block_tasks, r = task % block_tasks;
    const std::size_t p0 = c * kNhwcPixels, p1 = std::min(pixels, p0 + kNhwcPixels);
    uint8_t* yc = static_cast<uint8_t*>(y) + p0 * ldy * elem;
    const std::size_t in_place = p0 < safe ? std::min(p1, safe) - p0 : 0;
    if (in_place > 0) fn(w, bounds[r], bounds[r + 1], in_place, x + p0 * ldx, ldx, terms.row_terms.data(), terms.store, yc, ldy);
    const std::size_t copied_from = p0 + in_place;
    if (copied_from < p1)
      fn(w, bounds[r], bounds[r + 1], p1 - copied_from, &tail[(copied_from - safe) * span], span, terms.row_terms.data(), terms.store,
         yc + in_place * ldy * elem, ldy);
  });
}

}  // namespace sparq
