// qu8s8-conv2d-nhwc driver: per-tile im2col into a cache-resident buffer,
// then the qu8s8-gemm microkernels on it (see the header).
//
// Why tiles and not the whole im2col matrix: a 3x3 conv's im2col rows are 9
// copies of the image, written to memory and read back by the GEMM (with a
// 56x56x64 image at batch 16: 29 MiB). A tile of <= 256 KiB is written into
// L2 and read from there by every column block's microkernel calls, exactly as
// qu8s8_gemm reads its task's A block; the image itself is read about KH
// times, from L2/L3 (neighbouring windows share their pixels).
//
// The zero-point terms are qu8s8_gemm's (qu8s8-gemm.cc): col_terms[j] folds
// bias, -a_zp * colsum and K * a_zp * b_zp' per column, and the microkernel
// subtracts rowsum(A) * b_zp' when the weights have zero points; the row sums
// are taken on the gathered rows, padding (x_zp) included, as the GEMM takes
// them on the im2col rows. All modulo 2^32.
#include "qu8s8-conv2d-nhwc.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "../common/task-grid.h"
#include "../common/thread-pool.h"

namespace sparq {
namespace {

// A tile's gathered rows stay within 256 KiB of L2 (qu8s8_gemm's A block).
constexpr std::size_t kTileBytesMax = std::size_t{256} << 10;
// Several tasks per thread let the pool balance uneven cores...
constexpr std::size_t kTasksPerThread = 4;
// ...but each task is worth waking a thread for and gathering its tile.
constexpr std::size_t kMinMacsPerTask = std::size_t{8} << 20;

std::size_t div_up(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Bytes a tile buffer holds past its last row: copy_run's overshoot (and the zero tail's).
constexpr std::size_t kCopySlack = 32;

// Copies the n bytes at src to dst. Runs of up to 32 bytes (a stem's kernel
// row, 7 pixels x 3 channels) move 32 bytes when the image has them, a copy
// of constant size that compiles to two 16-byte moves, where a call to
// memcpy cost about as much as the GEMM (7x7/2 stem: gather 0.29 ms, GEMM
// 0.38). The bytes past n land where the row's next run, its zero tail or
// the next row will be written, or in the buffer's slack.
inline void copy_run(uint8_t* dst, const uint8_t* src, std::size_t n, const uint8_t* src_end) {
  if (n <= kCopySlack && static_cast<std::size_t>(src_end - src) >= kCopySlack)
    std::memcpy(dst, src, kCopySlack);
  else
    std::memcpy(dst, src, n);
}

// Writes the window of one output pixel whose columns start at iw0 (x_zp
// where it leaves the image) at d: the general case, for the windows that
// cross a border or are dilated.
void gather_window(const QConv2dNhwcShape& s, const uint8_t* const* src_rows, std::ptrdiff_t iw0, uint8_t x_zp,
                   uint8_t* d, const uint8_t* x_end) {
  using Index = std::ptrdiff_t;
  const std::size_t c = s.channels, run = s.kernel_w * c;
  const Index w = static_cast<Index>(s.width), kw_count = static_cast<Index>(s.kernel_w);
  const Index dw = static_cast<Index>(s.dilation_w);
  // With dilation 1 and the whole kernel row inside, a kernel row is one run of KW*C bytes.
  const bool row_inside = dw == 1 && iw0 >= 0 && iw0 + kw_count <= w;
  for (std::size_t kh = 0; kh < s.kernel_h; ++kh, d += run) {
    const uint8_t* pixels = src_rows[kh];
    if (pixels == nullptr) {
      std::memset(d, x_zp, run);
    } else if (row_inside) {
      copy_run(d, pixels + static_cast<std::size_t>(iw0) * c, run, x_end);
    } else {
      for (Index kw = 0; kw < kw_count; ++kw) {
        const Index iw = iw0 + kw * dw;
        uint8_t* tap = d + static_cast<std::size_t>(kw) * c;
        if (iw < 0 || iw >= w)
          std::memset(tap, x_zp, c);
        else
          copy_run(tap, pixels + static_cast<std::size_t>(iw) * c, c, x_end);
      }
    }
  }
}

// The output columns [begin, end) of one output row whose windows lie wholly
// in the image rows `src_rows` (all present) and whose kernel rows each move
// as one copy of `bytes` >= KW*C (dilation 1, KW*C <= kCopySlack, every read
// inside x). Empty when the row has none.
struct InnerColumns {
  std::size_t begin = 0, end = 0, bytes = 0;
};

InnerColumns inner_columns(const QConv2dNhwcShape& s, const uint8_t* const* src_rows, const uint8_t* x_end) {
  const std::size_t c = s.channels, sw = s.stride_w, pl = s.pad_left, run = s.kernel_w * c;
  if (s.dilation_w != 1 || run > kCopySlack || s.width + pl < s.kernel_w) return {};
  for (std::size_t kh = 0; kh < s.kernel_h; ++kh)
    if (src_rows[kh] == nullptr) return {};
  // A 3x3 stem's 9-byte kernel rows move 16 bytes (one load and store each), a 7x7's 21 bytes 32.
  const std::size_t bytes = run <= kCopySlack / 2 ? kCopySlack / 2 : kCopySlack;
  // The last kernel row lies highest in x: its copy from column iw0 must end
  // inside x (iw0 <= last_iw0).
  const std::size_t available = static_cast<std::size_t>(x_end - src_rows[s.kernel_h - 1]);
  if (available < bytes) return {};
  const std::size_t last_iw0 = (available - bytes) / c;
  // iw0 = ow * sw - pl: from the first ow with iw0 >= 0 to the last with
  // iw0 + KW <= width and iw0 <= last_iw0.
  const std::size_t begin = div_up(pl, sw);
  const std::size_t end = std::min((s.width + pl - s.kernel_w) / sw, (last_iw0 + pl) / sw) + 1;
  return {begin, std::max(begin, std::min(end, s.out_w)), bytes};
}

// Writes the windows of output columns [begin, end) of InnerColumns, from
// `row` on: each kernel row one copy of kBytes (a constant size: two or one
// 16-byte moves, no call), overshooting as copy_run does, then the zero tail.
// kKernelH: the kernel height fixed at compile time, or 0 for s.kernel_h. A
// 3x3 kernel's three copies then unroll with their source rows in registers
// (the 3x3/2 stems: 7-16% faster than with the loop over kh).
template <std::size_t kBytes, std::size_t kKernelH>
void gather_inner(const QConv2dNhwcShape& s, const uint8_t* const* src_rows, std::size_t begin, std::size_t end,
                  uint8_t* row, std::size_t stride) {
  const std::size_t kernel_h = kKernelH != 0 ? kKernelH : s.kernel_h;
  const std::size_t c = s.channels, run = s.kernel_w * c, k = kernel_h * run, step = s.stride_w * c;
  const uint32_t zeros = 0;
  std::size_t at = (begin * s.stride_w - s.pad_left) * c;
  for (std::size_t ow = begin; ow < end; ++ow, row += stride, at += step) {
    for (std::size_t kh = 0; kh < kernel_h; ++kh) std::memcpy(row + kh * run, src_rows[kh] + at, kBytes);
    std::memcpy(row + k, &zeros, sizeof(zeros));
  }
}

// gather_inner for the copy size of `inner` and the kernel height of s.
void gather_inner_columns(const QConv2dNhwcShape& s, const uint8_t* const* src_rows, const InnerColumns& inner,
                          std::size_t begin, std::size_t end, uint8_t* row, std::size_t stride) {
  constexpr std::size_t kLong = kCopySlack, kShort = kCopySlack / 2;
  const bool three = s.kernel_h == 3;
  if (inner.bytes == kLong)
    (three ? gather_inner<kLong, 3> : gather_inner<kLong, 0>)(s, src_rows, begin, end, row, stride);
  else
    (three ? gather_inner<kShort, 3> : gather_inner<kShort, 0>)(s, src_rows, begin, end, row, stride);
}

// Writes the windows of output pixels [first, first + rows) as rows at
// `stride`: (kh, kw, c), c fastest (W''s row order), x_zp where the window
// leaves the image, then zeros up to k_padded (which meet the panel's zero rows).
// Rows are written in order, each from its start: copy_run's overshoot is
// always overwritten or past k_padded. The pixels go one output row segment
// at a time, whose windows read the same image rows (`kernel_rows`, one per
// kh, null in the padding). Its inner columns (most of a stem's row) are
// fixed-size copies in a loop of their own (gather_inner), with no per-pixel
// checks: at a stem's K = 27 a row's GEMM is a few cycles, and the general
// loop's branches and spilled counters took longer than the GEMM.
void gather(const QConv2dNhwcShape& s, const uint8_t* x, uint8_t x_zp, std::size_t first, std::size_t rows, uint8_t* dst,
            std::size_t stride, std::vector<const uint8_t*>* kernel_rows) {
  using Index = std::ptrdiff_t;
  const std::size_t c = s.channels, k = s.kernel_h * s.kernel_w * c;
  const std::size_t image = s.height * s.width * c, row_bytes = s.width * c;
  const uint8_t* x_end = x + s.batch * image;
  const Index h = static_cast<Index>(s.height);
  const Index sw = static_cast<Index>(s.stride_w), pl = static_cast<Index>(s.pad_left);
  kernel_rows->resize(s.kernel_h);
  const uint8_t** src_rows = kernel_rows->data();
  // The k_padded - k < 4 zero bytes as one 4-byte store, not a call (its overshoot lands as copy_run's does).
  const uint32_t zeros = 0;
  // Output columns [from, to) of the current segment through gather_window, from row d on.
  const auto general = [&](std::size_t from, std::size_t to, uint8_t* d) {
    for (std::size_t ow = from; ow < to; ++ow, d += stride) {
      gather_window(s, src_rows, static_cast<Index>(ow) * sw - pl, x_zp, d, x_end);
      std::memcpy(d + k, &zeros, sizeof(zeros));
    }
  };
  std::size_t r = 0, pixel = first;
  while (r < rows) {
    const std::size_t b = pixel / (s.out_h * s.out_w), oh = pixel / s.out_w % s.out_h, ow_first = pixel % s.out_w;
    const std::size_t ow_end = ow_first + std::min(rows - r, s.out_w - ow_first);
    const Index ih0 = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
    for (std::size_t kh = 0; kh < s.kernel_h; ++kh) {
      const Index ih = ih0 + static_cast<Index>(kh * s.dilation_h);
      src_rows[kh] = ih < 0 || ih >= h ? nullptr : x + b * image + static_cast<std::size_t>(ih) * row_bytes;
    }
    const InnerColumns inner = inner_columns(s, src_rows, x_end);
    const std::size_t inner_begin = std::clamp(inner.begin, ow_first, ow_end);
    const std::size_t inner_end = std::clamp(inner.end, inner_begin, ow_end);
    uint8_t* row = dst + r * stride;
    general(ow_first, inner_begin, row);
    if (inner_begin < inner_end)
      gather_inner_columns(s, src_rows, inner, inner_begin, inner_end, row + (inner_begin - ow_first) * stride, stride);
    general(inner_end, ow_end, row + (inner_end - ow_first) * stride);
    r += ow_end - ow_first;
    pixel += ow_end - ow_first;
  }
}

// sum over the real K of each gathered row (uint32, wrapping like every correction term).
void row_sums_of(const uint8_t* rows_data, std::size_t rows, std::size_t k, std::size_t stride, int32_t* sums) {
  for (std::size_t r = 0; r < rows; ++r) {
    const uint8_t* row = rows_data + r * stride;
    uint32_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += row[i];
    sums[r] = static_cast<int32_t>(sum);
  }
}

}  // namespace

aligned_vector<uint8_t> QConv2dNhwcScratch::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) return {};
  aligned_vector<uint8_t> buffer = std::move(free_.back());
  free_.pop_back();
  return buffer;
}

