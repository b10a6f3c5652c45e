// f32-spmm-wgsl: the f32 SpMM whose WG_K lanes add their partial sums in
// workgroup memory; runs on every adapter. The kernel, its bindings, params,
// overrides and dispatch: f32-spmm-body-wgsl.wgsl (included below).
//
// Workgroup layout: mLane = index % WG_M, kLane = index / WG_M, so
// consecutive invocations own consecutive columns and read an X row coalesced.

//! include "f32-spmm/f32-spmm-body-wgsl.wgsl"

// Partial sums of the WG_K invocations that share columns, [row][kLane][mLane].
var<workgroup> partial: array<vec4<f32>, BLOCK_ROWS * WG_K * WG_M>;

fn lanes(index: u32) -> vec2<u32> {
  return vec2<u32>(index % WG_M, index / WG_M);
}

fn reduceLanes(acc: ptr<function, Rows>, mLane: u32, kLane: u32) {
  for (var i = 0u; i < BLOCK_ROWS; i++) {
    partial[(i * WG_K + kLane) * WG_M + mLane] = (*acc)[i];
  }
  workgroupBarrier();
  // Row i's WG_K partials are added by kLane i % WG_K: one barrier. A tree
  // reduction would take log2(WG_K) barriers, which made lavapipe's cold
  // pipeline compile (barriers split its shader into coroutines) take seconds.
  for (var i = kLane; i < BLOCK_ROWS; i += WG_K) {
    var sum = vec4<f32>(0.0);
    for (var j = 0u; j < WG_K; j++) {
      sum += partial[(i * WG_K + j) * WG_M + mLane];
    }
    (*acc)[i] = sum;
  }
  // The next tile overwrites partial: wait until every sum was read.
  workgroupBarrier();
}
