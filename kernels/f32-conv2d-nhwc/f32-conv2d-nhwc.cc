// f32-conv2d-nhwc driver: the plan's strips, cache blocking and threading
// around one f32-gemm microkernel (the layout and the strips are explained in
// f32-conv2d-nhwc.h).
//
// The work is cut into tasks, each a range of strips x a range of NR-column
// blocks, run on the thread pool. One task, in groups of strips:
//   for each K block (window row kh, a chunk of its columns):
//     for each strip of the group:   the strip's A rows (MR x kc of x) stay in
//       for each column block:       L1 while they meet every block slice, the
//         microkernel                task's B block (kc x its columns) stays in
//                                    L2 while the group's strips stream by, and
//                                    so does the group's output tile, which
//                                    every K block reads and writes again.
// A strip's first K block in its tap range starts the tile (accumulate =
// false), its last adds bias and clamps; blocks outside its range are skipped.
// Gathered blocks (small maps) run the same loops, each strip's K block
// copied into the task's buffer before it meets the column blocks; a strip
// takes every K block of its window rows (zeros in the padding columns).
// Gathered plans (small windows, f32-conv2d-nhwc.h) have one K block: each
// strip is copied into the task's buffer and meets every column block once.
//
// Determinism: each output element is computed by the same calls in the same
// order whatever the thread count (strips and K blocks depend only on the
// shape), so results are bit-identical for any thread count.
#include "f32-conv2d-nhwc.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "../common/task-grid.h"
#include "../common/thread-pool.h"

