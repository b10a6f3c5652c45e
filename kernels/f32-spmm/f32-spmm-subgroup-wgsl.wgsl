// f32-spmm-subgroup-wgsl: the f32 SpMM whose WG_K lanes add their partial
// sums with subgroup shuffles, no workgroup memory or barriers. Only for a
// device created with 'subgroups' (the enable below fails elsewhere), and only
// with WG_K <= the adapter's subgroupMinSize. The kernel, its bindings,
// params, overrides and dispatch: f32-spmm-body-wgsl.wgsl (included below).
enable subgroups;

//! include "f32-spmm/f32-spmm-body-wgsl.wgsl"

// Workgroup layout: kLane = index % WG_K, mLane = index / WG_K, so the WG_K
// lanes of a column group are consecutive invocations. Drivers fill subgroups
// with consecutive local invocation indices (lavapipe, Vulkan, D3D12 and Metal
// GPUs do; WGSL does not promise it, the spmm tests check it), so with WG_K a
// power of 2 dividing the subgroup size, a column group lies in one subgroup
// and its lane kLane ^ mask is subgroup lane subgroup_invocation_id ^ mask.
fn lanes(index: u32) -> vec2<u32> {
  return vec2<u32>(index / WG_K, index % WG_K);
}

// A butterfly: after log2(WG_K) exchanges every lane of the group holds every
// row's sum (the stores then spread over the lanes as in the workgroup variant).
fn reduceLanes(acc: ptr<function, Rows>, mLane: u32, kLane: u32) {
  for (var i = 0u; i < BLOCK_ROWS; i++) {
    for (var mask = 1u; mask < WG_K; mask <<= 1u) {
      (*acc)[i] += subgroupShuffleXor((*acc)[i], mask);
    }
  }
}
