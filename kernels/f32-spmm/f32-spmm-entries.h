// How a stored entry of the sparse weights maps to its X row: the one thing
// in which csr/bsr and N:M differ, so each ISA's kernel body is a template on
// an entries policy (and on the block rows R) instead of a copy per format.
// A policy walks the entries of block row b:
// - each<S>(w, b, f): f(k, p, slot) for every entry p in order, k its
//   column, slot a std::integral_constant cycling 0 .. S-1 (the tail after
//   the last whole run of S entries gets slot 0), so a kernel can keep S
//   independent accumulator sets, indexed at compile time, and consecutive
//   entries' FMAs do not wait on each other;
// - begin/end: the range of p;
// - columns(w, b, p, count, scratch): the columns of entries [p, p + count),
//   count <= 16, as int32s (scratch, 16 long, may hold them).
// Entry p's R weights are values[p * R .. p * R + R).
// Plain code with internal linkage: every kernel file compiles its own copy
// with its own ISA flags, so none can reach another ISA's path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "f32-spmm.h"

namespace sparq {
namespace {

template <std::size_t s>
using Slot = std::integral_constant<std::size_t, s>;

// f(Slot<0>), f(Slot<1>), ... in order.
template <typename F, std::size_t... s>
void for_each_slot(F&& f, std::index_sequence<s...>) {
  (f(Slot<s>{}), ...);
}

// Calls entry(p, slot) for p in [begin, end), S at a time.
template <std::size_t S, typename F>
void walk_in_slots(std::size_t begin, std::size_t end, F&& entry) {
  std::size_t p = begin;
  for (; p + S <= end; p += S) for_each_slot([&](auto s) { entry(p + s, s); }, std::make_index_sequence<S>{});
  for (; p < end; ++p) entry(p, Slot<0>{});
}

// csr and bsr Rx1: entry p is column (block column) indices[p].
struct IndexedEntries {
  static std::size_t begin(const F32SparseWeights& w, std::size_t b) { return static_cast<std::size_t>(w.indptr[b]); }
  static std::size_t end(const F32SparseWeights& w, std::size_t b) { return static_cast<std::size_t>(w.indptr[b + 1]); }
  template <std::size_t S, typename F>
  static void each(const F32SparseWeights& w, std::size_t b, F&& f) {
    walk_in_slots<S>(begin(w, b), end(w, b), [&](std::size_t p, auto s) { f(static_cast<std::size_t>(w.indices[p]), p, s); });
  }
  static const int32_t* columns(const F32SparseWeights& w, std::size_t, std::size_t p, std::size_t, int32_t*) {
    return w.indices + p;
  }
};

// N:M: row b holds groups * n entries; entry j of group g is column g * m + positions[p].
struct NmEntries {
  static std::size_t begin(const F32SparseWeights& w, std::size_t b) { return b * w.groups * w.nm_n; }
  static std::size_t end(const F32SparseWeights& w, std::size_t b) { return (b + 1) * w.groups * w.nm_n; }
  template <std::size_t S, typename F>
  static void each(const F32SparseWeights& w, std::size_t b, F&& f) {
    // Entries come in order, so the group's first column advances by m every n entries.
    std::size_t group_column = 0, j = 0;
    walk_in_slots<S>(begin(w, b), end(w, b), [&](std::size_t p, auto s) {
      f(group_column + w.positions[p], p, s);
      if (++j == w.nm_n) j = 0, group_column += w.nm_m;
    });
  }
  static const int32_t* columns(const F32SparseWeights& w, std::size_t b, std::size_t p, std::size_t count,
                                int32_t* scratch) {
    const std::size_t slot = p - begin(w, b);
    std::size_t g = slot / w.nm_n, j = slot % w.nm_n;
    for (std::size_t i = 0; i < count; ++i) {
      scratch[i] = static_cast<int32_t>(g * w.nm_m + w.positions[p + i]);
      if (++j == w.nm_n) j = 0, ++g;
    }
    return scratch;
  }
};

// One ISA's kernel template Kernel<R, Entries>::run instantiated for a format:
// the single place that says which (R, entries policy) each format is.
template <template <std::size_t, typename> class Kernel>
F32SpmmFn format_kernel(F32SpmmFormat format) {
  switch (format) {
    case F32SpmmFormat::kCsr: return Kernel<1, IndexedEntries>::run;
    case F32SpmmFormat::kBsr4x1: return Kernel<4, IndexedEntries>::run;
    case F32SpmmFormat::kBsr8x1: return Kernel<8, IndexedEntries>::run;
    case F32SpmmFormat::kNm: return Kernel<1, NmEntries>::run;
  }
  return nullptr;
}

}  // namespace
}  // namespace sparq
