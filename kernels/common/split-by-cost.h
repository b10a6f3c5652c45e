// Splitting rows between tasks by their work, not their count: pruned sparse
// rows hold very different numbers of weights, so equal row counts leave one
// task with most of the work.
#pragma once

#include <cstddef>
#include <vector>

namespace sparq {

// Boundaries 0 = b[0] < b[1] < ... < b[last] = count of at most `groups`
// contiguous ranges of [0, count) with about equal sums of cost(i), where
// `total` is the sum over all of them.
template <typename Cost>
std::vector<std::size_t> split_by_cost(std::size_t count, std::size_t groups, std::size_t total, Cost&& cost) {
  std::vector<std::size_t> bounds{0};
  std::size_t acc = 0;
  for (std::size_t i = 0; i < count; ++i) {
    acc += cost(i);
    if (acc * groups >= total * bounds.size() && bounds.size() < groups) bounds.push_back(i + 1);
  }
  if (bounds.back() != count) bounds.push_back(count);
  return bounds;
}

}  // namespace sparq