namespace sparq {
namespace {

// Values of K per call: a 12 x 512 A strip is 24 KiB of a 32-48 KiB L1, and
// a 512 x 256 B block 512 KiB, half of a 1 MiB L2 (AMD Zen 4/5; Intel's are
// 1.25-2 MiB). A block the size of L2 (512 x 512 at ResNet's 7x7 layers)
// was read from L3 again by every strip.
constexpr std::size_t kKcMax = 512;
constexpr std::size_t kColumnsPerTaskMax = 256;
// A task reads its whole B block once per K block; at least 8 strips amortize that.
constexpr std::size_t kMinStripsPerTask = 8;
// Several tasks per thread let the pool balance uneven cores.
constexpr std::size_t kTasksPerThread = 4;
// The output tile of a group of strips, read and written once per K block,
// stays in L2 beside the B block (a quarter of 1 MiB). Without groups a
// task streamed its whole output (3 MiB at the 7x7 stem) once per K block.
constexpr std::size_t kGroupOutputBytes = 256 * 1024;

std::size_t div_up(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Output positions [begin, end) along one axis whose in-range taps are [lo, hi).
struct TapRun {
  std::size_t begin, end, lo, hi;
};

// The taps t < kernel of output position o that land inside [0, size):
// 0 <= o*stride - pad + t*dilation < size. Empty ranges are [0, 0).
void valid_taps(std::size_t o, std::size_t stride, std::size_t pad, std::size_t dilation, std::size_t size,
                std::size_t kernel, std::size_t* lo, std::size_t* hi) {
  const std::ptrdiff_t start = static_cast<std::ptrdiff_t>(o * stride) - static_cast<std::ptrdiff_t>(pad);
  const std::ptrdiff_t d = static_cast<std::ptrdiff_t>(dilation);
  const std::ptrdiff_t first = start >= 0 ? 0 : (-start + d - 1) / d;
  const std::ptrdiff_t last_in = static_cast<std::ptrdiff_t>(size) - 1 - start;  // t * dilation <= last_in
  const std::ptrdiff_t end = last_in < 0 ? 0 : std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(kernel), last_in / d + 1);
  if (first >= end) {
    *lo = *hi = 0;
  } else {
    *lo = static_cast<std::size_t>(first);
    *hi = static_cast<std::size_t>(end);
  }
}

// Consecutive output positions grouped by their tap range.
std::vector<TapRun> tap_runs(std::size_t out, std::size_t stride, std::size_t pad, std::size_t dilation, std::size_t size,
                             std::size_t kernel) {
  std::vector<TapRun> runs;
  for (std::size_t o = 0; o < out; ++o) {
    std::size_t lo, hi;
    valid_taps(o, stride, pad, dilation, size, kernel, &lo, &hi);
    if (!runs.empty() && runs.back().lo == lo && runs.back().hi == hi) ++runs.back().end;
    else runs.push_back({o, o + 1, lo, hi});
  }
  return runs;
}

// Copies of a few floats (a window row of a 3-channel stem is 9 or 21):
// inline loops, 4 floats per step, where memcpy/memset calls would cost more
// than the copy.
void copy_floats(float* dst, const float* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float a = src[i], b = src[i + 1], c = src[i + 2], d = src[i + 3];
    dst[i] = a, dst[i + 1] = b, dst[i + 2] = c, dst[i + 3] = d;
  }
  for (; i < n; ++i) dst[i] = src[i];
}

void fill_zeros(float* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = 0.0f;
}

// Cuts `length` positions into ceil(length / mr) pieces of near-equal size,
// calling piece(begin, count) for each: a 14-pixel run is 7 + 7, not 12 + 2,
// since a microkernel call costs about as much per row at 7 rows as at 12.
template <typename Piece>
void split_evenly(std::size_t length, std::size_t mr, Piece piece) {
  const std::size_t pieces = div_up(length, mr);
  for (std::size_t i = 0, begin = 0; i < pieces; ++i) {
    const std::size_t count = length / pieces + (i < length % pieces ? 1 : 0);
    piece(begin, count);
    begin += count;
  }
}

// What gathering a strip reads, as values (not the plan's references), so
// the per-pixel loop keeps them in registers.
struct Window {
  const float* x;
  std::size_t c, kernel_h, kernel_w, stride_w, pad_left, dilation_w, width;
  std::ptrdiff_t kh_step, kw_step;  // input floats between window rows, window columns
  std::ptrdiff_t plane;             // channels first: input floats between channels
};

// Whether every window column of output column ow lies inside x.
bool columns_whole(const Window& w, std::size_t ow) {
  const std::size_t start = ow * w.stride_w;
  return start >= w.pad_left && start - w.pad_left + (w.kernel_w - 1) * w.dilation_w < w.width;
}

// The window columns [kw_lo, kw_hi) of output column ow that lie inside x.
// Interior pixels (the whole window row inside x) skip valid_taps' divisions.
void window_columns(const Window& w, std::size_t ow, std::size_t* kw_lo, std::size_t* kw_hi) {
  *kw_lo = 0, *kw_hi = w.kernel_w;
  if (!columns_whole(w, ow)) valid_taps(ow, w.stride_w, w.pad_left, w.dilation_w, w.width, w.kernel_w, kw_lo, kw_hi);
}

// Pixels [p_begin, p_end) of the strip into buf (rows of K = KH*KW*C,
// (kh, kw, c) as W's), each window clipped to x, zeros in the padding.
void gather_clipped(const Window& w, const F32Conv2dNhwcStrip& st, std::size_t p_begin, std::size_t p_end, float* buf) {
  const std::size_t row = w.kernel_w * w.c, k = w.kernel_h * row;
  for (std::size_t p = p_begin; p < p_end; ++p) {
    float* dst = buf + p * k;
    const float* origin = w.x + (st.x_offset + static_cast<std::ptrdiff_t>(p * st.x_step));
    std::size_t kw_lo, kw_hi;
    window_columns(w, st.ow + p, &kw_lo, &kw_hi);
    for (std::size_t kh = 0; kh < w.kernel_h; ++kh, dst += row) {
      if (kh < st.kh_lo || kh >= st.kh_hi || kw_lo >= kw_hi) {
        fill_zeros(dst, row);
        continue;
      }
      fill_zeros(dst, kw_lo * w.c);
      // Every tap in [kw_lo, kw_hi) of a row in [kh_lo, kh_hi) lies inside x.
      const float* src = origin + static_cast<std::ptrdiff_t>(kh) * w.kh_step;
      if (w.dilation_w == 1) {
        copy_floats(dst + kw_lo * w.c, src + static_cast<std::ptrdiff_t>(kw_lo) * w.kw_step, (kw_hi - kw_lo) * w.c);
      } else {
        for (std::size_t kw = kw_lo; kw < kw_hi; ++kw)
          copy_floats(dst + kw * w.c, src + static_cast<std::ptrdiff_t>(kw) * w.kw_step, w.c);
      }
      fill_zeros(dst + kw_hi * w.c, row - kw_hi * w.c);
    }
  }
}

// `count` whole windows at dilation 1, the first at origin, each x_step
// floats after the one before, into dst (rows of K). KH and ROW (= KW*C)
// known at compile time (0: kernel_h and row at run time) make the 3-channel
// stems' window rows (3 rows of 9 floats at 3x3, 7 of 21 at 7x7) copies of
// a constant size, a few vector moves each, in a loop with nothing else in
// it: the per-pixel border checks and copy_floats' scalar loop cost a 3x3
// stem with 16 outputs more than its microkernel calls.
template <std::size_t KH, std::size_t ROW>
void gather_whole(const float* origin, std::size_t x_step, std::ptrdiff_t kh_step, std::size_t kernel_h,
                  std::size_t row, std::size_t count, float* dst) {
  const std::size_t rows = KH != 0 ? KH : kernel_h, n = ROW != 0 ? ROW : row;
  for (std::size_t p = 0; p < count; ++p, origin += x_step, dst += rows * n)
    for (std::size_t kh = 0; kh < rows; ++kh) {
      const float* src = origin + static_cast<std::ptrdiff_t>(kh) * kh_step;
      if constexpr (ROW != 0) std::memcpy(dst + kh * n, src, ROW * sizeof(float));
      else copy_floats(dst + kh * n, src, n);
    }
}

// The strip's K values per pixel into buf (rows of K = KH*KW*C, (kh, kw, c)
// as W's), zeros in the padding: the pixels whose windows lie wholly inside
// x (a run in the middle of the strip) copied whole, the others clipped.
void gather_strip(const Window& w, const F32Conv2dNhwcStrip& st, float* buf) {
  std::size_t lo = 0, hi = 0;
  if (w.dilation_w == 1 && st.kh_lo == 0 && st.kh_hi == w.kernel_h) {
    hi = st.rows;
    while (lo < hi && !columns_whole(w, st.ow + lo)) ++lo;
    while (hi > lo && !columns_whole(w, st.ow + hi - 1)) --hi;
  }
  gather_clipped(w, st, 0, lo, buf);
  const std::size_t row = w.kernel_w * w.c, k = w.kernel_h * row;
  const float* origin = w.x + (st.x_offset + static_cast<std::ptrdiff_t>(lo * st.x_step));
  if (w.kernel_h == 3 && row == 9) gather_whole<3, 9>(origin, st.x_step, w.kh_step, 3, 9, hi - lo, buf + lo * k);
  else if (w.kernel_h == 7 && row == 21) gather_whole<7, 21>(origin, st.x_step, w.kh_step, 7, 21, hi - lo, buf + lo * k);
  else gather_whole<0, 0>(origin, st.x_step, w.kh_step, w.kernel_h, row, hi - lo, buf + lo * k);
  gather_clipped(w, st, hi, st.rows, buf);
}

// A whole window of channels-first x at dilation 1 (rows (c, kh, kw)), KW
// known at compile time: the stems' 3 and 7, whose copies of 3 or 7 floats a
// loop over a run-time width spent more on loop control than on moving.
template <std::size_t KW>
void gather_window_channels_first(const Window& w, const float* origin, float* dst) {
  for (std::size_t ch = 0; ch < w.c; ++ch) {
    const float* src = origin + static_cast<std::ptrdiff_t>(ch) * w.plane;
    for (std::size_t kh = 0; kh < w.kernel_h; ++kh, src += w.kh_step, dst += KW)
      for (std::size_t kw = 0; kw < KW; ++kw) dst[kw] = src[kw];
  }
}

// gather_strip for channels-first x: rows (c, kh, kw) as W's, each (c, kh)
// KW floats of one input row (strided at dilation > 1), zeros in the padding.
void gather_strip_channels_first(const Window& window, const F32Conv2dNhwcStrip& st, float* buf) {
  const Window w = window;
  const std::size_t taps = w.kernel_h * w.kernel_w;
  const bool rows_whole = st.kh_lo == 0 && st.kh_hi == w.kernel_h && w.dilation_w == 1;
  for (std::size_t p = 0; p < st.rows; ++p) {
    float* dst = buf + p * w.c * taps;
    const float* origin = w.x + (st.x_offset + static_cast<std::ptrdiff_t>(p * st.x_step));
    std::size_t kw_lo, kw_hi;
    window_columns(w, st.ow + p, &kw_lo, &kw_hi);
    if (rows_whole && kw_lo == 0 && kw_hi == w.kernel_w && (w.kernel_w == 3 || w.kernel_w == 7)) {
      if (w.kernel_w == 3) gather_window_channels_first<3>(w, origin, dst);
      else gather_window_channels_first<7>(w, origin, dst);
      continue;
    }
    for (std::size_t ch = 0; ch < w.c; ++ch) {
      for (std::size_t kh = 0; kh < w.kernel_h; ++kh, dst += w.kernel_w) {
        if (kh < st.kh_lo || kh >= st.kh_hi || kw_lo >= kw_hi) {
          fill_zeros(dst, w.kernel_w);
          continue;
        }
        // Every tap in [kw_lo, kw_hi) of a row in [kh_lo, kh_hi) lies inside x.
        const float* src = origin + static_cast<std::ptrdiff_t>(ch) * w.plane + static_cast<std::ptrdiff_t>(kh) * w.kh_step;
        fill_zeros(dst, kw_lo);
        for (std::size_t kw = kw_lo; kw < kw_hi; ++kw) dst[kw] = src[static_cast<std::ptrdiff_t>(kw) * w.kw_step];
        fill_zeros(dst + kw_hi, w.kernel_w - kw_hi);
      }
    }
  }
}

// Gathered blocks: window row kh, columns [kw_lo, kw_hi) of each pixel of
// the strip (a run of output pixels across rows and images) into buf, rows
// of (kw_hi - kw_lo) * C floats, zeros where a tap lies in the padding.
void gather_block(const F32Conv2dNhwcShape& s, const float* x, const F32Conv2dNhwcStrip& st, std::size_t kh,
                  std::size_t kw_lo, std::size_t kw_hi, float* buf) {
  const std::size_t c = s.channels, row = (kw_hi - kw_lo) * c;
  for (std::size_t p = 0; p < st.rows; ++p, buf += row) {
    const std::size_t pixel = st.y_offset + p;
    const std::size_t ow = pixel % s.out_w, oh = pixel / s.out_w % s.out_h, image = pixel / s.out_w / s.out_h;
    const std::size_t ih = oh * s.stride_h + kh * s.dilation_h;  // + pad_top: unsigned, the padding wraps past height
    if (ih < s.pad_top || ih - s.pad_top >= s.height) {
      std::fill_n(buf, row, 0.0f);
      continue;
    }
    const float* x_row = x + (image * s.height + ih - s.pad_top) * s.width * c;
    for (std::size_t kw = kw_lo; kw < kw_hi; ++kw) {
      const std::size_t iw = ow * s.stride_w + kw * s.dilation_w;  // + pad_left, as ih
      float* dst = buf + (kw - kw_lo) * c;
      if (iw < s.pad_left || iw - s.pad_left >= s.width) std::fill_n(dst, c, 0.0f);
      else std::memcpy(dst, x_row + (iw - s.pad_left) * c, c * sizeof(float));
    }
  }
}

}  // namespace

