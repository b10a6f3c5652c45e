// Element access for the layout-only kernels (im2col, transpose, max
// pooling) that serve 32-bit and 8-bit tensors with one body: storage is
// array<u32> either way, a 32-bit element is one word (its bits), an 8-bit
// element is byte i % 4 of word i / 4 (little end first), as the backend
// packs byte tensors. The including kernel declares `override ELEMENT_BYTES`
// (4 or 1), `override WORKGROUP_SIZE`, the bindings `x: array<u32>` (input)
// and `y: array<u32>` (output), `params.count` (output elements) and
// `fn elementAt(e: u32) -> u32`, the bits of output element e; `main` here
// is then its entry point. Included through the pipeline loader's include
// line; not a kernel of its own.

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

// One invocation per output word: it packs the word's elements from
// elementAt, so 8-bit outputs need no atomics. Invocations past the last
// word return (the dispatch rounds up, in 2-D past 65535 groups).
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let word = (group.y * groups.x + group.x) * WORKGROUP_SIZE + local;
  let per = elementsPerWord();
  if (word * per >= params.count) {
    return;
  }
  var packed = 0u;
  for (var j = 0u; j < per; j++) {
    let e = word * per + j;
    if (e >= params.count) {
      break;
    }
    packed = placeElement(packed, j, elementAt(e));
  }
  y[word] = packed;
}
