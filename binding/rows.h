// Per-tensor and per-axis element-wise kernels (f32-qx8-quantize,
// qx8-f32-dequantize, qs32-qx8-requantize, f32-minmax) see a tensor as
// [outer, channels, inner]: each (outer, channel) row of `inner` elements
// shares one channel's parameters. Here: that layout read from a call's
// options, the per-channel parameters, and the split of the index space into
// chunks for the thread pool (fn(channel, offset, count) per row segment).
#pragma once

#include <napi.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "kernels/common/thread-pool.h"

namespace sparq_binding {

// Elements per task: big enough to amortize the dispatch, small enough to
// balance two cores on a few-hundred-KB tensor.
constexpr std::size_t kRowChunk = 32 * 1024;

template <typename Fn>
void for_each_row_segment(std::size_t outer, std::size_t channels, std::size_t inner, Fn fn) {
  const std::size_t total = outer * channels * inner;
  if (total == 0) return;
  const std::size_t tasks = (total + kRowChunk - 1) / kRowChunk;
  sparq::parallel_for(tasks, [&](std::size_t task) {
    const std::size_t begin = task * kRowChunk, end = std::min(total, begin + kRowChunk);
    for (std::size_t i = begin; i < end;) {
      const std::size_t row = i / inner, in_row = i % inner;
      const std::size_t count = std::min(inner - in_row, end - i);
      fn(row % channels, i, count);
      i += count;
    }
  });
}

struct Layout {
  std::size_t outer, channels, inner, total;
};

// The layout fields: outer, channels, inner.
#define LAYOUT_FIELDS "outer", "channels", "inner"

inline Layout layout_args(const Options& o) {
  const Napi::Env env = o["outer"].Env();
  Layout l{size_arg(o["outer"], "outer"), size_arg(o["channels"], "channels"), size_arg(o["inner"], "inner"), 0};
  if (l.channels == 0) throw_range_error(env, "channels must be >= 1");
  l.total = checked_mul(env, checked_mul(env, l.outer, l.channels, "tensor"), l.inner, "tensor");
  return l;
}

// Scales (Float32Array) and zero points (Int32Array), 1 or `channels` each.
template <typename T>
Napi::TypedArrayOf<T> per_channel(const Napi::Value& v, const char* name, std::size_t channels) {
  auto a = typed_array<T>(v, name, 1);
  if (a.ElementLength() != 1 && a.ElementLength() != channels)
    throw_range_error(v.Env(), std::string(name) + " must have 1 or channels elements");
  return a;
}

// Zero points of a uint8 / int8 output, which the quantize and requantize
// kernels assert lie in its type's range ([0, 255] or [-128, 127]).
inline void check_byte_zero_points(const Napi::TypedArrayOf<int32_t>& zps, bool is_unsigned) {
  const int32_t lo = is_unsigned ? 0 : -128, hi = is_unsigned ? 255 : 127;
  for (std::size_t i = 0; i < zps.ElementLength(); ++i)
    if (zps[i] < lo || zps[i] > hi) throw_range_error(zps.Env(), "zeroPoints out of the output type's range");
}

template <typename T>
T at(const T* values, std::size_t count, std::size_t channel) {
  return values[count == 1 ? 0 : channel];
}

// Quantize and dequantize share their fields besides the two arrays:
// { variant, x, y, outer, channels, inner, scales, zeroPoints, async }, and
// run one row function per (outer, channel) segment with that channel's scale
// and zero point.
#define SCALED_FIELDS "variant", "x", "y", LAYOUT_FIELDS, "scales", "zeroPoints", "async"

template <typename In, typename Out, typename RowFn>
Napi::Value run_per_channel(const Options& o, const Layout& l, const Napi::TypedArray& x, const Napi::TypedArray& y,
                            RowFn fn) {
  auto scales = per_channel<float>(o["scales"], "scales", l.channels);
  auto zps = per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels);
  Job job(o["async"].Env(), bool_arg(o["async"], "async"));
  const In* xs = job.in<In>(x);
  Out* ys = job.out<Out>(y);
  const float* s = job.in<float>(scales);
  const int32_t* z = job.in<int32_t>(zps);
  const std::size_t ns = scales.ElementLength(), nz = zps.ElementLength();
  return job.run([=] {
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      fn(count, xs + off, at(s, ns, c), at(z, nz, c), ys + off);
    });
  });
}

// The same for a plan: { variant, outer, channels, inner, scales, zeroPoints } and
// the type of the byte array, x (dequantize) or y (quantize), read once; the
// scales and zero points are copied.
#define PLANNED_SCALED_FIELDS "variant", LAYOUT_FIELDS, "scales", "zeroPoints"

template <typename In, typename Out, typename RowFn>
PlannedCall plan_per_channel(const Options& o, const Layout& l, PlanArray x, PlanArray y, RowFn fn) {
  auto scales = per_channel<float>(o["scales"], "scales", l.channels);
  auto zps = per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels);
  std::vector<float> s(scales.Data(), scales.Data() + scales.ElementLength());
  std::vector<int32_t> z(zps.Data(), zps.Data() + zps.ElementLength());
  PlannedCall plan;
  plan.x = x;
  plan.y = y;
  plan.kernel = [l, s = std::move(s), z = std::move(z), fn](const void*, const void* xv, void* yv) {
    const In* xs = static_cast<const In*>(xv);
    Out* ys = static_cast<Out*>(yv);
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      fn(count, xs + off, at(s.data(), s.size(), c), at(z.data(), z.size(), c), ys + off);
    });
  };
  return plan;
}

// A byte array type named by a plan's xType / yType field: 'uint8' or 'int8'.
inline bool unsigned_byte_type(const Napi::Value& v, const char* name) {
  const std::string type = string_arg(v, name);
  if (type != "uint8" && type != "int8") throw_range_error(v.Env(), std::string(name) + " must be 'uint8' or 'int8'");
  return type == "uint8";
}

}  // namespace sparq_binding