F32Conv2dNhwcPlan f32_conv2d_nhwc_plan(const F32GemmVariant& variant, const F32Conv2dNhwcShape& s) {
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  F32Conv2dNhwcPlan plan;
  plan.shape = s;
  plan.variant = &variant;
  // Window columns are contiguous in x only at dilation 1; else one tap per call.
  plan.taps_per_block = s.dilation_w == 1 ? std::clamp<std::size_t>(kKcMax / std::max<std::size_t>(s.channels, 1), 1, s.kernel_w) : 1;
  const std::vector<TapRun> rows = tap_runs(s.out_h, s.stride_h, s.pad_top, s.dilation_h, s.height, s.kernel_h);
  const std::vector<TapRun> cols = tap_runs(s.out_w, s.stride_w, s.pad_left, s.dilation_w, s.width, s.kernel_w);
  const std::size_t mr = variant.mr, c = s.channels;
  const std::size_t k = s.kernel_h * s.kernel_w * c;
  plan.gather = s.channels_first || (k <= kKcMax && s.kernel_h * div_up(s.kernel_w, plan.taps_per_block) > 1);
  plan.gather_blocks = false;
  // y and x offsets counted in floats: OC is not known here, so y_offset and
  // y_step count pixels and the driver scales them by OC.
  const std::ptrdiff_t row_floats = static_cast<std::ptrdiff_t>(s.width * c);
  // Strip of `count` pixels from (n, oh, ow), each `x_step` input floats and
  // `y_step` output pixels after the one before.
  const auto strip = [&](const TapRun& r, const TapRun& q, std::size_t n, std::size_t oh, std::size_t ow,
                         std::size_t x_step, std::size_t y_step, std::size_t count) {
    const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * s.stride_h) - static_cast<std::ptrdiff_t>(s.pad_top);
    const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(ow * s.stride_w) - static_cast<std::ptrdiff_t>(s.pad_left);
    F32Conv2dNhwcStrip t;
    // Channels first, the window origin in channel 0's plane.
    t.x_offset = s.channels_first
                     ? (static_cast<std::ptrdiff_t>(n * c * s.height) + ih) * static_cast<std::ptrdiff_t>(s.width) + iw
                     : (static_cast<std::ptrdiff_t>(n * s.height) + ih) * row_floats + iw * static_cast<std::ptrdiff_t>(c);
    t.x_step = x_step;
    t.y_offset = (n * s.out_h + oh) * s.out_w + ow;
    t.y_step = y_step;
    t.rows = count;
    t.kh_lo = r.lo, t.kh_hi = r.hi, t.kw_lo = q.lo, t.kw_hi = q.hi;
    t.ow = ow;
    plan.strips.push_back(t);
  };
  const std::size_t along_row = s.stride_w * c, along_column = s.stride_h * s.width * c;
  const std::size_t image_floats = s.height * s.width * c, image_pixels = s.out_h * s.out_w;
  // A rectangle too small for full strips within an image (ResNet's 7x7
  // maps: 5-pixel interior rows, 1-pixel corners) makes fewer, taller strips
  // across the batch: one output position in up to MR images, which share its
  // tap range (x_step one image). Gathered plans keep whole output rows.
  const auto across_batch = [&](const TapRun& r, const TapRun& q) {
    const std::size_t height = r.end - r.begin, width = q.end - q.begin;
    const std::size_t per_image = std::min(height * div_up(width, mr), width * div_up(height, mr));
    return !plan.gather && height * width * div_up(s.batch, mr) < s.batch * per_image;
  };
  for (const TapRun& r : rows)
    for (const TapRun& q : cols) {
      if (!across_batch(r, q)) continue;
      for (std::size_t oh = r.begin; oh < r.end; ++oh)
        for (std::size_t ow = q.begin; ow < q.end; ++ow)
          split_evenly(s.batch, mr, [&](std::size_t b, std::size_t count) {
            strip(r, q, b, oh, ow, image_floats, image_pixels, count);
          });
    }
  for (std::size_t n = 0; n < s.batch; ++n) {
    for (const TapRun& r : rows) {
      for (const TapRun& q : cols) {
        const std::size_t height = r.end - r.begin, width = q.end - q.begin;
        // Gathered strips clip each pixel's columns themselves: whole output rows, in even strips.
        if (plan.gather) {
          if (q.begin != 0) continue;
          for (std::size_t oh = r.begin; oh < r.end; ++oh)
            split_evenly(s.out_w, mr, [&](std::size_t b, std::size_t count) {
              strip(r, q, n, oh, b, s.channels_first ? s.stride_w : along_row, 1, count);
            });
          continue;
        }
        if (across_batch(r, q)) continue;
        // Strips along columns only when that makes fewer (fuller) calls: the
        // border columns of a map, a pixel wide and the map's interior tall.
        if (height * div_up(width, mr) <= width * div_up(height, mr)) {
          for (std::size_t oh = r.begin; oh < r.end; ++oh)
            split_evenly(width, mr, [&](std::size_t b, std::size_t count) { strip(r, q, n, oh, q.begin + b, along_row, 1, count); });
        } else {
          for (std::size_t ow = q.begin; ow < q.end; ++ow)
            split_evenly(height, mr, [&](std::size_t b, std::size_t count) {
              strip(r, q, n, r.begin + b, ow, along_column, s.out_w, count);
            });
        }
      }
    }
  }
  // Plain strips averaging under MR/2 pixels: gathered blocks instead (f32-conv2d-nhwc.h),
  // strips of up to MR pixels across the output rows that share one window row range.
  if (!plan.gather && 2 * s.batch * image_pixels < mr * plan.strips.size()) {
    plan.gather_blocks = true;
    plan.strips.clear();
    for (std::size_t n = 0; n < s.batch; ++n)
      for (const TapRun& r : rows)
        split_evenly((r.end - r.begin) * s.out_w, mr, [&](std::size_t b, std::size_t count) {
          F32Conv2dNhwcStrip t{};
          t.y_offset = (n * s.out_h + r.begin) * s.out_w + b;
          t.y_step = 1, t.rows = count;
          t.kh_lo = r.lo, t.kh_hi = r.hi, t.kw_lo = 0, t.kw_hi = s.kernel_w;
          plan.strips.push_back(t);
        });
  }
  return plan;
}

