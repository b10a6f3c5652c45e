// x32-transpose-wgsl: y[b][c][r] = x[b][r][c], a batch of row-major
// [rows, cols] matrices transposed, for 32-bit (ELEMENT_BYTES = 4) and
// 8-bit (ELEMENT_BYTES = 1) elements: per matrix the CPU's transpose
// (x32-transpose.h, src/kernels/transpose.ts). The runtime turns a conv's
// GEMM result [N][OH*OW][OC] into NCHW [N][OC][OH*OW] with it.
//
// Bindings (@group(0)):
//   0  x       storage, read        array<u32>  count elements, layout of
//                                               common/x32-elements-wgsl.wgsl
//   1  y       storage, read_write  array<u32>  ceil(count * ELEMENT_BYTES / 4) words;
//                                               padding bytes of the last word are 0
//   2  params  uniform              Params
//
// Params (uniform, 16 bytes, u32): count (= batch * rows * cols), rows,
// cols, _pad.
//
// Overrides: WORKGROUP_SIZE = 64; ELEMENT_BYTES = 4 or 1. Each invocation
// writes one whole word of y (so 8-bit outputs need no atomics) and gathers
// its elements from x: no tiling through workgroup memory, because this
// O(count) copy sits next to a GEMM of O(count * K) work.
//
// Dispatch: groups = ceil(words / WORKGROUP_SIZE),
//   dispatchWorkgroups(min(groups, 65535), ceil(groups / 65535));
// invocations past the last word return.

override WORKGROUP_SIZE: u32 = 64u;
override ELEMENT_BYTES: u32 = 4u;

struct Params {
  count: u32,
  rows: u32,
  cols: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

//! include "common/x32-elements-wgsl.wgsl"

// The bits of y element e = y[b][c][r].
fn elementAt(e: u32) -> u32 {
  let matrix = params.rows * params.cols;
  let b = e / matrix;
  let c = (e % matrix) / params.rows;
  let r = e % params.rows;
  return loadElement(b * matrix + r * params.cols + c);
}
