// Element access for the layout-only kernels (im2col, transpose, max
// pooling) that serve 32-bit and 8-bit tensors with one body: storage is
// array<u32> either way, a 32-bit element is one word (its bits), an 8-bit
// element is byte i % 4 of word i / 4 (little end first), as the backend
// packs byte tensors. The including kernel declares `override ELEMENT_BYTES`
// (4 or 1) and the input binding `x: array<u32>`. Included through the
// pipeline loader's include line; not a kernel of its own.

// Elements per 32-bit word: 1 or 4.
fn elementsPerWord() -> u32 {
  return 4u / ELEMENT_BYTES;
}

// The bits of element i of x (zero-extended for 8-bit elements).
fn loadElement(i: u32) -> u32 {
  if (ELEMENT_BYTES == 4u) {
    return x[i];
  }
  return (x[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// Puts element bits v into slot j of an output word being assembled.
fn placeElement(word: u32, j: u32, v: u32) -> u32 {
  if (ELEMENT_BYTES == 4u) {
    return v;
  }
  return word | ((v & 0xffu) << (8u * j));
}
