// qu8s8-gemm driver: zero-point corrections, edges, output stage and
// threading around one microkernel.
//
// The output stage (qs32-qx8-requantize's formula) runs inside the
// microkernels' store path, on accumulators still in registers: calling the
// requantize row function on every 16-value tile row instead (through a
// pointer, with its setup per call, after a round trip through a stack tile)
// cost 25-45% of the GEMM's time with uint8 output (AMX at 256^3: 518 vs
// 812 GOP/s with int32 output; now 787 vs 859, and at M=57600 N=32 K=27 uint8
// is faster than int32, 274 vs 150, as it writes a quarter of the bytes). The
// driver resolves the stage once per call into a QGemmStore: per-column
// multipliers padded to whole panels (a per-tensor one repeated), the float
// clamp bounds and the zero point.
//
// Per call, col_terms[j] = bias[j] - a_zp * colsum[j] + K * a_zp * b_zp'[j]
// folds everything that depends on the column alone; the microkernel adds it
// and, when B has zero points, subtracts rowsum(A[i]) * b_zp'[j]. All of it is
// modulo 2^32, so the result is the reference's wrapping int32 exactly.
//
// The output is cut into tasks, each a block of MR-row strips x column
// blocks (the variant's nr columns: one 16-column panel or two), run on the
// thread pool. In a task each block (k_padded x nr bytes, 16 KiB per panel at
// K = 1024) stays in L1 while the task's A block (<= 256 KiB) streams from L2
// through it; measured 186 vs 134 GOP/s at 1024^3 against the strip-outer
// order, which streamed B from L2 instead. Each microkernel call
// covers the whole K, so every C element is one call's arithmetic whatever the
// tiling: results are bit-identical for any thread count.
#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "qu8s8-gemm.h"
#include "../common/task-grid.h"
#include "../common/thread-pool.h"

