// qu8s8-spmm-wgsl: the exact int32 accumulators of qu8s8-spmm (qu8s8-spmm.h)
// on the GPU, with the zero-point correction and the bias folded in:
//
//   C[n, m] = sum_k W[n, k] * (X[k, m] - a_zp) + bias[n]   (int32, wrapping)
//
// uint8/int8/float32 outputs run qs32-qx8-requantize-wgsl on C afterwards.
//
// Weights: the entries of qu8s8-spmm.h. Row n owns entries
// [indptr[n], indptr[n + 1]); entry e is group g = groups[e] (K values
// 4g..4g+3) and word = words[e], the 4 int8 weights W[n, 4g + j] in byte j
// (zeros where pruned or past K).
//
// Activations: Xp, X repacked by qu8s8-spmm-xpack-wgsl into [ceil(K/4)][M]
// words, word g*M + m holding X^[4g + j, m] = X - 128 (X ^ 0x80, exact in
// int8) in byte j. dot4I8Packed multiplies int8 by int8, hence the shift;
// with za^ = a_zp - 128:
//   C = sum_e dot4I8Packed(word_e, Xp[g_e, m]) + rowTerm[n]
//   rowTerm[n] = bias[n] - za^ * rowsum(W)[n]        (host, per call)
// Every term is modulo 2^32 (WGSL i32 arithmetic wraps), so C equals the
// reference bit for bit even where int32 overflows.
//
// Bindings (@group(0)):
//   0  indptr   storage, read        array<u32>  N + 1 entries
//   1  groups   storage, read        array<u32>  group g of each entry
//   2  words    storage, read        array<u32>  4 int8 weights of each entry
//   3  order    storage, read        array<u32>  N rows in the order workgroups
//                                                take them (a permutation; the
//                                                host sorts them by entries,
//                                                largest first, once per weight)
//   4  Xp       storage, read        array<u32>  ceil(K/4) * M words (see above)
//   5  rowTerm  storage, read        array<i32>  N values (see above)
//   6  C        storage, read_write  array<i32>  N*M values, row-major
//   7  params   uniform              Params
// Buffers that would be empty (no entries) must still be bound: any buffer of
// at least 4 bytes; they are never read.
//
// Params (uniform, 16 bytes):
//   offset  0  N      u32
//   offset  4  M      u32   >= 1 (skip the dispatch for M = 0 or N = 0)
//   offset  8  _pad0  u32   unused, keeps the struct 16-byte sized
//   offset 12  _pad1  u32
//
// Overrides (the decomposition of f32-spmm-wgsl):
//   WG_M = 16  invocations along M; each owns 4 columns, WG_M apart
//   WG_K = 4   invocations sharing one row's entries; their partial sums are
//              added in workgroup memory
// WG_M * WG_K must not exceed 256. The host keeps WG_M * WG_K = 64 and picks
// WG_M = min(64, nextPow2(ceil(M / 4))): wide M puts every invocation on its
// own columns (coalesced reads of an Xp row), M = 1 gives WG_M = 1, WG_K = 64,
// a workgroup-wide reduction over the row's entries.
//
// Dispatch: dispatchWorkgroups(min(ceil(M / (WG_M * 4)), 65535), min(N, 65535)).
// Workgroups walk column tiles and row slots with a grid stride, so any grid
// >= 1 x 1 is correct. Slot s is row order[s]. Indices are u32: ceil(K/4)*M
// and N*M must stay below 2^32 (implied by the binding size limits).

const COLS = 4u;  // columns per invocation, one vec4 of accumulators

override WG_M: u32 = 16u;
override WG_K: u32 = 4u;

struct Params {
  N: u32,
  M: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> indptr: array<u32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> words: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read> Xp: array<u32>;
@group(0) @binding(5) var<storage, read> rowTerm: array<i32>;
@group(0) @binding(6) var<storage, read_write> C: array<i32>;
@group(0) @binding(7) var<uniform> params: Params;

// Partial sums of the WG_K invocations that share columns, [kLane][mLane].
var<workgroup> partial: array<vec4<i32>, WG_K * WG_M>;

fn storeRow(row: u32, acc: vec4<i32>, cols: vec4<u32>) {
  let M = params.M;
  let v = acc + vec4<i32>(rowTerm[row]);
  for (var t = 0u; t < COLS; t++) {
    if (cols[t] < M) {
      C[row * M + cols[t]] = v[t];
    }
  }
}

@compute @workgroup_size(WG_M, WG_K)
fn main(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = params.M;
  let mLane = lid.x;
  let kLane = lid.y;
  let tileM = WG_M * COLS;
  let tiles = (M + tileM - 1u) / tileM;

  // Loop bounds depend only on uniforms, overrides and workgroup ids, so every
  // invocation of a workgroup reaches the reduction's barriers.
  for (var slot = wid.y; slot < params.N; slot += nwg.y) {
    let row = order[slot];
    let start = indptr[row];
    let end = indptr[row + 1u];
    for (var tile = wid.x; tile < tiles; tile += nwg.x) {
      let col0 = tile * tileM + mLane;
      let cols = vec4<u32>(col0, col0 + WG_M, col0 + 2u * WG_M, col0 + 3u * WG_M);
      // Columns past M read column M - 1 instead of branching per load; their
      // sums are never stored.
      let colsRead = min(cols, vec4<u32>(M - 1u));

      // Explicit initializer: lavapipe did not re-zero uninitialized
      // declarations on later trips of a grid-stride loop (see f32-gemm-wgsl).
      var acc = vec4<i32>(0);
      // The kLanes interleave over the entries, so a long row is split WG_K
      // ways and adjacent lanes read adjacent groups and words.
      for (var p = start + kLane; p < end; p += WG_K) {
        let w = words[p];
        let xo = groups[p] * M;
        acc += vec4<i32>(
          dot4I8Packed(w, Xp[xo + colsRead.x]),
          dot4I8Packed(w, Xp[xo + colsRead.y]),
          dot4I8Packed(w, Xp[xo + colsRead.z]),
          dot4I8Packed(w, Xp[xo + colsRead.w]),
        );
      }

      if (WG_K > 1u) {
        partial[kLane * WG_M + mLane] = acc;
        workgroupBarrier();
        // kLane 0 adds the WG_K partials: one barrier (a tree would take
        // log2(WG_K), and barriers make lavapipe's pipeline compile slow, see
        // f32-spmm-wgsl). Integer sums wrap, so the order does not matter.
        if (kLane == 0u) {
          var sum = vec4<i32>(0);
          for (var j = 0u; j < WG_K; j++) {
            sum += partial[j * WG_M + mLane];
          }
          storeRow(row, sum, cols);
        }
        // The next tile overwrites partial: wait until every sum was read.
        workgroupBarrier();
      } else {
        storeRow(row, acc, cols);
      }
    }
  }
}
