// f32-spmm on channels-last activations: Y[P, N] = X[P, K] * W^T, for convs
// in the NHWC layout (a 1x1 conv's image as it lies, or its NHWC im2col rows).
// The kernels want X channels-first, pixels contiguous along a row, so the
// driver cuts the pixels into tiles of kTile, transposes each tile into a
// [K, kTile] panel the kernel's X loads then hit in cache, runs the variant's
// kernel on the panel into a [N, kTile] panel (bias and clamp fused), and
// transposes that back into the tile's rows of Y. One kernel per ISA thus
// serves both layouts, and each output is the same arithmetic as in f32_spmm:
// bit-identical results, for any thread count.
#include <algorithm>
#include <vector>

#include "f32-spmm.h"
#include "../common/aligned-vector.h"
#include "../common/split-by-cost.h"
#include "../common/thread-pool.h"
#include "../f32-nonfinite/f32-nonfinite.h"
#include "../x32-transpose/x32-transpose.h"

namespace sparq {
namespace {

// Pixels per panel: the widest variant's step (64 columns), so a whole tile
// runs whole steps; a panel of K = 2304 (3x3 x 256 im2col rows) is 576 KiB,
// still an L2 resident.
constexpr std::size_t kTile = 64;
// As f32_spmm: multiply-adds per task below which a wake-up costs more than it saves.
constexpr std::size_t kMinMacsPerTask = std::size_t{1} << 18;
constexpr std::size_t kTasksPerThread = 4;

// Block rows [b_begin, b_end) of `w` as a weights view of their own (a kernel call's and the fix-up's).
F32SparseWeights block_rows(F32SpmmFormat format, const F32SparseWeights& w, std::size_t b_begin, std::size_t b_end) {
  const std::size_t r = f32_spmm_block_rows(format);
  F32SparseWeights view = w;
  view.rows = (b_end - b_begin) * r;
  if (format == F32SpmmFormat::kNm) {
    // Row b's entries start at b * groups * n (NmEntries), so the view starts there.
    const std::size_t first = b_begin * w.groups * w.nm_n;
    view.positions += first;
    view.values += first;
  } else {
    view.indptr += b_begin;  // indptr holds absolute entry numbers: indices and values stay
  }
  return view;
}

// The epilogue of a view starting at output row `row_begin`.
F32SpmmParams params_for(const F32SpmmParams& params, std::size_t row_begin) {
  F32SpmmParams p = params;
  if (p.bias != nullptr) p.bias += row_begin;
  return p;
}

// Per-thread panels: X's tile [K, kTile] and the kernel's output [N, kTile].
struct Panels {
  aligned_vector<float> x, y;
};

Panels& thread_panels(std::size_t k, std::size_t n) {
  thread_local Panels panels;
  if (panels.x.size() < k * kTile) panels.x.resize(k * kTile);
  if (panels.y.size() < n * kTile) panels.y.resize(n * kTile);
  return panels;
}

}  // namespace

void f32_spmm_nhwc(const F32SpmmVariant& variant, F32SpmmFormat format, const F32SparseWeights& w, std::size_t pixels,
                   const float* x, std::size_t ldx, float* y, std::size_t ldy, const F32SpmmParams& params) {
  const std::size_t r = f32_spmm_block_rows(format), blocks = w.rows / r, k = w.cols;
  if (blocks == 0 || pixels == 0) return;
  const F32SpmmFn fn = variant.kernel(format);
  const F32NonfiniteFn check = f32_nonfinite_best().fn;
  const TransposeVariant& transpose = transpose_best();
  std::size_t total = 0;
  for (std::size_t b = 0; b < blocks; ++b) total += f32_spmm_block_row_cost(format, w, b);
  // Tiles first; few of them (a 7x7 map) are split further into row groups
  // of about equal stored weights, each transposing its tile itself.
  const std::size_t tiles = (pixels + kTile - 1) / kTile;
  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t wanted = std::max<std::size_t>(1, std::min(threads * kTasksPerThread, total * pixels / kMinMacsPerTask));
  const std::size_t row_groups = std::max<std::size_t>(1, std::min(blocks, (wanted + tiles - 1) / tiles));
  const std::vector<std::size_t> bounds =
      split_by_cost(blocks, row_groups, total, [&](std::size_t b) { return f32_spmm_block_row_cost(format, w, b); });
  const std::size_t groups = bounds.size() - 1;
  // Each group's rows as a view, and the X rows that view does not store: an
  // Inf or NaN in a row it stores makes an Inf or NaN sum, which its kernel
  // call reports; those in the other rows are looked for in each panel.
  std::vector<F32SparseWeights> views;
  std::vector<std::vector<std::size_t>> unread;
  for (std::size_t g = 0; g < groups; ++g) {
    views.push_back(block_rows(format, w, bounds[g], bounds[g + 1]));
    unread.push_back(f32_spmm_unread_rows(format, views.back()));
  }
  parallel_for(tiles * groups, [&](std::size_t task) {
    const std::size_t tile = task / groups, g = task % groups;
    const std::size_t p0 = tile * kTile, t = std::min(kTile, pixels - p0);
    const std::size_t row_begin = bounds[g] * r, row_end = bounds[g + 1] * r;
    Panels& panels = thread_panels(k, w.rows);
    float* xp = panels.x.data();
    float* yp = panels.y.data();
    transpose.x32(t, k, reinterpret_cast<const uint32_t*>(x + p0 * ldx), ldx, reinterpret_cast<uint32_t*>(xp), kTile);
    float* yg = yp + row_begin * kTile;
    const F32SparseWeights& view = views[g];
    bool nonfinite = fn(view, 0, view.rows, 0, t, xp, kTile, yg, kTile, params_for(params, row_begin));
    for (std::size_t i = 0; i < unread[g].size() && !nonfinite; ++i) nonfinite = check(t, xp + unread[g][i] * kTile, nullptr);
    if (nonfinite) f32_spmm_propagate_nonfinite(format, view, t, xp, kTile, yg, kTile);
    transpose.x32(row_end - row_begin, t, reinterpret_cast<const uint32_t*>(yp + row_begin * kTile), kTile,
                  reinterpret_cast<uint32_t*>(y + p0 * ldy + row_begin), ldy);
  });
}

}  // namespace sparq
