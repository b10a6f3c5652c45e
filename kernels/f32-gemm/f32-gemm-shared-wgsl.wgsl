// The binding and uniform contract every f32-gemm WGSL kernel shares (the
// tiled f32-gemm-wgsl and the small-M f32-gemm-gemv-wgsl), in one place so
// the host can pass the same buffers and uniforms to either, and their
// common epilogue (bias, clamp, store). Layout and
// meaning: see the header of f32-gemm-wgsl.wgsl. Included through the
// pipeline loader's include line; not a kernel of its own.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  hasBias: u32,
  minValue: f32,
  maxValue: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;

// The bias of columns col .. col + 3 (0 past N or without bias).
fn biasQuad(col: u32) -> vec4<f32> {
  let N = params.N;
  var bv = vec4<f32>(0.0);
  if (params.hasBias != 0u) {
    bv.x = bias[col];
    if (col + 1u < N) { bv.y = bias[col + 1u]; }
    if (col + 2u < N) { bv.z = bias[col + 2u]; }
    if (col + 3u < N) { bv.w = bias[col + 3u]; }
  }
  return bv;
}

// C[row, col .. col + 3] = v, for col < N. Aligned rows (N % 4 == 0) store
// the whole 16-byte quad; otherwise only the in-range scalars: neighbouring
// scalars of the same vec4 may belong to another invocation, and WGSL treats
// each scalar as its own memory location, so this is no race.
fn storeQuad(row: u32, col: u32, v: vec4<f32>) {
  let N = params.N;
  let i = row * N + col;
  if ((N & 3u) == 0u) {
    C[i >> 2u] = v;
  } else {
    C[i >> 2u][i & 3u] = v.x;
    if (col + 1u < N) { C[(i + 1u) >> 2u][(i + 1u) & 3u] = v.y; }
    if (col + 2u < N) { C[(i + 2u) >> 2u][(i + 2u) & 3u] = v.z; }
    if (col + 3u < N) { C[(i + 3u) >> 2u][(i + 3u) & 3u] = v.w; }
  }
}
