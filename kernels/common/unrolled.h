// Compile-time unrolling for kernels whose intrinsics take constant operands
// (NEON's by-lane multiply-adds take the lane as an immediate, so a loop
// index cannot reach them even when the compiler unrolls the loop).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace sparq {

template <std::size_t I>
using Index = std::integral_constant<std::size_t, I>;

// f(Index<0>), ..., f(Index<N - 1>) for std::make_index_sequence<N>. Always
// inlined: a call would keep the caller's accumulators in memory.
template <typename F, std::size_t... I>
[[gnu::always_inline]] inline void unrolled(F&& f, std::index_sequence<I...>) {
  (f(Index<I>{}), ...);
}

}  // namespace sparq
