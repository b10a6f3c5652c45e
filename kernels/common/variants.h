// Every kernel family keeps one list of its variants, best first, in
// <family>-variants.inc as lines SPARQ_VARIANT(symbol, Isa::kX, tile...).
// Dispatchers, the binding's variant listing (which also resolves names for
// tests and benches) all read that list, so a new variant is its file plus one line.
#pragma once

#include <cstddef>

#include "cpu-features.h"

namespace sparq {

// The first variant whose ISA this CPU supports (lists end with a scalar one).
template <typename V, std::size_t N>
const V& best_variant(const V (&list)[N]) {
  for (const V& v : list)
    if (isa_supported(v.isa)) return v;
  return list[N - 1];
}

}  // namespace sparq