void f32_conv2d_nhwc(const F32Conv2dNhwcPlan& plan, const F32PackedB& w, const float* x, float* y,
                     const F32GemmParams& params) {
  const F32Conv2dNhwcShape& s = plan.shape;
  const F32GemmVariant& variant = *plan.variant;
  const std::size_t c = s.channels, n = w.n, k = w.k, nr = variant.nr;
  assert(k == s.kernel_h * s.kernel_w * c);
  assert(nr % kF32GemmNr == 0);
  const std::size_t strips = plan.strips.size();
  if (strips == 0 || n == 0) return;

  const std::size_t taps = plan.taps_per_block;
  const std::size_t chunks = div_up(s.kernel_w, taps);  // K blocks per window row
  const std::size_t k_blocks = s.kernel_h * chunks;
  const std::size_t blocks = div_up(n, nr);

  const std::size_t threads = static_cast<std::size_t>(thread_count());
  const std::size_t tasks_wanted = threads == 1 ? 1 : threads * kTasksPerThread;
  // Split strips first (tasks then share nothing but B), columns when there
  // are too few strips to give every thread its share.
  const std::size_t s_tasks = std::min(div_up(strips, kMinStripsPerTask), tasks_wanted);
  std::size_t n_tasks = div_up(blocks, kColumnsPerTaskMax / nr);
  if (s_tasks * n_tasks < tasks_wanted) n_tasks = std::min(blocks, std::max(n_tasks, div_up(tasks_wanted, s_tasks)));
  const TaskGrid grid(strips, blocks, s_tasks, n_tasks);
  const std::size_t work = strips * variant.mr * n * k;  // full strips: at most mr - 1 rows over
  const std::size_t blocks_per_task = grid.blocks_per_task();

  const std::size_t group_strips =
      std::max(kMinStripsPerTask, kGroupOutputBytes / (variant.mr * blocks_per_task * nr * sizeof(float)));

  const F32GemmUkernel ukernel = variant.ukernel;
  const float* packed = w.panels.data();
  const std::size_t panel_stride = k * kF32GemmNr;
  // Input floats between window rows and between window columns.
  const std::size_t pixel = s.channels_first ? 1 : c;  // floats between neighbouring pixels of a row
  const std::ptrdiff_t kh_step = static_cast<std::ptrdiff_t>(s.dilation_h * s.width * pixel);
  const std::ptrdiff_t kw_step = static_cast<std::ptrdiff_t>(s.dilation_w * pixel);
  // One K block of strip st on column blocks [j_begin, j_end).
  const auto block = [&](const F32Conv2dNhwcStrip& st, std::size_t kb, std::size_t j_begin, std::size_t j_end) {
    float* c_strip = y + st.y_offset * n;
    const std::size_t ldc = st.y_step * n;
    if (st.kh_lo == st.kh_hi || st.kw_lo == st.kw_hi) {
      // The whole window lies in the padding: clamp(bias), written once.
      if (kb != 0) return;
      for (std::size_t j = j_begin; j < j_end; ++j) {
        const std::size_t col = j * nr;
        ukernel(st.rows, std::min(nr, n - col), 0, x, st.x_step, packed + col * k, panel_stride, c_strip + col, ldc,
                false, true, params.bias != nullptr ? params.bias + col : nullptr, params.min, params.max);
      }
      return;
    }
    const std::size_t kh = kb / chunks;
    const std::size_t chunk_lo = kb % chunks * taps, chunk_hi = std::min(s.kernel_w, chunk_lo + taps);
    const std::size_t kw0 = std::max(chunk_lo, st.kw_lo), kw1 = std::min(chunk_hi, st.kw_hi);
    if (kh < st.kh_lo || kh >= st.kh_hi || kw0 >= kw1) return;
    const bool first = kh == st.kh_lo && kw0 == st.kw_lo;
    const bool last = kh + 1 == st.kh_hi && kw1 == st.kw_hi;
    // Every tap in [kh_lo, kh_hi) x [kw_lo, kw_hi) lies inside x for every
    // pixel of the strip, so this offset is never negative.
    const std::ptrdiff_t a_offset =
        st.x_offset + static_cast<std::ptrdiff_t>(kh) * kh_step + static_cast<std::ptrdiff_t>(kw0) * kw_step;
    assert(a_offset >= 0);
    const float* a = x + a_offset;
    // kw1 - kw0 taps are one contiguous run of x only at dilation 1 (taps_per_block is 1 otherwise).
    const std::size_t kc = (kw1 - kw0) * c;
    const std::size_t k0 = (kh * s.kernel_w + kw0) * c;
    for (std::size_t j = j_begin; j < j_end; ++j) {
      const std::size_t col = j * nr;
      // Block j starts at panel col / kF32GemmNr; row k0 of it.
      ukernel(st.rows, std::min(nr, n - col), kc, a, st.x_step, packed + col * k + k0 * kF32GemmNr, panel_stride,
              c_strip + col, ldc, !first, last, params.bias != nullptr ? params.bias + col : nullptr, params.min,
              params.max);
    }
  };
  if (plan.gather) {
    const Window window{x, c, s.kernel_h, s.kernel_w, s.stride_w, s.pad_left, s.dilation_w, s.width, kh_step, kw_step,
                        static_cast<std::ptrdiff_t>(s.height * s.width)};
    const auto gather = s.channels_first ? gather_strip_channels_first : gather_strip;
    grid.run(work, [&](const GridTask& task) {
      const std::size_t t_begin = task.strip_begin, t_end = task.strip_end;
      const std::size_t j_begin = task.block_begin, j_end = task.block_end;
      std::vector<float> buf(variant.mr * k);
      for (std::size_t t = t_begin; t < t_end; ++t) {
        const F32Conv2dNhwcStrip& st = plan.strips[t];
        gather(window, st, buf.data());
        for (std::size_t j = j_begin; j < j_end; ++j) {
          const std::size_t col = j * nr;
          ukernel(st.rows, std::min(nr, n - col), k, buf.data(), k, packed + col * k, panel_stride,
                  y + st.y_offset * n + col, st.y_step * n, false, true,
                  params.bias != nullptr ? params.bias + col : nullptr, params.min, params.max);
        }
      }
    });
    return;
  }
  // Gathered blocks: K block kb of strip st copied into buf, then every column block on it. The
  // strip's window rows [kh_lo, kh_hi) are its K blocks; all its window columns are (zeros in the padding).
  const auto gathered_block = [&](const F32Conv2dNhwcStrip& st, std::size_t kb, std::size_t j_begin, std::size_t j_end,
                                  float* buf) {
    const std::size_t kh = kb / chunks;
    const std::size_t kw_lo = kb % chunks * taps, kw_hi = std::min(s.kernel_w, kw_lo + taps);
    const bool empty = st.kh_lo == st.kh_hi;  // every window in the padding: clamp(bias), written once
    if (empty ? kb != 0 : kh < st.kh_lo || kh >= st.kh_hi) return;
    const std::size_t kc = empty ? 0 : (kw_hi - kw_lo) * c, k0 = (kh * s.kernel_w + kw_lo) * c;
    const bool first = empty || (kh == st.kh_lo && kw_lo == 0);
    const bool last = empty || (kh + 1 == st.kh_hi && kw_hi == s.kernel_w);
    gather_block(s, x, st, kh, kw_lo, empty ? kw_lo : kw_hi, buf);
    for (std::size_t j = j_begin; j < j_end; ++j) {
      const std::size_t col = j * nr;
      ukernel(st.rows, std::min(nr, n - col), kc, buf, kc, packed + col * k + k0 * kF32GemmNr, panel_stride,
              y + st.y_offset * n + col, n, !first, last, params.bias != nullptr ? params.bias + col : nullptr,
              params.min, params.max);
    }
  };
  grid.run(work, [&](const GridTask& task) {
    const std::size_t t_begin = task.strip_begin, t_end = task.strip_end;
    const std::size_t j_begin = task.block_begin, j_end = task.block_end;
    std::vector<float> buf(plan.gather_blocks ? variant.mr * taps * c : 0);
    for (std::size_t g_begin = t_begin; g_begin < t_end; g_begin += group_strips) {
      const std::size_t g_end = std::min(t_end, g_begin + group_strips);
      for (std::size_t kb = 0; kb < k_blocks; ++kb)
        for (std::size_t t = g_begin; t < g_end; ++t) {
          if (plan.gather_blocks) gathered_block(plan.strips[t], kb, j_begin, j_end, buf.data());
          else block(plan.strips[t], kb, j_begin, j_end);
        }
    }
  });
}

}  // namespace sparq
