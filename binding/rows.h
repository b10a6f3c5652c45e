// Per-tensor and per-axis element-wise kernels see a tensor as
// [outer, channels, inner]: each (outer, channel) row of `inner` elements
// shares one channel's parameters. This splits that index space into chunks
// for the thread pool and calls fn(channel, offset, count) per row segment.
#pragma once

#include <algorithm>
#include <cstddef>

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

}  // namespace sparq_binding
