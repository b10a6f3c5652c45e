// f32-gemm driver: cache blocking and threading around one microkernel.
//
// The output is cut into tasks, each a tile of MR-row strips x NR-column
// blocks (NR = the variant's columns per call: one 16-column panel, or two
// adjacent ones), run on the thread pool. One task:
//   for each K block (kc <= kKcMax values of K):
//     for each strip of MR rows:     the A strip (MR x kc) stays in L1 while
//       for each block in the tile:  it meets every block slice (kc x NR), and
//         microkernel                the tile's B block (kc x tile width) stays
//                                    in L2 while every strip streams through it.
// Bias and min/max are applied by the microkernel on the last K block only.
//
// Determinism: each C element is computed by one microkernel call per K block,
// and the K blocks and MR-row strips depend only on the shape. Tiles change
// with the thread count, but no element's arithmetic does, so results are
// bit-identical for any thread count.
#include <algorithm>
#include <cassert>
#include <type_traits>

#include "f32-gemm.h"
#include "../common/task-grid.h"
#include "../common/thread-pool.h"
#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa, mr, nr) std::remove_pointer_t<F32GemmUkernel> symbol;
#include "f32-gemm-variants.inc"
#undef SPARQ_VARIANT

namespace {

// 384 values of K: a 12 x 384 A strip is 18 KiB of a 48 KiB L1, and the
// im2col GEMMs of 3x3 convolutions over 32 channels (K = 288) stay one block.
constexpr std::size_t kKcMax = 384;
// A 384 x 1024 B block is 1.5 MiB of a 2 MiB L2.
constexpr std::size_t kColumnsPerTaskMax = 1024;
// A task reads its whole B block once per K block; at least 8 strips amortize that.
constexpr std::size_t kMinStripsPerTask = 8;
// Several tasks per thread let the pool balance uneven cores.
constexpr std::size_t kTasksPerThread = 4;

std::size_t div_up(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Above this many bytes A is read from memory, not from a cache that the
// previous strips left it in (a 1x1 conv's image at batch 16: MobileNetV2's
// 50176 x 144 A is 29 MB).
constexpr std::size_t kStreamedA = std::size_t{2} << 20;

// Asks for `rows` rows of kc floats of A (the strip after the running one)
// while the running strip computes: each strip's rows are otherwise
// separate short streams that the hardware prefetchers pick up late, and a
// small-N GEMM (N = 32: one microkernel call per strip) waits on them.
void prefetch_strip(const float* a, std::size_t rows, std::size_t kc, std::size_t lda) {
  constexpr std::size_t kLine = 64 / sizeof(float);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t e = 0; e < kc + kLine; e += kLine) __builtin_prefetch(a + r * lda + e, 0, 3);
}

}  // namespace

const F32GemmVariant kF32GemmVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa, mr, nr) {name, isa, mr, nr, symbol},
#include "f32-gemm-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kF32GemmVariantCount = sizeof(kF32GemmVariants) / sizeof(kF32GemmVariants[0]);

const F32GemmVariant& f32_gemm_best() { return best_variant(kF32GemmVariants); }

void f32_gemm(const F32GemmVariant& variant, std::size_t m, const float* a, std::size_t lda, const F32PackedB& b,
              float* c, std::size_t ldc, const F32GemmParams& params) {
  const std::size_t n = b.n, k = b.k, mr = variant.mr, nr = variant.nr;
  assert(nr % kF32GemmNr == 0);
  assert(b.panels.size() == div_up(n, kF32GemmNr) * k * kF32GemmNr);
  assert(lda >= k && ldc >= n);
  assert(m == 0 || n == 0 || (c != nullptr && (a != nullptr || k == 0)));
  if (m == 0 || n == 0) return;

  // Strips of near-equal height (49 rows: 10 + 10 + 10 + 10 + 9, not
  // 12 + 12 + 12 + 12 + 1): a 1-row strip reads as much of B as a 12-row one.
  const std::size_t strips = div_up(m, mr);
  const std::size_t strip_rows = m / strips, taller = m % strips;
  const std::size_t blocks = div_up(n, nr);
  // Equal K blocks, so the last one is not a sliver. A single strip (GEMV-like
  // calls) is not blocked: its A rows stay cached anyway, and one unbroken
  // stream per panel is what reading B from memory wants. K = 0 is one empty
  // block that still writes clamp(bias).
  const std::size_t k_blocks = k == 0 || strips == 1 ? 1 : div_up(k, kKcMax);
  const std::size_t kc = div_up(k, k_blocks);

  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t tasks_wanted = threads == 1 ? 1 : threads * kTasksPerThread;
  // Split M first (tasks then share nothing but B); split N when M is too
  // short to give every thread its share, as in GEMV-like calls.
  const std::size_t m_tasks = std::min(div_up(strips, kMinStripsPerTask), tasks_wanted);
  std::size_t n_tasks = div_up(blocks, kColumnsPerTaskMax / nr);
  if (m_tasks * n_tasks < tasks_wanted) n_tasks = std::min(blocks, std::max(n_tasks, div_up(tasks_wanted, m_tasks)));
  const TaskGrid grid(strips, blocks, m_tasks, n_tasks);

  const F32GemmUkernel ukernel = variant.ukernel;
  const bool prefetch_a = m * lda * sizeof(float) > kStreamedA;
  const float* packed = b.panels.data();
  const std::size_t panel_stride = k * kF32GemmNr;
  grid.run(m * n * k, [&](const GridTask& task) {
    const std::size_t s_begin = task.strip_begin, s_end = task.strip_end;
    const std::size_t j_begin = task.block_begin, j_end = task.block_end;
    for (std::size_t kb = 0; kb < k_blocks; ++kb) {
      const std::size_t k0 = kb * kc;
      const std::size_t kcb = std::min(kc, k - k0);
      const bool accumulate = kb != 0, last = kb + 1 == k_blocks;
      for (std::size_t s = s_begin; s < s_end; ++s) {
        // The first `taller` strips have one row more.
        const std::size_t row = s * strip_rows + std::min(s, taller);
        const std::size_t rows = strip_rows + (s < taller ? 1 : 0);
        const float* a_strip = a + row * lda + k0;
        if (prefetch_a && s + 1 < s_end) prefetch_strip(a_strip + rows * lda, strip_rows + (s + 1 < taller ? 1 : 0), kcb, lda);
        for (std::size_t j = j_begin; j < j_end; ++j) {
          const std::size_t col = j * nr;
          // Block j starts at panel col / kF32GemmNr.
          ukernel(rows, std::min(nr, n - col), kcb, a_strip, lda, packed + col * k + k0 * kF32GemmNr, panel_stride,
                  c + row * ldc + col, ldc, accumulate, last, params.bias != nullptr ? params.bias + col : nullptr,
                  params.min, params.max);
        }
      }
    }
  });
}

}  // namespace sparq