namespace sparq {

#define SPARQ_VARIANT(symbol, name, isa, mr, nr, needs_narrow, a_align, finish) std::remove_pointer_t<QGemmUkernel> symbol;
#include "qu8s8-gemm-variants.inc"
#undef SPARQ_VARIANT
#if SPARQ_HAVE_AVX2
void qu8s8_gemm_32x16c4_amx_finish();
#endif

namespace {

constexpr std::size_t kNr = kQGemmNr;
// A task's A block (its strips x k_padded bytes) stays within 256 KiB of L2.
constexpr std::size_t kABlockBytesMax = std::size_t{256} << 10;
// A task reads its whole B block once; at least 8 strips amortize that.
constexpr std::size_t kMinStripsPerTask = 8;
// Several tasks per thread let the pool balance uneven cores.
constexpr std::size_t kTasksPerThread = 4;
// ...but each task is worth waking a thread for (a few microseconds) and
// copying its A rows: at 256^3 eight tasks ran slower on two threads than one
// task on one (375 vs 690 GOP/s with AMX).
constexpr std::size_t kMinMacsPerTask = std::size_t{8} << 20;

std::size_t div_up(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

}  // namespace

const QGemmVariant kQGemmVariants[] = {
#define SPARQ_VARIANT(symbol, name, isa, mr, nr, needs_narrow, a_align, finish) {name, isa, mr, nr, needs_narrow, a_align, symbol, finish},
#include "qu8s8-gemm-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kQGemmVariantCount = sizeof(kQGemmVariants) / sizeof(kQGemmVariants[0]);

std::size_t qgemm_output_size(QOutput output) {
  switch (output) {
    case QOutput::kInt32: return 4;
    case QOutput::kUint8: return 1;
    case QOutput::kInt8: return 1;
    case QOutput::kFloat32: return 4;
  }
  return 4;
}

// Not cached: set_isa_limit() may change the answer at run time.
const QGemmVariant& qu8s8_gemm_best(const QPackedB& b) {
  for (const QGemmVariant& v : kQGemmVariants)
    if (isa_supported(v.isa) && (b.narrow || !v.needs_narrow)) return v;
  return kQGemmVariants[kQGemmVariantCount - 1];
}

QGemmStore qgemm_output_store(const QGemmParams& params, std::size_t count, std::size_t padded,
                              std::vector<float>* multipliers) {
  const RequantizeRow& stage = params.stage;
  const QOutput output = params.output;
  assert(stage.bias_stride <= 1 && stage.multiplier_stride <= 1);
  assert(output == QOutput::kInt32 || stage.multiplier != nullptr);
  QGemmStore store;
  store.output = output;
  if (output != QOutput::kInt32) {
    multipliers->assign(padded, 0.0f);
    for (std::size_t j = 0; j < count; ++j) {
      float mul = stage.multiplier[j * stage.multiplier_stride];
      // Quantized outputs: a product that is NaN (NaN multiplier, or inf x 0)
      // becomes the zero point. NaN -> 0 and +-inf -> +-FLT_MAX give every
      // int32 accumulator the same clamped result (float(acc) is 0 or at
      // least 1 in magnitude, so acc * FLT_MAX is 0 or beyond every bound)
      // and a product that is never NaN, so the kernels skip that step.
      if (output != QOutput::kFloat32) mul = std::isnan(mul) ? 0.0f : std::max(-FLT_MAX, std::min(FLT_MAX, mul));
      (*multipliers)[j] = mul;
    }
  }
  if (output == QOutput::kFloat32) {
    store.lo = stage.fmin;
    store.hi = stage.fmax;
  } else if (output != QOutput::kInt32) {
    assert(output == QOutput::kUint8 ? stage.out_min >= 0 && stage.out_max <= 255
                                     : stage.out_min >= -128 && stage.out_max <= 127);
    assert(stage.out_min <= stage.out_max);
    // |zero_point| <= 2^22 keeps the float bounds exact (see qs32-qx8-requantize).
    assert(stage.zero_point >= -(1 << 22) && stage.zero_point <= (1 << 22));
    store.lo = static_cast<float>(stage.out_min - stage.zero_point);
    store.hi = static_cast<float>(stage.out_max - stage.zero_point);
    store.zero_point = stage.zero_point;
    store.saturating = stage.zero_point >= -255 && stage.zero_point <= 255 &&
                       std::all_of(multipliers->begin(), multipliers->end(), [](float m) { return std::fabs(m) < 1.0f; });
  }
  return store;
}

QGemmCall::QGemmCall(const QGemmVariant& variant, const QPackedB& b, const QGemmParams& params)
    : variant_(variant),
      b_(b),
      output_(params.output),
      col_zero_points_(b.has_zero_points ? b.zero_points.data() : nullptr) {
  assert(variant.nr % kNr == 0);
  assert(b.narrow || !variant.needs_narrow);
  const std::size_t n = b.n, panels = div_up(n, kNr);
  const RequantizeRow& stage = params.stage;
  const uint32_t a_zp = params.a_zero_point;
  // NEON dot-product microkernels sum (A - 128) * B' (see QGemmUkernel):
  // A - a_zp = (A - 128) - (a_zp - 128), so their column term takes
  // a_zp - 128 where the others take a_zp.
  const uint32_t a_shift = variant.isa == Isa::kNeonDot ? 128u : 0u;
  col_terms_.assign(panels * kNr, 0);
  for (std::size_t j = 0; j < n; ++j) {
    uint32_t t = stage.bias != nullptr ? static_cast<uint32_t>(stage.bias[j * stage.bias_stride]) : 0u;
    t -= (a_zp - a_shift) * static_cast<uint32_t>(b.column_sums[j]);
    if (col_zero_points_ != nullptr) t += static_cast<uint32_t>(b.k) * a_zp * static_cast<uint32_t>(col_zero_points_[j]);
    col_terms_[j] = static_cast<int32_t>(t);
  }
  store_ = qgemm_output_store(params, n, panels * kNr, &col_multipliers_);
}

void QGemmCall::run(std::size_t rows, const uint8_t* a, std::size_t lda, const int32_t* row_sums,
                    std::size_t block_begin, std::size_t block_end, void* c, std::size_t ldc) const {
  const std::size_t n = b_.n, kp = b_.k_padded, mr = variant_.mr, nr = variant_.nr;
  const std::size_t elem = qgemm_output_size(output_);
  const QGemmUkernel ukernel = variant_.ukernel;
  // Block-outer: the block (kp x nr bytes) stays in L1 while the rows
  // stream from L2 through it.
  for (std::size_t j = block_begin; j < block_end; ++j) {
    const std::size_t col = j * nr, cols = std::min(nr, n - col);
    const int8_t* panel = b_.panels.data() + col * kp;
    const int32_t* zps = col_zero_points_ != nullptr ? col_zero_points_ + col : nullptr;
    QGemmStore st = store_;
    if (output_ != QOutput::kInt32) st.multipliers = &col_multipliers_[col];
    for (std::size_t row = 0; row < rows; row += mr) {
      // A is null only when K is 0 (nothing is read).
      const uint8_t* a_strip = a != nullptr ? a + row * lda : nullptr;
      void* c_tile = static_cast<uint8_t*>(c) + (row * ldc + col) * elem;
      ukernel(std::min(mr, rows - row), cols, kp, a_strip, lda, panel, &col_terms_[col], zps,
              row_sums != nullptr ? row_sums + row : nullptr, st, c_tile, ldc);
    }
  }
}

void qu8s8_gemm(const QGemmVariant& variant, std::size_t m, const uint8_t* a, std::size_t lda, const QPackedB& b,
                void* c, std::size_t ldc, const QGemmParams& params) {
  const std::size_t n = b.n, k = b.k, kp = b.k_padded, mr = variant.mr, nr = variant.nr;
  const std::size_t blocks = div_up(n, nr);
  assert(mr >= 1);
  assert(b.panels.size() == div_up(n, kNr) * kp * kNr && b.column_sums.size() == div_up(n, kNr) * kNr);
  assert(lda >= k && ldc >= n);
  assert(m == 0 || n == 0 || (c != nullptr && (a != nullptr || k == 0)));
  if (m == 0 || n == 0) return;
  const QGemmCall call(variant, b, params);

  const std::size_t strips = div_up(m, mr);
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t macs = m * n * std::max<std::size_t>(k, 1);
  const std::size_t tasks_wanted = std::max<std::size_t>(1, std::min(threads * kTasksPerThread, macs / kMinMacsPerTask));
  // Split M first (tasks then share nothing but B); split N when M is too
  // short to give every thread its share, as in GEMV-like calls. A task's A
  // block stays within kABlockBytesMax.
  const std::size_t strip_bytes = mr * std::max<std::size_t>(kp, 1);
  std::size_t m_tasks = std::min(div_up(strips, kMinStripsPerTask), tasks_wanted);
  m_tasks = std::max(m_tasks, div_up(strips * strip_bytes, kABlockBytesMax));
  const std::size_t n_tasks = m_tasks < tasks_wanted ? std::min(blocks, div_up(tasks_wanted, m_tasks)) : 1;
  const TaskGrid grid(strips, blocks, m_tasks, n_tasks);

  // Rows whose kp-byte read would run past A's last byte, (m-1)*lda + k: only
  // the last few rows, and only when K is not a multiple of 4. Strips from
  // first_copied_strip on read a zero-padded copy. A variant that wants
  // aligned rows reads a copy of every row when A's are not aligned.
  const std::size_t a_end = (m - 1) * lda + k;
  const std::size_t safe_rows = kp == k ? m : std::min(m, a_end >= kp ? (a_end - kp) / lda + 1 : 0);
  const std::size_t align = variant.a_align;
  const bool misaligned = a != nullptr && (reinterpret_cast<std::uintptr_t>(a) % align != 0 || lda % align != 0);
  const std::size_t first_copied_strip = misaligned ? 0 : safe_rows == m ? strips : safe_rows / mr;
  const std::size_t copy_stride = div_up(kp, align) * align;

  void (*const finish)() = variant.finish;
  const std::size_t elem = qgemm_output_size(params.output);
  grid.run(macs / 4, [&](const GridTask& task) {  // 4-byte int8 groups, parallel_for's unit
    const std::size_t row_begin = task.strip_begin * mr, row_end = std::min(m, task.strip_end * mr);
    // The copied rows of this task, zero-padded to kp, at copy_stride.
    std::vector<uint8_t> a_copy_storage;
    uint8_t* a_copy = nullptr;
    const std::size_t copy_row = std::max(row_begin, first_copied_strip * mr);
    if (copy_row < row_end) {
      a_copy_storage.assign((row_end - copy_row) * copy_stride + align - 1, 0);
      a_copy = a_copy_storage.data() + (align - reinterpret_cast<std::uintptr_t>(a_copy_storage.data()) % align) % align;
      for (std::size_t r = copy_row; r < row_end; ++r) std::memcpy(&a_copy[(r - copy_row) * copy_stride], a + r * lda, k);
    }
    std::vector<int32_t> row_sums(call.wants_row_sums() ? row_end - row_begin : 0);
    for (std::size_t r = 0; r < row_sums.size(); ++r) {
      uint32_t sum = 0;
      for (std::size_t kk = 0; kk < k; ++kk) sum += a[(row_begin + r) * lda + kk];
      row_sums[r] = static_cast<int32_t>(sum);
    }
    const int32_t* sums = call.wants_row_sums() ? row_sums.data() : nullptr;
    // The rows read in place, then the copied ones (copy_row is a strip boundary).
    const std::size_t in_place_end = std::min(copy_row, row_end);
    if (row_begin < in_place_end)
      call.run(in_place_end - row_begin, a != nullptr ? a + row_begin * lda : nullptr, lda, sums, task.block_begin,
               task.block_end, static_cast<uint8_t*>(c) + row_begin * ldc * elem, ldc);
    if (copy_row < row_end)
      call.run(row_end - copy_row, a_copy, copy_stride, sums != nullptr ? sums + (copy_row - row_begin) : nullptr,
               task.block_begin, task.block_end, static_cast<uint8_t*>(c) + copy_row * ldc * elem, ldc);
    if (finish != nullptr) finish();
  });
}

}  // namespace sparq