void QConv2dNhwcScratch::give_back(aligned_vector<uint8_t> buffer) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(std::move(buffer));
}

void qu8s8_conv2d_nhwc(const QGemmVariant& variant, const QConv2dNhwcShape& s, const QPackedB& w, const uint8_t* x,
                       void* y, std::size_t ldc, const QGemmParams& params, QConv2dNhwcScratch* scratch) {
  const std::size_t n = w.n, k = w.k, kp = w.k_padded, mr = variant.mr, nr = variant.nr;
  const std::size_t m = s.batch * s.out_h * s.out_w;
  const std::size_t blocks = div_up(n, nr);
  assert(w.narrow || !variant.needs_narrow);
  assert(k == s.kernel_h * s.kernel_w * s.channels && k >= 1);
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(ldc >= n && scratch != nullptr);
  assert(kCacheLine % variant.a_align == 0);
  if (m == 0 || n == 0) return;

  const QGemmCall call(variant, w, params);

  // Tiles of whole strips within kTileBytesMax; more (and N split) when
  // there are too few for the threads, as qu8s8_gemm splits its work.
  const std::size_t stride = div_up(kp, variant.a_align) * variant.a_align;
  const std::size_t strips = div_up(m, mr);
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  // One thread runs the tasks in turn: fewer tiles then read the weights fewer times.
  const std::size_t tasks_wanted =
      threads == 1 ? 1 : std::max<std::size_t>(1, std::min(threads * kTasksPerThread, m * n * k / kMinMacsPerTask));
  std::size_t tiles = div_up(strips, std::max<std::size_t>(1, kTileBytesMax / (mr * stride)));
  tiles = std::max(tiles, std::min(strips, tasks_wanted));
  const std::size_t n_tasks = tiles < tasks_wanted ? std::min(blocks, div_up(tasks_wanted, tiles)) : 1;
  const TaskGrid grid(strips, blocks, tiles, n_tasks);
  const std::size_t tile_strips = grid.strips_per_task();

  void (*const finish)() = variant.finish;
  const std::size_t elem = qgemm_output_size(params.output);
  const uint8_t x_zp = params.a_zero_point;
  grid.run(m * n * k / 4, [&](const GridTask& task) {  // 4-byte int8 groups, parallel_for's unit
    const std::size_t row_begin = task.strip_begin * mr, row_end = std::min(m, task.strip_end * mr);
    aligned_vector<uint8_t> buffer = scratch->take();
    if (buffer.size() < tile_strips * mr * stride + kCopySlack) buffer.resize(tile_strips * mr * stride + kCopySlack);
    std::vector<const uint8_t*> kernel_rows;
    gather(s, x, x_zp, row_begin, row_end - row_begin, buffer.data(), stride, &kernel_rows);
    std::vector<int32_t> row_sums(call.wants_row_sums() ? row_end - row_begin : 0);
    if (call.wants_row_sums()) row_sums_of(buffer.data(), row_end - row_begin, k, stride, row_sums.data());
    call.run(row_end - row_begin, buffer.data(), stride, call.wants_row_sums() ? row_sums.data() : nullptr,
             task.block_begin, task.block_end, static_cast<uint8_t*>(y) + row_begin * ldc * elem, ldc);
    if (finish != nullptr) finish();
    scratch->give_back(std::move(buffer));
  });
}

}  // namespace sparq
