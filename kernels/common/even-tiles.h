// Splits `vectors` into tiles of at most `max`, as even as possible (13 by 4:
// 4 + 3 + 3 + 3, not 4 + 4 + 4 + 1, whose last tile would load as many
// weights as it does FMAs), and calls tile(first, size) for each. Each use
// instantiates it with its own lambda type, so an ISA file including it
// shares no compiled code with the portable path.
#pragma once

#include <cstddef>

namespace sparq {

template <typename Tile>
inline void for_even_tiles(std::size_t vectors, std::size_t max, Tile&& tile) {
  const std::size_t tiles = (vectors + max - 1) / max;
  for (std::size_t i = 0, v = 0; i < tiles; ++i) {
    const std::size_t size = vectors / tiles + (i < vectors % tiles ? 1 : 0);
    tile(v, size);
    v += size;
  }
}

}  // namespace sparq
